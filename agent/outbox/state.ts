// The outbox's state per execution, as a pure reducer over journal records. Replaying the
// journal after a crash gives back exactly the state the agent had acknowledged, so recovery
// rules (a part handed to the modem without an answer is `uncertain`) are decided from data.
import type { AgentState, ExecutionUpdate, FailureReason, JobRequest } from '#common/contract/index.js';

export type SendState = 'queued' | 'sending' | 'sent' | 'delivered' | 'not_delivered' | 'failed' | 'expired' | 'uncertain';
export const TERMINAL: ReadonlySet<SendState> = new Set(['delivered', 'not_delivered', 'failed', 'expired', 'uncertain']);

export interface OutboxEntry {
  job: JobRequest;
  receivedAt: number;
  state: SendState;
  /** Concatenation reference shared by every part (kept so a resumed message matches). */
  ref: number;
  /** Send attempts started. */
  tries: number;
  nextTryAt: number;
  /** TP-MR of each part accepted by the modem, by part index. */
  mrs: Array<number | null>;
  parts: number;
  /** Part handed to the modem whose answer has not been journaled. */
  inFlight?: number;
  /** TP-ST per part index once its status report came. */
  reports: Array<number | null>;
  /** Seq of the last update produced; -1 before `accepted`. */
  seq: number;
  /** Updates journaled but not yet acknowledged by the broker. */
  unacked: ExecutionUpdate[];
  sentAt?: number;
  endedAt?: number;
  lastError?: FailureReason;
  /** The modem of the last `try` (issue 19): the rest of a multipart message and its reports follow it. */
  modem?: string;
}

/** What the journal holds, one JSON object per line. */
export type JournalRecord =
  | { t: 'job'; job: JobRequest; at: number; ref: number }
  /** Written after the modem's `> ` prompt, just before the part's PDU bytes go out. */
  | { t: 'try'; id: string; part: number; parts: number; at: number; modem?: string }
  | { t: 'part'; id: string; part: number; mr: number; at: number }
  | { t: 'retry'; id: string; at: number; next: number; reason: FailureReason }
  | { t: 'end'; id: string; state: SendState; at: number; reason?: FailureReason }
  | { t: 'report'; id: string; part: number; status: number; at: number }
  | { t: 'upd'; id: string; u: ExecutionUpdate }
  | { t: 'ack'; id: string; seq: number }
  | { t: 'snap'; r: OutboxEntry }
  | { t: 'tomb'; id: string; state: SendState; at: number; seq?: number }
  /**
   * The hub cancelled attempts up to `attempt` (issue 19). Journaled whether or not the job is
   * here yet: a cancel that beats its job is remembered (for dedup_retention) and refuses it.
   */
  | { t: 'cancel'; id: string; attempt: number; at: number; reason?: string };

export interface Tombstone {
  state: SendState;
  at: number;
  seq: number;
}

export interface CancelMark {
  /** Every attempt up to and including this one is cancelled. */
  attempt: number;
  at: number;
  reason?: string;
}

export interface OutboxState {
  live: Map<string, OutboxEntry>;
  /** Finished executions remembered for de-duplication. */
  tombs: Map<string, Tombstone>;
  /** Cancels from the hub by execution id (issue 19), kept for dedup_retention. */
  cancels: Map<string, CancelMark>;
}

export function emptyState(): OutboxState {
  return { live: new Map(), tombs: new Map(), cancels: new Map() };
}

/** Nothing of the message reached a modem: no part in flight and no part accepted (a cancel may still stop it). */
export function untouched(rec: OutboxEntry): boolean {
  return rec.state === 'queued' && rec.inFlight === undefined && rec.mrs.every((m) => m == null);
}

/** Whether a cancel mark covers this job's attempt. */
export function cancelCovers(mark: CancelMark | undefined, attempt: number): mark is CancelMark {
  return mark !== undefined && mark.attempt >= attempt;
}

export function newRecord(job: JobRequest, at: number, ref: number): OutboxEntry {
  return { job, receivedAt: at, state: 'queued', ref, tries: 0, nextTryAt: at, mrs: [], parts: 0, reports: [], seq: -1, unacked: [] };
}

