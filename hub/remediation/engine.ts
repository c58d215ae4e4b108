// The playbook engine: the I/O shell around the pure reducer (reducer.ts) and the one writer of
// executions (issue 20). It records new executions, feeds each run its events (start, ticks,
// verification samples, dispatch results, acknowledgements, hold/release/cancel, restart),
// applies what the dispatcher and the inbound matcher report (agent updates, re-sends,
// unacknowledged expiry, replies: ExecutionSink), and carries out the effects (effects.ts):
//   dispatch_sms / notify_sms -> a message on the execution, through the site's SMS budget,
//                                then published as a job (hub/dispatch/publisher.ts, QoS 1);
//   webhook                   -> a row in the delivery log, sent by the WebhookSender;
//   timer                     -> one process timer armed at the earliest deadline;
//   finished                  -> metrics.
// Every effect is recorded durably before the reducer hears `ack`; a restart re-emits only what
// was not acknowledged, and a message is keyed by its own id, so nothing is sent twice. Public
// events and jobs go out only after the write that records them. All changes go through one
// queue (`serial`), so agent updates, poll cycles, timers and API calls never interleave.
import type { Catalog } from '../catalog/catalog.js';
import type { Clock } from '../common/clock.js';
import type { FailureReason } from '../common/contract/index.js';
import type { Logger } from '../common/log.js';
import type { Sample } from '../core/conditions.js';
import { evalConditions } from '../core/conditions.js';
import type { EventDetail } from '../dispatch/events.js';
import type { JobPublisher } from '../dispatch/publisher.js';
import type { ExecutionSink, Report, ReportResult } from '../dispatch/reports.js';
import { type Execution, isTerminal, type MessageRun, type MessageState, runOf, storedRunOf } from '../model/execution.js';
import type { JobRuntime } from '../model/job.js';
import type { RemediationSettings } from '../model/remediation.js';
import type { RunState } from '../model/run.js';
import type { LeaderStore } from '../store/leader-store.js';
import { type Ack, Batch, EffectRunner } from './effects.js';
import { MessageIndex } from './message-index.js';
import { type RouteEvent, RouteMover } from './route-mover.js';
import type { Sendable } from '../dispatch/sites.js';
import { reduce } from './reducer.js';
import type { Effect, RunEvent } from './run.js';

export interface EngineDeps {
  store: LeaderStore;
  publisher: JobPublisher;
  catalogs: ReadonlyMap<string, Catalog>;
  clock: Clock;
  log: Logger;
  settings: (platformId: string) => RemediationSettings;
  newId: () => string;
  /** A new webhook delivery was stored. */
  kickWebhooks?: () => void;
  /** An execution's playbook ended. */
  onFinished?: (exec: Execution) => void;
  /** A message changed dispatch state (counted in /metrics). */
  onMessageState?: (platformId: string, state: MessageState) => void;
  /** Whether a site can send now (backup routes, issue 19); absent: every site can. */
  sendable?: (platformId: string, siteId: string) => Sendable;
  /** A message moved to a backup site, a cancel, a double send (counted in /metrics). */
  onRoute?: (e: RouteEvent) => void;
}

/** States of a command message that answer the send step (sent or delivered = ok). */
const RESULT_OK = new Set(['sent', 'delivered']);
const OK: ReportResult = { ok: true };

/** A report, or the broker's acknowledgement of a job the engine published. */
type Inbound = Report | { type: 'published'; message_id: string };

export class PlaybookEngine implements ExecutionSink {
  private chain: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Infinity;
  private stopped = true;
  private readonly batch = new Batch();
  private readonly index: MessageIndex;
  private readonly fx: EffectRunner;
  private readonly routes: RouteMover;
  /** Reports waiting for the engine (applied together, see `enqueue`). */
  private readonly inbox: Array<{ r: Inbound; resolve: (v: ReportResult) => void; reject: (err: unknown) => void }> = [];

  constructor(private readonly d: EngineDeps) {
    this.index = new MessageIndex(d.store);
    const { store, clock, log, settings, sendable, onRoute } = d;
    const routing = { ...(sendable ? { sendable } : {}), ...(onRoute ? { onRoute } : {}) };
    this.fx = new EffectRunner({ store, catalogs: d.catalogs, clock, settings, newId: d.newId, index: this.index, batch: this.batch, event: (e, x) => this.event(e, x), ...routing });
    this.routes = new RouteMover({ store, clock, log, settings, batch: this.batch, ...routing, setMessage: (e, m, st, detail) => this.setMessage(e, m, st, detail) });
  }

