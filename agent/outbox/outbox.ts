// The durable outbox: every job is journaled (fsynced) before the MQTT message is
// acknowledged; each state change and each update for the hub is journaled before it takes
// effect; updates stay pending until the broker acknowledges them. De-duplication by
// execution id, expiry, retry backoff, status reports matched by TP-MR, and compaction.
import type { AgentState, ExecutionUpdate, FailureReason, JobCancel, JobRequest } from '#common/contract/index.js';
import { type Clock, systemClock } from '#common/clock.js';
import { type Logger, silentLogger } from '#common/log.js';
import type { Journal, JournalHealth } from './journal.js';
import { checkRecord } from './records.js';
import { MrIndex, type ReportOutcome } from './mr-index.js';
import { type OutboxEntry, type SendState, type JournalRecord, type OutboxState, TERMINAL, apply, cancelCovers, compactRecords, emptyState, makeUpdate, recoveryRecords, untouched } from './state.js';
import { logSkippedRecords } from './skipped.js';

export interface OutboxConfig {
  resendUncertain: boolean;
  maxTries: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** How long to wait for status reports after `sent`. */
  reportWaitMs: number;
  /** How long a finished execution id is remembered to refuse duplicates. */
  dedupRetentionMs: number;
  /** Compact when the journal is larger than this and twice the live data. */
  compactBytes: number;
}

export type AcceptResult = 'accepted' | 'duplicate' | 'refused';
/** What a cancel did: stopped the job, came too late (state reported again), or was remembered for a job not seen yet. */
export type CancelResult = 'cancelled' | 'too_late' | 'remembered' | 'ignored';

/** The job ended (cancelled, expired) while the modem's prompt was awaited: the PDU must not be written. */
export class JobEndedError extends Error {
  constructor(
    readonly executionId: string,
    readonly state: SendState,
  ) {
    super(`execution ${executionId} is already ${state}; not handing it to the modem`);
    this.name = 'JobEndedError';
  }
}

function cancelledReason(reason: string | undefined): FailureReason {
  return { code: 'cancelled', message: reason ?? 'cancelled by the hub (the message was moved to another site)', retryable: false };
}

export class Outbox {
  private readonly s: OutboxState = emptyState();
  private readonly clock: Clock;
  private readonly log: Logger;
  /** Parts awaiting a status report by modem and TP-MR, and reports that beat the +CMGS answer. */
  private readonly reportIndex = new MrIndex();
  private compacting: Promise<void> | undefined;
  private liveBytes = 0;
  /** Concatenation references: the persistent counter shared with `agent send` (see concat-ref.ts). */
  private readonly takeRef: () => number;
  /** Published for each update once journaled. */
  onUpdate: (u: ExecutionUpdate) => void = () => undefined;
  onChange: () => void = () => undefined;

  constructor(
    private readonly journal: Journal<JournalRecord>,
    private readonly config: OutboxConfig,
    deps: { clock?: Clock; log?: Logger; takeRef?: () => number } = {},
  ) {
    this.clock = deps.clock ?? systemClock;
    this.log = deps.log ?? silentLogger;
    let ref = Math.floor(Math.random() * 256);
    this.takeRef = deps.takeRef ?? (() => (ref = (ref + 1) & 0xff));
  }

  /** Replay the journal and settle what a crash left open. Returns updates to (re)publish. */
  async load(): Promise<ExecutionUpdate[]> {
    const records = await this.journal.open(checkRecord);
    for (const r of records) apply(this.s, r);
    logSkippedRecords(this.journal, this.log);
    const now = this.clock.now();
    for (const rec of this.s.live.values()) {
      // A cancel on disk whose `end` was cut short by a crash: it was first, so it wins.
      const mark = this.s.cancels.get(rec.job.execution_id);
      if (cancelCovers(mark, rec.job.attempt) && untouched(rec)) {
        await this.commit(rec, [{ t: 'end', id: rec.job.execution_id, state: 'expired', at: now, reason: cancelledReason(mark.reason) }], ['expired', cancelledReason(mark.reason)]);
        continue;
      }
      const fix = recoveryRecords(rec, now, this.config.resendUncertain);
      if (fix.length) {
        const end = fix.find((f) => f.t === 'end');
        await this.commit(rec, fix, end && end.t === 'end' ? [end.state === 'uncertain' ? 'uncertain' : 'failed', end.reason] : undefined);
      }
      rec.mrs.forEach((mr, part) => {
        if (mr != null && rec.state === 'sent') this.reportIndex.set(rec.modem, mr, rec.job.execution_id, part);
      });
    }
    this.log.info('outbox loaded', { records: records.length, live: this.s.live.size, remembered: this.s.tombs.size });
    return this.pendingUpdates();
  }

  /** Whether new records can be written now (false after a failed write until one succeeds or the probe does). */
  get writable(): boolean {
    return this.journal.writable;
  }