/** Apply one journal record (mutates the state for speed; replay is the only writer). */
export function apply(s: OutboxState, r: JournalRecord): void {
  if (r.t === 'job') {
    if (!s.live.has(r.job.execution_id) && !s.tombs.has(r.job.execution_id)) s.live.set(r.job.execution_id, newRecord(r.job, r.at, r.ref));
    return;
  }
  if (r.t === 'snap') {
    s.live.set(r.r.job.execution_id, r.r);
    return;
  }
  if (r.t === 'cancel') {
    const had = s.cancels.get(r.id);
    if (!had || had.attempt < r.attempt) s.cancels.set(r.id, { attempt: r.attempt, at: r.at, ...(r.reason ? { reason: r.reason } : {}) });
    return;
  }
  if (r.t === 'tomb') {
    s.live.delete(r.id);
    s.tombs.set(r.id, { state: r.state, at: r.at, seq: r.seq ?? 0 });
    return;
  }
  const rec = s.live.get(r.id);
  if (!rec) return;
  switch (r.t) {
    case 'try':
      rec.state = 'sending';
      rec.parts = r.parts;
      rec.inFlight = r.part;
      if (r.modem) rec.modem = r.modem;
      if (r.part === 0 || rec.mrs.length === 0) rec.tries++;
      return;
    case 'part':
      rec.mrs[r.part] = r.mr;
      rec.reports[r.part] = rec.reports[r.part] ?? null;
      delete rec.inFlight;
      if (rec.mrs.filter((m) => m != null).length >= rec.parts) {
        rec.state = 'sent';
        rec.sentAt = r.at;
      }
      return;
    case 'retry':
      rec.state = 'queued';
      rec.nextTryAt = r.next;
      rec.lastError = r.reason;
      delete rec.inFlight;
      return;
    case 'end':
      rec.state = r.state;
      rec.endedAt = r.at;
      delete rec.inFlight;
      if (r.reason) rec.lastError = r.reason;
      return;
    case 'report':
      rec.reports[r.part] = r.status;
      return;
    case 'upd':
      rec.seq = Math.max(rec.seq, r.u.seq);
      rec.unacked.push(r.u);
      return;
    case 'ack':
      rec.unacked = rec.unacked.filter((u) => u.seq !== r.seq);
      return;
  }
}

/** Finished: terminal (or sent with no report to wait for) and the hub has every update. */
export function isSettled(rec: OutboxEntry, now: number, reportWaitMs: number): boolean {
  if (rec.unacked.length) return false;
  if (TERMINAL.has(rec.state)) return true;
  if (rec.state !== 'sent') return false;
  if (!rec.job.status_report || rec.endedAt !== undefined) return true;
  return now - (rec.sentAt ?? now) >= reportWaitMs;
}

/** Settle what is finished into tombstones (mutates `s`) and list what a compacted journal holds. */
export function compactRecords(s: OutboxState, now: number, reportWaitMs: number): JournalRecord[] {
  for (const [id, rec] of [...s.live]) {
    if (isSettled(rec, now, reportWaitMs)) {
      s.live.delete(id);
      s.tombs.set(id, { state: rec.state, at: rec.endedAt ?? rec.sentAt ?? now, seq: rec.seq });
    }
  }
  const out: JournalRecord[] = [];
  for (const [id, t] of s.tombs) out.push({ t: 'tomb', id, state: t.state, at: t.at, seq: t.seq });
  for (const [id, c] of s.cancels) out.push({ t: 'cancel', id, attempt: c.attempt, at: c.at, ...(c.reason ? { reason: c.reason } : {}) });
  for (const r of s.live.values()) out.push({ t: 'snap', r });
  return out;
}

/** Build the next update of an execution. */
export function makeUpdate(rec: OutboxEntry, state: AgentState, at: number, extra: Partial<ExecutionUpdate> = {}): ExecutionUpdate {
  const j = rec.job;
  return {
    v: 1,
    type: 'update',
    execution_id: j.execution_id,
    job_id: j.job_id,
    platform_id: j.platform_id,
    site_id: j.site_id,
    state,
    at: new Date(at).toISOString(),
    attempt: j.attempt,
    seq: rec.seq + 1,
    ...(rec.modem ? { modem: rec.modem } : {}),
    ...extra,
  };
}

/**
 * After a restart. A `try` is journaled only after the modem's `> ` prompt, immediately before
 * the part's PDU bytes are written (issue 15), so:
 * - no `try` for the job: nothing reached the modem; it is still `queued` and is sent normally;
 * - a `try` without its answer: the PDU may have gone out. It is `uncertain` (reported, never
 *   resent) unless the config says resend;
 * - every `try` answered but parts left: continue with the next part.
 * Returns the records to journal.
 */
export function recoveryRecords(rec: OutboxEntry, now: number, resendUncertainConfig: boolean): JournalRecord[] {
  const id = rec.job.execution_id;
  // The job may say so itself (issue 19: then it may go out through another modem).
  const resendUncertain = resendUncertainConfig || rec.job.resend_if_uncertain === true;
  if (rec.state !== 'sending') return [];
  if (rec.inFlight === undefined) {
    return [{ t: 'retry', id, at: now, next: now, reason: { code: 'restart', message: 'the agent restarted between parts; continuing with the next part' } }];
  }
  if (resendUncertain) {
    const why = resendUncertainConfig ? 'as configured (send.resend_uncertain)' : 'as the job allows (resend_if_uncertain)';
    return [{ t: 'retry', id, at: now, next: now, reason: { code: 'restart', message: `the agent restarted while ${rec.modem ? `modem ${rec.modem}` : 'the modem'} held a part; resending ${why}` } }];
  }
  return [{ t: 'end', id, state: 'uncertain', at: now, reason: { code: 'uncertain', message: `the agent stopped after ${rec.modem ? `modem ${rec.modem}` : 'the modem'} asked for part ${rec.inFlight + 1} of ${rec.parts} (the "> " prompt) and the part was being handed over, before the modem answered; it may or may not have been sent`, retryable: false } }];
}
