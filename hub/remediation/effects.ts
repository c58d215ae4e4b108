// The engine's hands (part of the one writer of executions, engine.ts): carries out a run's
// outbound effects on its execution record within the engine's current batch:
//   dispatch_sms / notify_sms -> a message on the execution, through the site's SMS budget
//                                (guardrails.ts); released ones go to the batch's outbox;
//   webhook                   -> a row in the delivery log, sent by the WebhookSender.
// Nothing here writes to disk or to MQTT: the engine's flush does, after the batch.
import type { Catalog } from '../catalog/catalog.js';
import type { Clock } from '../common/clock.js';
import { planSms } from '../common/sms/index.js';
import { stepText } from '../core/action.js';
import type { EventDetail } from '../dispatch/events.js';
import { acceptByFor, startSite } from '../dispatch/routes.js';
import type { Sendable } from '../dispatch/sites.js';
import type { RouteEvent } from './route-mover.js';
import type { Execution, MessageRun } from '../model/execution.js';
import type { RemediationSettings } from '../model/remediation.js';
import type { LeaderStore } from '../store/leader-store.js';
import { type QueuedSms, drainSms, offerSms } from './guardrails.js';
import type { MessageIndex } from './message-index.js';
import type { Effect, RunEvent } from './run.js';
import { newDelivery } from './webhook.js';

/** What one engine batch changed, written and published by the engine's flush. */
export class Batch {
  dirty = false;
  dirtyRemediation = false;
  kick = false;
  /** Messages released in this batch, published after the write. */
  readonly outbox: Array<{ exec: Execution; msg: MessageRun }> = [];
  /** Public events of this batch's changes (snapshots), published after the write. */
  readonly events: Array<() => Promise<void>> = [];
  /** Cancels to sites a message was moved away from (issue 19), published after the write. */
  readonly cancels: Array<{ exec: Execution; msg: MessageRun; site_id: string; attempt: number; reason: string }> = [];
}

export interface EffectDeps {
  store: LeaderStore;
  catalogs: ReadonlyMap<string, Catalog>;
  clock: Clock;
  settings: (platformId: string) => RemediationSettings;
  newId: () => string;
  index: MessageIndex;
  batch: Batch;
  /** Publish-later snapshot of an event (the engine's). */
  event: (exec: Execution, d: EventDetail) => void;
  /** Whether a site can send now (backup routes, issue 19); absent: every site can. */
  sendable?: (platformId: string, siteId: string) => Sendable;
  onRoute?: (e: RouteEvent) => void;
}

export type Ack = { key: string; fail?: RunEvent };

export class EffectRunner {
  constructor(private readonly d: EffectDeps) {}

  private get b(): Batch {
    return this.d.batch;
  }

  note(exec: Execution, step: number, state: string, detail: string): void {
    exec.timeline.push({ at: new Date(this.d.clock.now()).toISOString(), step, state, detail });
  }

  private wireId(exec: Execution, step: number, suffix: string): string {
    const first = exec.playbook.findIndex((s) => s.type === 'send');
    return suffix === 's' && step === first ? exec.id : `${exec.id}-${suffix}${step}`;
  }

  command(exec: Execution, e: Extract<Effect, { type: 'dispatch_sms' }>): Ack {
    const wire = this.wireId(exec, e.step, 's');
    if (exec.messages.some((m) => m.wire_id === wire)) return { key: e.key };
    const { store } = this.d;
    const now = this.d.clock.now();
    const device = store.controlDevice(e.send.control_device_id);
    const ok = device && device.platform_id === exec.platform_id && store.site(exec.platform_id, e.send.site_id);
    const job = store.job(exec.job_id);
    const text = ok ? stepText(e.send, device, this.d.catalogs, { job: { name: exec.job_name, device: exec.device, conditions: job?.conditions ?? [] }, values: exec.trigger.values }) : null;
    const site = ok ? this.start(exec, e.step, device, e.send.site_id, now) : e.send.site_id;
    const msg = this.newMessage(exec, wire, e.step, 'command', site, device?.id ?? e.send.control_device_id, device?.phone ?? '', text?.ok ? text.text : '', now + e.send.expires_s * 1000);
    const problem = !ok ? `control device ${e.send.control_device_id} or site ${e.send.site_id} not found` : text && !text.ok ? `${text.field}: ${text.message}` : null;
    if (problem) {
      msg.state = 'failed';
      msg.reason = { code: 'invalid_action', message: problem };
      exec.event_seq++;
      this.note(exec, e.step, 'failed', problem);
      this.b.dirty = true;
      this.d.event(exec, { message: msg, reason: msg.reason });
      return { key: e.key, fail: { type: 'send_result', step: e.step, state: 'failed', ok: false, detail: problem } };
    }
    this.offer(exec, msg, text?.ok ? text.parts : 1, 0, `${exec.job_name}: ${exec.device.name || exec.device.key}`);
    return { key: e.key };
  }

  /** Issue 19: a step's site that has been unable to send for failover_after_s is skipped for a later one of the route that can. */
  private start(exec: Execution, step: number, device: Parameters<typeof startSite>[0], site: string, now: number): string {
    const sendable = this.d.sendable;
    if (!sendable) return site;
    const r = startSite(device, site, this.d.settings(exec.platform_id).failover_after_s, now, (s) => sendable(exec.platform_id, s));
    for (const k of r.skipped) {
      this.note(exec, step, 'route_skip', `site ${k.site_id} skipped: ${k.reason === 'offline' ? 'its agent is offline' : 'every modem of it is down'} since ${new Date(k.since).toISOString()}; sent from site ${r.site}`);
      this.d.onRoute?.({ type: 'failover', platform_id: exec.platform_id, reason: k.reason });
    }
    return r.site;
  }