  journalHealth(): JournalHealth {
    return this.journal.health();
  }

  get depth(): number {
    let n = 0;
    for (const r of this.s.live.values()) if (r.state === 'queued' || r.state === 'sending') n++;
    return n;
  }

  oldestQueuedAt(): number | undefined {
    for (const r of this.s.live.values()) if (r.state === 'queued' || r.state === 'sending') return r.receivedAt;
    return undefined;
  }

  get(id: string): OutboxEntry | undefined {
    return this.s.live.get(id);
  }

  stateOf(id: string): SendState | undefined {
    return this.s.live.get(id)?.state ?? this.s.tombs.get(id)?.state;
  }

  /** Queued jobs in arrival order. */
  *queued(): Iterable<OutboxEntry> {
    for (const r of this.s.live.values()) if (r.state === 'queued') yield r;
  }

  pendingUpdates(): ExecutionUpdate[] {
    return [...this.s.live.values()].flatMap((r) => r.unacked);
  }

  /** Record a job durably. Resolves once it is on disk: only then may the MQTT message be acknowledged. */
  async accept(job: JobRequest): Promise<AcceptResult> {
    const id = job.execution_id;
    const now = this.clock.now();
    const live = this.s.live.get(id);
    const tomb = this.s.tombs.get(id);
    if (live || tomb) {
      const state = live?.state ?? tomb?.state ?? 'queued';
      this.log.info('duplicate job', { execution_id: id, state, attempt: job.attempt });
      if (live) {
        // Tell the hub (which re-sends until it hears `accepted`) where this execution stands.
        await this.commit(live, [], ['duplicate', { code: 'duplicate', message: `execution already ${state}` }]);
      } else {
        const u = makeUpdate({ job, seq: tomb?.seq ?? 0 } as OutboxEntry, 'duplicate', now, { reason: { code: 'duplicate', message: `execution already ${state}` } });
        this.onUpdate(u);
      }
      return 'duplicate';
    }
    const ref = this.takeRef();
    const rec: JournalRecord = { t: 'job', job, at: now, ref };
    apply(this.s, rec);
    const created = this.s.live.get(id) as OutboxEntry;
    // Refused on arrival (issue 19): the job and its end are one write, so no crash can leave it queued.
    const refusal = this.refusal(job, now);
    try {
      if (refusal) await this.commit(created, [rec, { t: 'end', id, state: 'expired', at: now, reason: refusal }], ['expired', refusal]);
      else await this.commit(created, [rec], ['accepted']);
    } catch (err) {
      // Not on disk, so not accepted: forget it, or the broker's redelivery of this very job
      // would be answered `duplicate` and acknowledged, and the job lost (issue 15).
      this.s.live.delete(id);
      throw err;
    }
    if (refusal) {
      this.log.info('job refused on arrival', { execution_id: id, attempt: job.attempt, reason: refusal.code });
      this.onChange();
      return 'refused';
    }
    if (Date.parse(job.expires_at) <= now) await this.end(id, 'expired', { code: 'expired', message: `expired at ${job.expires_at} before it could be sent` });
    this.onChange();
    return 'accepted';
  }

  /** Why a job that just arrived must not be sent: cancelled before it came, or past its accept_by. */
  private refusal(job: JobRequest, now: number): FailureReason | undefined {
    const mark = this.s.cancels.get(job.execution_id);
    if (cancelCovers(mark, job.attempt)) return cancelledReason(mark.reason);
    if (job.accept_by && Date.parse(job.accept_by) <= now) {
      return { code: 'accept_deadline', message: `arrived at ${new Date(now).toISOString()}, after its accept_by ${job.accept_by}; not sent here (the hub may send it from another site)`, retryable: false };
    }
    return undefined;
  }

