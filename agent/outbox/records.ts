// The schema of every journal record (one JSON object per line of outbox.jsonl). Loading checks
// each line against it, so a record damaged on disk (a flipped byte, a half-written line, a
// field that is null or out of range) is skipped and named instead of crashing the agent or,
// worse, changing a job's state (`{"t":"end","state":"bogus"}` must never end a live job).
import { z } from 'zod';
import { executionUpdate, failureReason, jobRequest } from '#common/contract/index.js';
import type { RecordCheck } from './load.js';
import type { JournalRecord } from './state.js';

const id = z.string().min(1);
const time = z.number().finite();
const index = z.number().int().min(0);
const jobState = z.enum(['queued', 'sending', 'sent', 'delivered', 'not_delivered', 'failed', 'expired', 'uncertain']);
const mr = z.number().int().min(0).max(255);

const jobRecord = z.object({
  job: jobRequest,
  receivedAt: time,
  state: jobState,
  ref: z.number().int().min(0).max(255),
  tries: index,
  nextTryAt: time,
  mrs: z.array(mr.nullable()),
  parts: index,
  inFlight: index.optional(),
  reports: z.array(z.number().int().min(0).max(255).nullable()),
  seq: z.number().int().min(-1),
  unacked: z.array(executionUpdate),
  sentAt: time.optional(),
  endedAt: time.optional(),
  lastError: failureReason.optional(),
  modem: z.string().min(1).max(32).optional(),
});

export const journalRecord = z.discriminatedUnion('t', [
  z.object({ t: z.literal('job'), job: jobRequest, at: time, ref: z.number().int().min(0).max(255) }),
  z.object({ t: z.literal('try'), id, part: index, parts: z.number().int().min(1), at: time, modem: z.string().min(1).max(32).optional() }),
  z.object({ t: z.literal('part'), id, part: index, mr, at: time }),
  z.object({ t: z.literal('retry'), id, at: time, next: time, reason: failureReason }),
  z.object({ t: z.literal('end'), id, state: jobState, at: time, reason: failureReason.optional() }),
  z.object({ t: z.literal('report'), id, part: index, status: z.number().int().min(0).max(255), at: time }),
  z.object({ t: z.literal('upd'), id, u: executionUpdate }),
  z.object({ t: z.literal('ack'), id, seq: z.number().int().min(0) }),
  z.object({ t: z.literal('snap'), r: jobRecord }),
  z.object({ t: z.literal('tomb'), id, state: jobState, at: time, seq: z.number().int().optional() }),
  z.object({ t: z.literal('cancel'), id, attempt: z.number().int().min(1), at: time, reason: z.string().max(200).optional() }),
]);

/** The execution id a raw (possibly damaged) record names, if any. */
export function executionIdOf(raw: unknown, line: string): string | undefined {
  if (raw && typeof raw === 'object') {
    const o = raw as { id?: unknown; job?: { execution_id?: unknown }; r?: { job?: { execution_id?: unknown } }; u?: { execution_id?: unknown } };
    for (const v of [o.id, o.job?.execution_id, o.r?.job?.execution_id, o.u?.execution_id]) if (typeof v === 'string' && v) return v.slice(0, 64);
  }
  // Unparseable: look for an id in the text itself.
  const m = /"(?:execution_id|id)"\s*:\s*"([A-Za-z0-9_-]{1,64})"/.exec(line);
  return m?.[1];
}

/** Check one parsed journal line. */
export function checkRecord(raw: unknown, line: string): RecordCheck<JournalRecord> {
  const r = journalRecord.safeParse(raw);
  if (r.success) return { ok: true, value: r.data as JournalRecord };
  const issue = r.error.issues[0];
  const where = issue?.path.length ? issue.path.join('.') : 'record';
  const reason = `${where}: ${issue?.message ?? 'invalid'}`;
  const named = executionIdOf(raw, line);
  return named ? { ok: false, reason, id: named } : { ok: false, reason };
}
