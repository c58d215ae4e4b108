// Inbound SMS: matched to the platform's control device with that number, attached to the
// latest execution that sent it a command (these sockets confirm commands by SMS), stored, and
// published on the platform's public sms topic.
import { decodePayload, encodePayload, eventTopic, inboundSms, type SiteRef, smsEvent } from '../common/contract/index.js';
import type { Logger } from '../common/log.js';
import type { ControlDevice } from '../model/entities.js';
import type { MqttPublisher } from '../mqtt/adapter.js';
import type { LeaderStore } from '../store/leader-store.js';
import { decodeReason, type OnRejected } from './refusals.js';

/** Compare numbers by their last 10 digits, so +7 916... and 8 916... match. */
export function samePhone(a: string, b: string): boolean {
  const da = a.replace(/\D/g, '');
  const db = b.replace(/\D/g, '');
  if (da.length < 3 || db.length < 3) return false;
  const n = Math.min(10, da.length, db.length);
  return da.slice(-n) === db.slice(-n);
}

/** How long after its creation an execution may still receive a reply. */
export const REPLY_WINDOW_MS = 2 * 3600_000;

export class InboundHandler {
  private readonly seen = new Set<string>();
  rejected = 0;

  constructor(private readonly deps: { store: LeaderStore; mqtt: MqttPublisher | null; log: Logger; now: () => number; maxPerPlatform: number; onRejected?: OnRejected }) {}

  async handle(ref: SiteRef, payload: Buffer): Promise<void> {
    const { store } = this.deps;
    const decoded = decodePayload(inboundSms, payload);
    const reason = !decoded.ok ? decodeReason(decoded.error) : decoded.value.platform_id !== ref.platform_id || decoded.value.site_id !== ref.site_id ? 'site_mismatch' : !store.site(ref.platform_id, ref.site_id) ? 'unknown_site' : null;
    if (reason || !decoded.ok) {
      this.rejected++;
      this.deps.onRejected?.(ref, 'inbound', reason ?? 'schema');
      this.deps.log.warn('inbound refused', { ...ref, reason, ...(decoded.ok ? {} : { error: decoded.error }) });
      return;
    }
    const sms = decoded.value;
    const dedupe = `${ref.platform_id}/${ref.site_id}/${sms.id}`;
    if (this.seen.has(dedupe) || store.inbound(ref.platform_id).some((r) => r.id === sms.id && r.site_id === ref.site_id)) return;
    this.seen.add(dedupe);
    if (this.seen.size > 10_000) this.seen.delete(this.seen.values().next().value as string);

    const device: ControlDevice | undefined = store.controlDevices(ref.platform_id).find((d) => samePhone(d.phone, sms.from));
    let executionId: string | null = null;
    if (device) {
      const since = this.deps.now() - REPLY_WINDOW_MS;
      const candidates = store
        .executionList(ref.platform_id)
        .filter((e) => e.messages.some((s) => s.control_device_id === device.id && s.site_id === ref.site_id) && Date.parse(e.created_at) >= since)
        .sort((a, b) => b.created_at.localeCompare(a.created_at));
      const exec = candidates[0];
      if (exec) {
        executionId = exec.id;
        exec.replies.push({ id: sms.id, from: sms.from, text: sms.text, at: sms.received_at, site_id: ref.site_id });
        exec.timeline.push({ at: sms.received_at, step: exec.step, state: 'reply', detail: sms.text.slice(0, 160) });
        exec.updated_at = new Date(this.deps.now()).toISOString();
        await store.putExecution(exec);
      }
    }
    await store.addInbound(
      { id: sms.id, platform_id: ref.platform_id, site_id: ref.site_id, from: sms.from, text: sms.text, received_at: sms.received_at, control_device_id: device?.id ?? null, execution_id: executionId },
      this.deps.maxPerPlatform,
    );
    if (this.deps.mqtt) {
      await this.deps.mqtt.publish(
        eventTopic(ref.platform_id, 'sms'),
        encodePayload(smsEvent, { ...sms, type: 'sms', ...(device ? { control_device_id: device.id } : {}), ...(executionId ? { execution_id: executionId } : {}) }),
        {},
      );
    }
  }
}