  /**
   * The hub cancels attempts up to `c.attempt` (issue 19). A job held and untouched by any
   * modem ends `expired` (reason `cancelled`), journaled before it takes effect; one already
   * handed to a modem is not recalled and its state is reported again; a job not seen yet is
   * refused when it comes (the cancel is journaled and kept for dedup_retention).
   */
  async cancel(c: Pick<JobCancel, 'execution_id' | 'job_id' | 'platform_id' | 'site_id' | 'attempt' | 'reason'>): Promise<CancelResult> {
    const id = c.execution_id;
    const now = this.clock.now();
    const r: JournalRecord = { t: 'cancel', id, attempt: c.attempt, at: now, ...(c.reason ? { reason: c.reason } : {}) };
    const rec = this.s.live.get(id);
    if (rec && rec.job.attempt > c.attempt) return 'ignored';
    if (rec && untouched(rec)) {
      const reason = cancelledReason(c.reason);
      await this.commit(rec, [r, { t: 'end', id, state: 'expired', at: now, reason }], ['expired', reason]);
      this.log.info('job cancelled by the hub', { execution_id: id, attempt: c.attempt });
      this.onChange();
      return 'cancelled';
    }
    if (rec) {
      const state: AgentState = rec.state === 'queued' ? 'sending' : rec.state;
      const failedReason = TERMINAL.has(rec.state) && rec.lastError ? rec.lastError : undefined;
      const refs = rec.mrs.length && rec.mrs.every((m) => m != null) ? { message_refs: rec.mrs.map((m) => m ?? 0), parts: rec.parts } : {};
      await this.commit(rec, [r], [state, failedReason, refs]);
      this.log.info('cancel came too late: the message was already handed to a modem', { execution_id: id, state: rec.state });
      return 'too_late';
    }
    await this.journal.append([r]);
    apply(this.s, r);
    const tomb = this.s.tombs.get(id);
    if (tomb) {
      // Finished and forgotten but for its tombstone: say where it ended.
      const stub = { job: { execution_id: id, job_id: c.job_id, platform_id: c.platform_id, site_id: c.site_id, attempt: c.attempt }, seq: tomb.seq } as OutboxEntry;
      this.onUpdate(makeUpdate(stub, tomb.state === 'queued' ? 'failed' : tomb.state, now));
      return 'too_late';
    }
    this.log.info('cancel for a job not seen yet: it will be refused when it comes', { execution_id: id, attempt: c.attempt });
    return 'remembered';
  }

  /** A part is about to go to the modem (must be on disk first). */
  async markTry(id: string, part: number, parts: number, modem?: string): Promise<void> {
    const rec = this.must(id);
    // Re-checked right before the `try` (issue 19): a cancel journaled first wins; the prompt is escaped.
    if (TERMINAL.has(rec.state)) throw new JobEndedError(id, rec.state);
    const first = rec.state === 'queued' && part === 0 && rec.tries === 0;
    const r: JournalRecord = modem ? { t: 'try', id, part, parts, at: this.clock.now(), modem } : { t: 'try', id, part, parts, at: this.clock.now() };
    await this.commit(rec, [r], first ? ['sending', undefined, { parts }] : undefined);
  }

  async markPart(id: string, part: number, mr: number): Promise<void> {
    const rec = this.must(id);
    const r: JournalRecord = { t: 'part', id, part, mr, at: this.clock.now() };
    apply(this.s, r);
    const done = rec.state === 'sent';
    this.reportIndex.set(rec.modem, mr, id, part);
    await this.commit(rec, [r], done ? ['sent', undefined, { parts: rec.parts, message_refs: rec.mrs.map((m) => m ?? 0) }] : undefined, false);
    if (done) this.onChange();
    if (!done) return;
    // Reports that came before the whole message was sent (any part's TP-MR).
    for (const m of rec.mrs) {
      const early = m == null ? undefined : this.reportIndex.takeEarly(rec.modem, m);
      if (m == null || !early) continue;
      if (this.clock.now() - early.at < 600_000) await this.report(m, early.status, early.outcome, early.dischargeAt, rec.modem);
    }
  }

  /** Back off and try again; `now` (issue 19 failover: another modem takes it) without a pause. */
  async markRetry(id: string, reason: FailureReason, now = false): Promise<void> {
    const rec = this.must(id);
    const delay = now ? 0 : Math.min(this.config.retryBaseMs * 2 ** Math.max(0, rec.tries - 1), this.config.retryMaxMs);
    await this.commit(rec, [{ t: 'retry', id, at: this.clock.now(), next: this.clock.now() + delay, reason }]);
    this.onChange();
  }

  async end(id: string, state: SendState, reason?: FailureReason, delivery?: ExecutionUpdate['delivery']): Promise<void> {
    const rec = this.must(id);
    const r: JournalRecord = reason ? { t: 'end', id, state, at: this.clock.now(), reason } : { t: 'end', id, state, at: this.clock.now() };
    const agentState = state === 'queued' || state === 'sending' ? 'failed' : state;
    const refs = rec.mrs.length ? { message_refs: rec.mrs.map((m) => m ?? 0), parts: rec.parts } : {};
    await this.commit(rec, [r], [agentState, reason, delivery ? { delivery, ...refs } : refs]);
    this.onChange();
  }

