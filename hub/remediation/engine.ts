// The playbook engine: the I/O shell around the pure reducer (reducer.ts). It owns every active
// execution's run state, feeds it events (start, ticks, verification samples, dispatch results,
// acknowledgements, hold/release/cancel, restart) and carries out the effects:
//   dispatch_sms / notify_sms -> a message on the execution, through the site's SMS budget
//                                (guardrails.ts), then the dispatcher (MQTT, QoS 1);
//   webhook                   -> a row in the delivery log, sent by the WebhookSender;
//   timer                     -> one process timer armed at the earliest deadline;
//   finished                  -> metrics.
// Every effect is recorded durably before the reducer hears `ack`; a restart re-emits only what
// was not acknowledged, and a message is keyed by its wire id, so nothing is sent twice.
// All changes go through one queue (`serial`), so agent updates, poll cycles, timers and API
// calls never interleave on the same run.
import type { Catalog } from '../catalog/catalog.js';
import type { Clock } from '../common/clock.js';
import type { Logger } from '../common/log.js';
import { planSms } from '../common/sms/index.js';
import { stepText } from '../core/action.js';
import type { Sample } from '../core/conditions.js';
import { evalConditions } from '../core/conditions.js';
import type { Dispatcher } from '../dispatch/dispatcher.js';
import { type Execution, executionIdOf, isTerminal, type MessageRun } from '../model/execution.js';
import type { RemediationSettings } from '../model/remediation.js';
import type { LeaderStore } from '../store/leader-store.js';
import { type QueuedSms, drainSms, offerSms } from './guardrails.js';
import { reduce } from './reducer.js';
import type { Effect, RunEvent, RunState } from './run.js';
import { newDelivery } from './webhook.js';

export interface EngineDeps {
  store: LeaderStore;
  dispatcher: Dispatcher;
  catalogs: ReadonlyMap<string, Catalog>;
  clock: Clock;
  log: Logger;
  settings: (platformId: string) => RemediationSettings;
  newId: () => string;
  /** A new webhook delivery was stored. */
  kickWebhooks?: () => void;
  /** An execution's playbook ended. */
  onFinished?: (exec: Execution) => void;
}

/** States of a command message that answer the send step (sent or delivered = ok). */
const RESULT_OK = new Set(['sent', 'delivered']);

export class PlaybookEngine {
  private chain: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Infinity;
  private stopped = true;
  private dirty = false;
  private dirtyRemediation = false;
  private kick = false;
  /** Messages written in this batch, published after the write. */
  private readonly outbox: Array<{ exec: Execution; msg: MessageRun }> = [];

  constructor(private readonly d: EngineDeps) {}