  /** Run `fn` after every change queued before it (one writer over the executions). */
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
      this.fx.drain();
      await this.flush();
      return active.length;
    });
  }

  /**
   * Record new executions (inside `serial`) before anything acts on them, and announce them:
   * a cycle's fires together with their jobs' firing state (`runtimes`, one atomic write), or an
   * incident's notification.
   */
  async record(execs: readonly Execution[], runtimes?: ReadonlyMap<string, JobRuntime>): Promise<void> {
    if (runtimes) await this.d.store.commitFiring(execs, runtimes);
    else await this.d.store.putExecutions(execs);
    for (const e of execs) this.d.publisher.event(e);
  }

  /**
   * Group commit, at the end of every batch: write what changed (executions, budgets, the
   * delivery log) and only then publish the batch's events, hand the new messages to MQTT and
   * wake the webhook sender. The reducer heard `ack` for them within the batch; a crash before
   * this write loses the acks together with the messages, and the replay re-emits both under
   * the same keys.
   */
  async flush(): Promise<void> {
    const b = this.batch;
    const writes: Array<Promise<void>> = [];
    if (b.dirty) writes.push(this.d.store.executions.save());
    if (b.dirtyRemediation) writes.push(this.d.store.saveRemediation());
    b.dirty = false;
    b.dirtyRemediation = false;
    await Promise.all(writes);
    for (const send of b.events.splice(0)) this.d.publisher.track(send());
    for (const { msg } of b.outbox.splice(0)) this.d.publisher.track(this.publish(msg.wire_id));
    for (const c of b.cancels.splice(0)) this.d.publisher.track(this.d.publisher.publishCancel(c.exec, c.msg, c.site_id, c.attempt, c.reason).then(() => undefined));
    if (b.kick) {
      b.kick = false;
      this.d.kickWebhooks?.();
    }
  }

  /** An agent's update for a message the working copy does not hold yet: read it from the store (PostgreSQL). */
  private async fromStore(platformId: string, wireId: string): Promise<{ exec: Execution; msg: MessageRun } | undefined> {
    const exec = await this.d.store.executionByMessage?.(platformId, wireId);
    const msg = exec?.messages.find((m) => m.wire_id === wireId);
    if (!exec || !msg) return undefined;
    this.index.add(wireId, exec.id);
    return { exec, msg };
  }

  /** Publish a recorded message; once the broker has it, record `dispatched` (if still `created`). */
  private async publish(wireId: string): Promise<void> {
    const found = this.index.find(wireId);
    if (!found || !(await this.d.publisher.publishJob(found.exec, found.msg))) return;
    await this.enqueue({ type: 'published', message_id: wireId });
  }

  /** Snapshot a public event now; it is published after the batch's write. */
  private event(exec: Execution, d: EventDetail): void {
    this.batch.events.push(this.d.publisher.eventOf(exec, d));
  }

  /** Feed one event to an execution's run and carry out the effects (inside `serial`). */
  async apply(exec: Execution, ev: RunEvent): Promise<void> {
    const queue: RunEvent[] = [ev];
    while (queue.length) {
      const run = runOf(exec);
      const r = reduce(run, queue.shift() as RunEvent, this.d.clock.now());
      if (r.state === run && r.effects.length === 0) continue;
      this.sync(exec, r.state);
      // Group commit: a transition alone is written with the next batch (a replay after a crash
      // repeats it with the same effect keys); an outbound effect writes before it is handed on.
      this.batch.dirty = true;
      for (const e of r.effects) {
        const ack = this.effect(exec, e);
        if (ack) queue.push({ type: 'ack', key: ack.key });
        if (ack?.fail) queue.push(ack.fail);
      }
    }
  }

  /** Store the run in its execution, and its new timeline entries (ISO) in the execution's timeline. */
  private sync(exec: Execution, after: RunState): void {
    exec.run = storedRunOf(after);
    for (const t of after.timeline) {
      // The messages' own entries already say created / dispatched / sent / delivered ...
      if (t.state === 'created' || t.state === 'dispatched' || (t.step !== null && exec.messages.some((m) => m.step === t.step && m.state === t.state))) continue;
      exec.timeline.push({ at: new Date(t.at).toISOString(), step: t.step, state: t.state, ...(t.detail !== undefined ? { detail: t.detail } : {}) });
      exec.event_seq++;
      this.event(exec, { step: { index: t.step, state: t.state } });
    }
    exec.updated_at = new Date(this.d.clock.now()).toISOString();
  }

  /** Carry out one effect; returns the key to acknowledge once it is durable (and a follow-up event). */
  private effect(exec: Execution, e: Effect): Ack | null {
    switch (e.type) {
      case 'dispatch_sms':
        return this.fx.command(exec, e);
      case 'notify_sms':
        return this.fx.notify(exec, e);
      case 'webhook':
        return this.fx.webhook(exec, e);
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

  /** Change a message's dispatch state: the one place it happens (timeline, event, metrics). */
  private setMessage(exec: Execution, msg: MessageRun, state: MessageState, detail?: string, reason?: FailureReason): void {
    const at = new Date(this.d.clock.now()).toISOString();
    msg.state = state;
    if (reason) msg.reason = reason;
    exec.event_seq++;
    exec.updated_at = at;
    exec.timeline.push({ at, step: msg.step, state, detail: detail ? `${msg.to}: ${detail}` : msg.to });
    this.event(exec, { message: msg, ...(reason ? { reason } : {}) });
    this.batch.dirty = true;
    this.d.onMessageState?.(exec.platform_id, state);
  }

  /** A command's first result answers its send step. */
  private async answer(exec: Execution, msg: MessageRun): Promise<void> {
    if (msg.kind !== 'command' || msg.state === 'queued' || !(isTerminal(msg.state) || RESULT_OK.has(msg.state))) return;
    if (exec.run.idx !== msg.step || exec.run.send_state !== null) return;
    const detail = msg.reason ? `${msg.reason.code}: ${msg.reason.message}` : undefined;
    await this.apply(exec, { type: 'send_result', step: msg.step, state: msg.state, ok: RESULT_OK.has(msg.state), ...(detail ? { detail } : {}) });
  }

  /** What the dispatcher and the inbound matcher saw (ExecutionSink): applied, then written. */
  report(r: Report): Promise<ReportResult> {
    return this.enqueue(r);
  }

  /**
   * Reports arrive concurrently (every MQTT message is handled at once): those waiting when the
   * engine gets to them are applied together and written once (group commit), so a burst of
   * agent updates or broker acknowledgements costs one write, not one each.
   */
  private enqueue(r: Inbound): Promise<ReportResult> {
    return new Promise<ReportResult>((resolve, reject) => {
      this.inbox.push({ r, resolve, reject });
      if (this.inbox.length === 1) void this.serial(() => this.drainInbox());
    });
  }

  private async drainInbox(): Promise<void> {
    const items = this.inbox.splice(0);
    try {
      const results: ReportResult[] = [];
      for (const it of items) results.push(await this.take(it.r));
      await this.flush();
      items.forEach((it, i) => it.resolve(results[i] as ReportResult));
    } catch (err) {
      for (const it of items) it.reject(err);
    }
  }

  private async take(r: Inbound): Promise<ReportResult> {
    if (r.type === 'reply') {
      const exec = this.d.store.execution(r.execution_id);
      if (!exec) return { ok: false, reason: 'unknown_execution' };
      exec.replies.push(r.reply);
      exec.timeline.push({ at: r.reply.at, step: exec.run.idx, state: 'reply', detail: r.reply.text.slice(0, 160) });
      exec.updated_at = new Date(this.d.clock.now()).toISOString();
      this.batch.dirty = true;
      return OK;
    }
    const found = this.index.find(r.message_id) ?? (r.type === 'message' ? await this.fromStore(r.platform_id, r.message_id) : undefined);
    if (!found) return { ok: false, reason: 'unknown_execution' };
    const { exec, msg } = found;
    if (r.type === 'published') {
      if (msg.state !== 'created') return { ok: false, reason: 'stale' };
      msg.dispatched_at = new Date(this.d.clock.now()).toISOString();
      this.setMessage(exec, msg, 'dispatched', `attempt ${msg.attempt}`);
      return OK;
    }
    if (r.type === 'message') {
      if (exec.platform_id !== r.platform_id) return { ok: false, reason: 'site_mismatch' };
      // A site the message was moved away from (issue 19): recorded in its hop, never dropped.
      if (msg.site_id !== r.site_id) return this.routes.oldHop(exec, msg, r) ?? { ok: false, reason: 'site_mismatch' };
      if (r.seq <= msg.agent_seq) return { ok: false, reason: 'stale' };
      // The agent has it, so the broker handed it over: if its acknowledgement (PUBACK) is not in
      // yet, the message was dispatched first (the timeline keeps the order of what happened).
      if (msg.state === 'created') {
        msg.dispatched_at = new Date(this.d.clock.now()).toISOString();
        this.setMessage(exec, msg, 'dispatched', `attempt ${msg.attempt}`);
      }
      msg.agent_seq = r.seq;
      if (r.message_refs) msg.message_refs = r.message_refs;
      if (r.parts) msg.parts = r.parts;
      if (r.modem) msg.modem = r.modem;
      // The timeline names the site and the modem that sent (or tried) each message (issue 19).
      const via = `site ${msg.site_id}${msg.modem ? `, modem ${msg.modem}` : ''}`;
      this.setMessage(exec, msg, r.state, r.reason ? `${r.reason.code}: ${r.reason.message} (${via})` : `attempt ${r.attempt}, ${via}`, r.reason);
      // A site that says it failed or expired it: the next site of the route takes it at once.
      if (!this.routes.afterFailure(exec, msg)) await this.answer(exec, msg);
      return OK;
    }
    if (r.type === 'failover') return this.routes.failover(exec, msg, r.reason);
    // Re-send and expiry apply only while the agent has not acknowledged the message.
    if (msg.agent_seq >= 0 || (msg.state !== 'created' && msg.state !== 'dispatched')) return { ok: false, reason: 'stale' };
    if (r.type === 'unacknowledged') {
      this.setMessage(exec, msg, 'unacknowledged', 'expired before the agent accepted it', { code: 'unacknowledged', message: 'the agent never accepted the job before it expired' });
      await this.answer(exec, msg);
      return OK;
    }
    msg.attempt++;
    msg.dispatched_at = new Date(this.d.clock.now()).toISOString();
    this.setMessage(exec, msg, 'dispatched', `re-sent, attempt ${msg.attempt}`);
    this.batch.outbox.push({ exec, msg });
    return OK;
  }

  /** Running verify steps of a platform: what the poller must query for them. */
  verifying(platformId: string): Execution[] {
    return this.d.store.activeExecutions().filter((e) => e.platform_id === platformId && e.run.phase === 'running' && e.run.step_at !== null && e.playbook[e.run.idx]?.type === 'verify');
  }

  /**
   * One poll cycle for a platform: each verifying run gets its device's sample (`sampleOf`
   * returns undefined for no data), then every run is ticked. `dataAt` is the data's time.
   */
  cycle(platformId: string, sampleOf: ((e: Execution) => Sample | undefined) | null, dataAt: number): Promise<void> {
    return this.serial(async () => {
      for (const exec of this.d.store.activeExecutions()) {
        if (exec.platform_id !== platformId) continue;
        const step = exec.playbook[exec.run.idx];
        if (sampleOf && step?.type === 'verify' && exec.run.phase === 'running') {
          const sample = sampleOf(exec);
          await this.apply(exec, { type: 'sample', holds: sample === undefined ? undefined : evalConditions(step.conditions, step.combine, sample), data_at: dataAt });
        }
        await this.apply(exec, { type: 'tick' });
      }
      this.fx.drain();
      await this.flush();
      this.rearm();
    });
  }

  /** Tick every active run (deadlines) and drain the budgets. */
  tickAll(): Promise<void> {
    return this.serial(async () => {
      for (const exec of this.d.store.activeExecutions()) await this.apply(exec, { type: 'tick' });
      this.fx.drain();
      await this.flush();
      this.rearm();
    });
  }

  /** Arm the timer at the earliest deadline of any running execution (or budget slot). */
  private rearm(): void {
    let at = Infinity;
    for (const e of this.d.store.activeExecutions()) if (e.run.phase === 'running' && e.run.deadline_at !== null) at = Math.min(at, e.run.deadline_at);
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
