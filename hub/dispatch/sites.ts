// Sites' live state from their agents' retained status (online/offline with the last will,
// modem signal, outbox depth), republished as the platform's retained public site event. It also
// says whether a site can send now (`sendable`: online with at least one modem up; status v1
// `modem` or v2 `modems`) and since when it cannot, for backup routes (issue 19).
import { type AgentStatus, agentStatus, decodePayload, encodePayload, eventTopic, siteEvent, type SiteRef, siteTopic } from '../common/contract/index.js';
import type { Logger } from '../common/log.js';
import type { MqttPublisher } from '../mqtt/adapter.js';
import type { LeaderStore } from '../store/leader-store.js';
import { decodeReason, type OnRejected } from './refusals.js';

export interface SiteLive {
  status: AgentStatus;
  received_at: number;
}

/** Why a site cannot send now: its agent is offline, or online with every modem down. */
export type Unsendable = 'offline' | 'modems_down';
export type Sendable = { ok: true } | { ok: false; reason: Unsendable; since: number };

/** Online, but every modem reported (v2 `modems`, else the v1 `modem`) is not up. No modem reported: not known to be down. */
export function modemsDown(s: AgentStatus): boolean {
  const list = modemsOf(s);
  return list.length > 0 && list.every((m) => m.state !== 'up');
}

function modemsOf(s: AgentStatus): Array<{ state: string }> {
  return s.modems?.length ? s.modems : s.modem ? [s.modem] : [];
}

function unsendable(s: AgentStatus): Unsendable | null {
  if (s.state !== 'online') return 'offline';
  return modemsDown(s) ? 'modems_down' : null;
}

export class SiteMonitor {
  private readonly live = new Map<string, SiteLive>();
  /** Since when each site has been unsendable, by the reason (kept while the reason stays). */
  private readonly down = new Map<string, { reason: Unsendable; since: number }>();
  /** A site never heard of since this hub started counts as offline since then. */
  private readonly startedAt: number;
  rejected = 0;

  constructor(
    private readonly deps: {
      store: LeaderStore;
      mqtt: MqttPublisher | null;
      log: Logger;
      now: () => number;
      onOnline?: (ref: SiteRef) => Promise<void> | void;
      onRejected?: OnRejected;
    },
  ) {
    this.startedAt = deps.now();
  }

  get(platformId: string, siteId: string): SiteLive | undefined {
    return this.live.get(`${platformId}/${siteId}`);
  }

  isOnline(platformId: string, siteId: string): boolean {
    return this.get(platformId, siteId)?.status.state === 'online';
  }

  /** Whether the site can send now; if not, why and since when (hub/dispatch/routes.ts). */
  sendable(platformId: string, siteId: string): Sendable {
    const key = `${platformId}/${siteId}`;
    const live = this.live.get(key);
    if (!live) return { ok: false, reason: 'offline', since: this.startedAt };
    const d = this.down.get(key);
    return d ? { ok: false, ...d } : { ok: true };
  }

  /** Sites of a platform that are online, for /metrics. */
  countOnline(platformId: string): number {
    return this.deps.store.sites(platformId).filter((s) => this.isOnline(platformId, s.id)).length;
  }

  /**
   * A deleted site: drop its live state and clear the retained messages that would otherwise
   * describe it forever (the public site event, and the agent's retained status, so a new site
   * with the same id does not inherit it).
   */
  async forget(ref: SiteRef): Promise<void> {
    this.live.delete(`${ref.platform_id}/${ref.site_id}`);
    this.down.delete(`${ref.platform_id}/${ref.site_id}`);
    if (!this.deps.mqtt) return;
    await Promise.all([
      this.deps.mqtt.publish(eventTopic(ref.platform_id, 'site', ref.site_id), '', { retain: true }),
      this.deps.mqtt.publish(siteTopic(ref, 'status'), '', { retain: true }),
    ]);
  }

  async handleStatus(ref: SiteRef, payload: Buffer): Promise<void> {
    // An empty payload clears a retained status (our own forget(), or an operator): not an error.
    if (payload.length === 0) {
      this.live.delete(`${ref.platform_id}/${ref.site_id}`);
      return;
    }
    const decoded = decodePayload(agentStatus, payload);
    const reason = !decoded.ok ? decodeReason(decoded.error) : decoded.value.platform_id !== ref.platform_id || decoded.value.site_id !== ref.site_id ? 'site_mismatch' : !this.deps.store.site(ref.platform_id, ref.site_id) ? 'unknown_site' : null;
    if (reason || !decoded.ok) {
      this.rejected++;
      this.deps.onRejected?.(ref, 'status', reason ?? 'schema');
      this.deps.log.warn('status refused', { ...ref, reason, ...(decoded.ok ? {} : { error: decoded.error }) });
      return;
    }
    const key = `${ref.platform_id}/${ref.site_id}`;
    const wasOnline = this.live.get(key)?.status.state === 'online';
    this.live.set(key, { status: decoded.value, received_at: this.deps.now() });
    const why = unsendable(decoded.value);
    if (!why) this.down.delete(key);
    else if (this.down.get(key)?.reason !== why) this.down.set(key, { reason: why, since: this.deps.now() });
    await this.deps.store.markUptime(ref.platform_id, ref.site_id, this.deps.now(), decoded.value.state === 'online' && modemsOf(decoded.value).some((m) => m.state === 'up'));
    if (this.deps.mqtt) {
      await this.deps.mqtt.publish(eventTopic(ref.platform_id, 'site', ref.site_id), encodePayload(siteEvent, { ...decoded.value, type: 'site' }), { retain: true });
    }
    if (!wasOnline && decoded.value.state === 'online') await this.deps.onOnline?.(ref);
  }
}