  notify(exec: Execution, e: Extract<Effect, { type: 'notify_sms' }>): Ack {
    const now = this.d.clock.now();
    const settings = this.d.settings(exec.platform_id);
    const to = e.to === 'on_call' ? settings.on_call.map((o) => o.phone) : e.to;
    if (!this.d.store.site(exec.platform_id, e.site_id)) {
      this.note(exec, e.step, 'notify_failed', `site ${e.site_id} not found`);
    } else {
      if (to.length === 0) this.note(exec, e.step, 'notify_failed', 'the on-call list is empty');
      for (const [i, phone] of to.entries()) {
        const wire = `${exec.id}-n${e.step}x${i}`;
        if (exec.messages.some((m) => m.wire_id === wire)) continue;
        const msg = this.newMessage(exec, wire, e.step, 'notify', e.site_id, null, phone, e.text, now + 3600_000);
        this.offer(exec, msg, planSms(e.text).parts.length || 1, 10, `notify ${phone}`);
      }
    }
    this.b.dirty = true;
    return { key: e.key };
  }

  webhook(exec: Execution, e: Extract<Effect, { type: 'webhook' }>): Ack {
    const { store } = this.d;
    const ep = store.webhook(e.endpoint_id);
    if (!ep || ep.platform_id !== exec.platform_id) {
      this.note(exec, e.step, 'webhook_skipped', `endpoint ${e.endpoint_id} not found`);
      this.b.dirty = true;
      return { key: e.key };
    }
    if (!store.deliveryByKey(e.key, ep.id)) {
      const rec = newDelivery(this.d.newId(), ep, e.key, e.event, this.d.clock.now());
      const incidentId = exec.run.incident_id;
      if (exec.trigger.reason === 'incident' && incidentId) {
        const inc = store.correlation.incidents.find((i) => i.id === incidentId);
        const body = { delivery_id: rec.id, type: 'incident.opened', incident_id: incidentId, platform_id: exec.platform_id, devices: [...new Set(inc?.held.map((t) => t.device_key) ?? [])], fleet: inc?.fleet ?? null, rule: inc?.rule ?? null, text: e.event.text, at: e.event.at };
        rec.event_type = 'incident.opened';
        rec.body = JSON.stringify(body);
      }
      store.addDelivery(rec);
      this.note(exec, e.step, 'webhook_queued', ep.url.replace(/\?.*$/, ''));
      this.b.dirty = true;
      this.b.dirtyRemediation = true;
      this.b.kick = true;
    }
    return { key: e.key };
  }

  private newMessage(exec: Execution, wire: string, step: number, kind: MessageRun['kind'], site: string, control: string | null, to: string, text: string, expiresAt: number): MessageRun {
    const msg: MessageRun = { wire_id: wire, step, kind, site_id: site, control_device_id: control, to, text, state: 'queued', attempt: 1, agent_seq: -1, expires_at: new Date(expiresAt).toISOString(), dispatched_at: null };
    exec.messages.push(msg);
    this.d.index.add(wire, exec.id);
    return msg;
  }

  /** Through the site's SMS budget: released now -> created and published; else queued. */
  private offer(exec: Execution, msg: MessageRun, parts: number, priority: number, label: string): void {
    const { store } = this.d;
    const now = this.d.clock.now();
    const cfg = this.d.settings(exec.platform_id).sms_budget;
    const q: QueuedSms = { key: msg.wire_id, site_id: msg.site_id, to: msg.to, parts, priority, queued_at: now, label };
    const r = offerSms(store.budget(exec.platform_id), q, now, cfg);
    store.setBudget(exec.platform_id, r.state);
    this.b.dirty = true;
    this.b.dirtyRemediation = true;
    const released = new Set(r.release.map((x) => x.key));
    if (released.has(msg.wire_id)) {
      this.ready(exec, msg);
    } else {
      this.note(exec, msg.step, 'queued', `${msg.to}: SMS budget of site ${msg.site_id} used up`);
    }
    this.releaseQueued(exec.platform_id, r.release.filter((x) => x.key !== msg.wire_id));
  }

  /**
   * Released: `created`, to be published after the batch's write. A command whose control device
   * has a backup site after this one gets its acceptance deadline now (issue 19), written with it.
   */
  private ready(exec: Execution, msg: MessageRun): void {
    msg.state = 'created';
    if (msg.kind === 'command' && msg.accept_by === undefined) {
      const device = msg.control_device_id ? this.d.store.controlDevice(msg.control_device_id) : undefined;
      const at = acceptByFor(device, msg.site_id, this.d.settings(exec.platform_id).failover_after_s, this.d.clock.now());
      if (at) msg.accept_by = at;
    }
    this.b.outbox.push({ exec, msg });
  }

  private releaseQueued(platformId: string, items: readonly QueuedSms[]): void {
    for (const q of items) {
      const found = this.d.index.find(q.key);
      if (!found) continue;
      const { exec, msg } = found;
      if (msg.state !== 'queued' || exec.platform_id !== platformId) continue;
      this.ready(exec, msg);
      this.note(exec, msg.step, 'created', `${msg.to}: released by the SMS budget`);
      exec.event_seq++;
      this.d.event(exec, { message: msg });
      this.b.dirty = true;
    }
  }

  /** Release queued SMS the budgets allow now (each cycle and timer). */
  drain(): void {
    const { store } = this.d;
    const now = this.d.clock.now();
    for (const p of store.platforms()) {
      const b = store.budget(p.id);
      if (b.queue.length === 0) continue;
      const r = drainSms(b, now, this.d.settings(p.id).sms_budget);
      store.setBudget(p.id, r.state);
      if (r.release.length) {
        this.b.dirtyRemediation = true;
        this.releaseQueued(p.id, r.release);
      }
    }
  }
}
