// Sites' live state from their agents' retained status (online/offline with the last will,
// modem signal, outbox depth), republished as the platform's retained public site event.
import { type AgentStatus, agentStatus, decodePayload, encodePayload, eventTopic, siteEvent, type SiteRef, siteTopic } from '../common/contract/index.js';
import type { Logger } from '../common/log.js';
import type { MqttPublisher } from '../mqtt/adapter.js';
import type { LeaderStore } from '../store/leader-store.js';
import { decodeReason, type OnRejected } from './refusals.js';

export interface SiteLive {
  status: AgentStatus;
  received_at: number;
}

export class SiteMonitor {
  private readonly live = new Map<string, SiteLive>();
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
  ) {}

  get(platformId: string, siteId: string): SiteLive | undefined {
    return this.live.get(`${platformId}/${siteId}`);
  }

  isOnline(platformId: string, siteId: string): boolean {
    return this.get(platformId, siteId)?.status.state === 'online';
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
    await this.deps.store.markUptime(ref.platform_id, ref.site_id, this.deps.now(), decoded.value.state === 'online' && decoded.value.modem?.state === 'up');
    if (this.deps.mqtt) {
      await this.deps.mqtt.publish(eventTopic(ref.platform_id, 'site', ref.site_id), encodePayload(siteEvent, { ...decoded.value, type: 'site' }), { retain: true });
    }
    if (!wasOnline && decoded.value.state === 'online') await this.deps.onOnline?.(ref);
  }
}