  /** Run `fn` after every change queued before it (one writer over the run states). */
  serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.chain.then(fn);
    this.chain = p.catch(() => undefined);
    return p;
  }

  start(): void {
    this.stopped = false;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.timerAt = Infinity;
    await this.chain;
  }

  /** On boot: every unfinished run re-emits what it had not handed over (never what it had). */
  restart(): Promise<number> {
    return this.serial(async () => {
      const active = this.d.store.activeExecutions();
      for (const exec of active) await this.apply(exec, { type: 'restart' });
      await this.drain();
      await this.flush();
      return active.length;
    });
  }

  /** Publish the creation of an execution (already persisted). */
  announce(exec: Execution): void {
    this.d.dispatcher.event(exec);
  }

  /**
   * Group commit, at the end of every batch: write what changed (executions, budgets, the
   * delivery log) and only then hand the new messages to MQTT and wake the webhook sender.
   * The reducer heard `ack` for them within the batch; a crash before this write loses the acks
   * together with the messages, and the replay re-emits both under the same keys.
   */
  async flush(): Promise<void> {
    const writes: Array<Promise<void>> = [];
    if (this.dirty) writes.push(this.d.store.executions.save());
    if (this.dirtyRemediation) writes.push(this.d.store.saveRemediation());
    this.dirty = false;
    this.dirtyRemediation = false;
    await Promise.all(writes);
    const out = this.outbox.splice(0);
    for (const { exec, msg } of out) this.d.dispatcher.publish(exec, msg);
    if (this.kick) {
      this.kick = false;
      this.d.kickWebhooks?.();
    }
  }

  /** Feed one event to an execution's run and carry out the effects (inside `serial`). */
  async apply(exec: Execution, ev: RunEvent): Promise<void> {
    const queue: RunEvent[] = [ev];
    while (queue.length) {
      const run = exec.run;
      if (!run) return;
      const now = this.d.clock.now();
      const r = reduce(run, queue.shift() as RunEvent, now);
      if (r.state === run && r.effects.length === 0) continue;
      this.sync(exec, run, r.state);
      // Group commit: a transition alone is written with the next batch (a replay after a crash
      // repeats it with the same effect keys); an outbound effect writes before it is handed on.
      this.dirty = true;
      for (const e of r.effects) {
        const ack = this.effect(exec, e);
        if (ack) queue.push({ type: 'ack', key: ack.key });
        if (ack?.fail) queue.push(ack.fail);
      }
    }
  }

  /** Copy the run into the execution record: fields, and the new timeline entries (ISO). */
  private sync(exec: Execution, before: RunState, after: RunState): void {
    // The run's own timeline is copied into the execution's and then emptied, so the store
    // keeps one timeline (the reducer only appends to it).
    exec.run = after.timeline.length ? { ...after, timeline: [] } : after;
    exec.phase = after.phase;
    exec.step = after.idx;
    exec.outcome = after.outcome;
    exec.ttr_ms = after.ttr_ms;
    exec.escalated = after.escalated;
    exec.escalation_reason = after.escalation_reason;
    exec.incident_id = after.incident_id;
    const fresh = after.timeline.slice(before.timeline === after.timeline ? after.timeline.length : before.timeline.length);
    for (const t of fresh) {
      // The messages' own entries already say created / dispatched / sent / delivered ...
      if (t.state === 'created' || t.state === 'dispatched' || (t.step !== null && exec.messages.some((m) => m.step === t.step && m.state === t.state))) continue;
      exec.timeline.push({ at: new Date(t.at).toISOString(), step: t.step, state: t.state, ...(t.detail !== undefined ? { detail: t.detail } : {}) });
      exec.event_seq++;
      this.d.dispatcher.event(exec, { step: { index: t.step, state: t.state } });
    }
    exec.updated_at = new Date(this.d.clock.now()).toISOString();
  }

  /** Carry out one effect; returns the key to acknowledge once it is durable (and a follow-up event). */
  private effect(exec: Execution, e: Effect): { key: string; fail?: RunEvent } | null {
    switch (e.type) {
      case 'dispatch_sms':
        return this.command(exec, e);
      case 'notify_sms':
        return this.notify(exec, e);
      case 'webhook':
        return this.webhook(exec, e);
      case 'timer':
        this.arm(e.at);
        return null;
      case 'finished':
        this.d.onFinished?.(exec);
        return null;
      case 'watch':
      case 'unwatch':
        // Watches follow from the run state (a running verify step): see `verifying()`.
        return null;
    }
  }

  private wireId(exec: Execution, step: number, suffix: string): string {
    const first = exec.playbook.findIndex((s) => s.type === 'send');
    return suffix === 's' && step === first ? exec.id : `${exec.id}-${suffix}${step}`;
  }

  private command(exec: Execution, e: Extract<Effect, { type: 'dispatch_sms' }>): { key: string; fail?: RunEvent } {
    const wire = this.wireId(exec, e.step, 's');
    if (exec.messages.some((m) => m.wire_id === wire)) return { key: e.key };
    const now = this.d.clock.now();
    const device = this.d.store.controlDevice(e.send.control_device_id);
    const ok = device && device.platform_id === exec.platform_id && this.d.store.site(exec.platform_id, e.send.site_id);
    const job = this.d.store.job(exec.job_id);
    const text = ok ? stepText(e.send, device, this.d.catalogs, { job: { name: exec.job_name, device: exec.device, conditions: job?.conditions ?? [] }, values: exec.trigger.values }) : null;
    const msg = this.newMessage(exec, wire, e.step, 'command', e.send.site_id, device?.id ?? e.send.control_device_id, device?.phone ?? '', text?.ok ? text.text : '', now + e.send.expires_s * 1000);
    const problem = !ok ? `control device ${e.send.control_device_id} or site ${e.send.site_id} not found` : text && !text.ok ? `${text.field}: ${text.message}` : null;
    if (problem) {
      msg.state = 'failed';
      msg.reason = { code: 'invalid_action', message: problem };
      exec.state = 'failed';
      exec.event_seq++;
      this.note(exec, e.step, 'failed', problem);
      this.dirty = true;
      this.d.dispatcher.event(exec, { message: msg, reason: msg.reason });
      return { key: e.key, fail: { type: 'send_result', step: e.step, state: 'failed', ok: false, detail: problem } };
    }
    this.offer(exec, msg, text?.ok ? text.parts : 1, 0, `${exec.job_name}: ${exec.device.name || exec.device.key}`);
    return { key: e.key };
  }

  private notify(exec: Execution, e: Extract<Effect, { type: 'notify_sms' }>): { key: string } {
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
    this.dirty = true;
    return { key: e.key };
  }

  private webhook(exec: Execution, e: Extract<Effect, { type: 'webhook' }>): { key: string } {
    const ep = this.d.store.webhook(e.endpoint_id);
    if (!ep || ep.platform_id !== exec.platform_id) {
      this.note(exec, e.step, 'webhook_skipped', `endpoint ${e.endpoint_id} not found`);
      this.dirty = true;
      return { key: e.key };
    }
    if (!this.d.store.deliveryByKey(e.key, ep.id)) {
      const rec = newDelivery(this.d.newId(), ep, e.key, e.event, this.d.clock.now());
      if (exec.trigger.reason === 'incident' && exec.incident_id) {
        const inc = this.d.store.correlation.incidents.find((i) => i.id === exec.incident_id);
        const body = { delivery_id: rec.id, type: 'incident.opened', incident_id: exec.incident_id, platform_id: exec.platform_id, devices: [...new Set(inc?.held.map((t) => t.device_key) ?? [])], fleet: inc?.fleet ?? null, rule: inc?.rule ?? null, text: e.event.text, at: e.event.at };
        rec.event_type = 'incident.opened';
        rec.body = JSON.stringify(body);
      }
      this.d.store.addDelivery(rec);
      this.note(exec, e.step, 'webhook_queued', ep.url.replace(/\?.*$/, ''));
      this.dirty = true;
      this.dirtyRemediation = true;
      this.kick = true;
    }
    return { key: e.key };
  }

  private note(exec: Execution, step: number, state: string, detail: string): void {
    exec.timeline.push({ at: new Date(this.d.clock.now()).toISOString(), step, state, detail });
  }

  private newMessage(exec: Execution, wire: string, step: number, kind: MessageRun['kind'], site: string, control: string | null, to: string, text: string, expiresAt: number): MessageRun {
    const msg: MessageRun = { wire_id: wire, step, kind, site_id: site, control_device_id: control, to, text, state: 'queued', attempt: 1, agent_seq: -1, expires_at: new Date(expiresAt).toISOString(), dispatched_at: null };
    exec.messages.push(msg);
    return msg;
  }

  /** Through the site's SMS budget: released now -> created and published; else queued. */
  private offer(exec: Execution, msg: MessageRun, parts: number, priority: number, label: string): void {
    const now = this.d.clock.now();
    const cfg = this.d.settings(exec.platform_id).sms_budget;
    const q: QueuedSms = { key: msg.wire_id, site_id: msg.site_id, to: msg.to, parts, priority, queued_at: now, label };
    const r = offerSms(this.d.store.budget(exec.platform_id), q, now, cfg);
    this.d.store.setBudget(exec.platform_id, r.state);
    this.dirty = true;
    this.dirtyRemediation = true;
    const released = new Set(r.release.map((x) => x.key));
    if (released.has(msg.wire_id)) {
      msg.state = 'created';
      this.outbox.push({ exec, msg });
    } else {
      this.note(exec, msg.step, 'queued', `${msg.to}: SMS budget of site ${msg.site_id} used up`);
    }
    this.releaseQueued(exec.platform_id, r.release.filter((x) => x.key !== msg.wire_id));
  }

  private releaseQueued(platformId: string, items: readonly QueuedSms[]): void {
    for (const q of items) {
      const exec = this.d.store.execution(executionIdOf(q.key));
      const msg = exec?.messages.find((m) => m.wire_id === q.key);
      if (!exec || !msg || msg.state !== 'queued' || exec.platform_id !== platformId) continue;
      msg.state = 'created';
      this.note(exec, msg.step, 'created', `${msg.to}: released by the SMS budget`);
      exec.event_seq++;
      this.d.dispatcher.event(exec, { message: msg });
      this.dirty = true;
      this.outbox.push({ exec, msg });
    }
  }

  /** Release queued SMS the budgets allow now (each cycle and timer). */
  private async drain(): Promise<void> {
    const now = this.d.clock.now();
    for (const p of this.d.store.platforms()) {
      const b = this.d.store.budget(p.id);
      if (b.queue.length === 0) continue;
      const r = drainSms(b, now, this.d.settings(p.id).sms_budget);
      this.d.store.setBudget(p.id, r.state);
      if (r.release.length) {
        this.dirtyRemediation = true;
        this.releaseQueued(p.id, r.release);
      }
    }
  }

  /** A message changed state (dispatcher): a command's first result answers its send step. */
  onMessage(exec: Execution, msg: MessageRun): Promise<void> {
    if (msg.kind !== 'command' || !exec.run || msg.state === 'queued' || !(isTerminal(msg.state) || RESULT_OK.has(msg.state))) return Promise.resolve();
    return this.serial(async () => {
      const cur = this.d.store.execution(exec.id);
      if (!cur?.run || cur.run.idx !== msg.step || cur.run.send_state !== null) return;
      const detail = msg.reason ? `${msg.reason.code}: ${msg.reason.message}` : undefined;
      await this.apply(cur, { type: 'send_result', step: msg.step, state: msg.state, ok: RESULT_OK.has(msg.state), ...(detail ? { detail } : {}) });
      await this.flush();
    });
  }

  /** Running verify steps of a platform: what the poller must query for them. */
  verifying(platformId: string): Execution[] {
    return this.d.store.activeExecutions().filter((e) => e.platform_id === platformId && e.run?.phase === 'running' && e.run.step_at !== null && e.playbook[e.run.idx]?.type === 'verify');
  }

  /**
   * One poll cycle for a platform: each verifying run gets its device's sample (`sampleOf`
   * returns undefined for no data), then every run is ticked. `dataAt` is the data's time.
   */
  cycle(platformId: string, sampleOf: ((e: Execution) => Sample | undefined) | null, dataAt: number): Promise<void> {
    return this.serial(async () => {
      for (const exec of this.d.store.activeExecutions()) {
        if (exec.platform_id !== platformId || !exec.run) continue;
        const step = exec.playbook[exec.run.idx];
        if (sampleOf && step?.type === 'verify' && exec.run.phase === 'running') {
          const sample = sampleOf(exec);
          await this.apply(exec, { type: 'sample', holds: sample === undefined ? undefined : evalConditions(step.conditions, step.combine, sample), data_at: dataAt });
        }
        await this.apply(exec, { type: 'tick' });
      }
      await this.drain();
      await this.flush();
      this.rearm();
    });
  }

  /** Tick every active run (deadlines) and drain the budgets. */
  tickAll(): Promise<void> {
    return this.serial(async () => {
      for (const exec of this.d.store.activeExecutions()) await this.apply(exec, { type: 'tick' });
      await this.drain();
      await this.flush();
      this.rearm();
    });
  }

  /** Arm the timer at the earliest deadline of any running execution (or budget slot). */
  private rearm(): void {
    let at = Infinity;
    for (const e of this.d.store.activeExecutions()) if (e.run?.phase === 'running' && e.run.deadline_at !== null) at = Math.min(at, e.run.deadline_at);
    const queued = this.d.store.platforms().some((p) => this.d.store.budget(p.id).queue.length > 0);
    if (queued) at = Math.min(at, this.d.clock.now() + 60_000);
    if (at < Infinity) this.arm(at);
  }

  private arm(at: number): void {
    if (this.stopped || at >= this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(
      () => {
        this.timer = null;
        this.timerAt = Infinity;
        this.tickAll().catch((err: unknown) => this.d.log.error('playbook tick failed', { error: (err as Error).message }));
      },
      Math.max(0, at - this.d.clock.now()) + 5,
    );
    this.timer.unref();
  }
}