  /** A status report (TS 23.040 TP-ST) for TP-MR `mr`, read from `modem`. */
  async report(mr: number, status: number, outcome: ReportOutcome, dischargeAt?: string, modem?: string): Promise<boolean> {
    const hit = this.reportIndex.get(modem, mr);
    const rec = hit && this.s.live.get(hit.id);
    if (!hit || !rec || rec.state !== 'sent') {
      // Maybe the report beat the +CMGS answer: keep it a while for the part that will claim this TP-MR.
      this.reportIndex.keepEarly(modem, mr, { status, outcome, ...(dischargeAt ? { dischargeAt } : {}), at: this.clock.now() });
      return false;
    }
    if (outcome === 'pending') return true;
    const r: JournalRecord = { t: 'report', id: hit.id, part: hit.part, status, at: this.clock.now() };
    apply(this.s, r);
    const reports = rec.reports.slice(0, rec.parts);
    const failed = reports.some((st) => st != null && st >= 0x40);
    const complete = reports.length >= rec.parts && reports.every((st) => st != null);
    await this.journal.append([r]);
    const delivery = { status, ...(dischargeAt ? { discharge_at: dischargeAt } : {}) };
    if (failed) await this.end(hit.id, 'not_delivered', { code: 'not_delivered', message: `the SMS centre reports status 0x${status.toString(16)} (not delivered)` }, delivery);
    else if (complete) await this.end(hit.id, 'delivered', undefined, delivery);
    return true;
  }

  /** The broker acknowledged an update: no need to publish it again. Not fsynced (a loss only re-publishes). */
  ackUpdate(id: string, seq: number): void {
    const rec = this.s.live.get(id);
    if (!rec) return;
    const r: JournalRecord = { t: 'ack', id, seq };
    apply(this.s, r);
    void this.journal.append([r]).catch((err: unknown) => this.log.warn('journal append failed', { err: (err as Error).message }));
  }

  /** End queued jobs that passed their deadline; forget settled ones; compact when worthwhile. */
  async housekeeping(): Promise<void> {
    const now = this.clock.now();
    for (const rec of [...this.s.live.values()]) {
      if (rec.state === 'queued' && Date.parse(rec.job.expires_at) <= now) {
        await this.end(rec.job.execution_id, 'expired', { code: 'expired', message: `expired at ${rec.job.expires_at} before it could be sent${rec.lastError ? ` (last error: ${rec.lastError.message})` : ''}` });
      }
    }
    for (const rec of [...this.s.live.values()]) {
      // No status report came: close the execution as `sent` so the hub hears a last word.
      if (rec.state === 'sent' && rec.job.status_report && rec.endedAt === undefined && now - (rec.sentAt ?? now) >= this.config.reportWaitMs) {
        const waited = Math.round(this.config.reportWaitMs / 3_600_000);
        await this.end(rec.job.execution_id, 'sent', { code: 'no_status_report', message: `sent, but no status report came within ${waited} h`, retryable: false }, undefined);
      }
    }
    for (const [id, t] of this.s.tombs) if (now - t.at > this.config.dedupRetentionMs) this.s.tombs.delete(id);
    for (const [id, c] of this.s.cancels) if (now - c.at > this.config.dedupRetentionMs) this.s.cancels.delete(id);
    if (this.journal.size > this.config.compactBytes && this.journal.size > 2 * this.liveBytes) await this.compact();
  }

  /** Rewrite the journal with live records and tombstones only. */
  compact(): Promise<void> {
    this.compacting ??= (async () => {
      await this.journal.compact(compactRecords(this.s, this.clock.now(), this.config.reportWaitMs));
      this.liveBytes = this.journal.size;
      this.log.info('journal compacted', { bytes: this.journal.size, live: this.s.live.size, remembered: this.s.tombs.size });
    })().finally(() => {
      this.compacting = undefined;
    });
    return this.compacting;
  }

  private must(id: string): OutboxEntry {
    const rec = this.s.live.get(id);
    if (!rec) throw new Error(`no execution ${id} in the outbox`);
    return rec;
  }

  /**
   * Apply (unless already applied) and journal records plus, optionally, the update they
   * produce; publish the update once it is on disk.
   */
  private async commit(rec: OutboxEntry, records: JournalRecord[], update?: [ExecutionUpdate['state'], FailureReason?, Partial<ExecutionUpdate>?], applyNow = true): Promise<void> {
    // What the records change in memory is undone when they cannot be written: memory never
    // runs ahead of the journal (a failed `try` must not leave the job `sending` forever).
    const before = applyNow ? structuredClone(rec) : undefined;
    if (applyNow) for (const r of records) if (r.t !== 'job') apply(this.s, r);
    const all = [...records];
    let u: ExecutionUpdate | undefined;
    if (update) {
      const [state, reason, extra] = update;
      u = makeUpdate(rec, state, this.clock.now(), { ...(extra ?? {}), ...(reason ? { reason } : {}) });
      const ur: JournalRecord = { t: 'upd', id: rec.job.execution_id, u };
      apply(this.s, ur);
      all.push(ur);
    }
    try {
      await this.journal.append(all);
    } catch (err) {
      if (before) Object.assign(rec, before);
      else if (u) rec.unacked = rec.unacked.filter((x) => x !== u);
      throw err;
    }
    if (u) this.onUpdate(u);
  }
}
