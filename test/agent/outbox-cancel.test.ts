// Issue 19, agent side: the hub's cancel and a job's accept_by. A held job untouched by any modem
// ends `expired` (cancelled); one already handed to a modem is not recalled; a cancel that beats
// its job is remembered durably and refuses the job; the sender re-checks right before its `try`.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type ExecutionUpdate, type JobRequest, examples } from '../../hub/common/contract/index.js';
import type { Clock } from '../../hub/common/clock.js';
import { silentLogger } from '../../hub/common/log.js';
import { Journal } from '../../agent/outbox/journal.js';
import { Outbox, type OutboxConfig } from '../../agent/outbox/outbox.js';
import { Pacer } from '../../agent/outbox/pacing.js';
import { Sender, type SmsPort } from '../../agent/outbox/sender.js';
import type { JournalRecord } from '../../agent/outbox/state.js';

const dirs: string[] = [];
const journals: Journal<JournalRecord>[] = [];
afterEach(async () => {
  for (const j of journals.splice(0)) await j.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

let t = Date.parse('2026-11-25T08:30:00.000Z');
const clock: Clock = { now: () => t, setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) };
const config: OutboxConfig = { resendUncertain: false, maxTries: 3, retryBaseMs: 1000, retryMaxMs: 60_000, reportWaitMs: 3_600_000, dedupRetentionMs: 86_400_000, compactBytes: 1 };

function path(): string {
  const d = mkdtempSync(join(tmpdir(), 'gsmjobs-cancel-'));
  dirs.push(d);
  return join(d, 'outbox.jsonl');
}

function job(n: number, extra: Partial<JobRequest> = {}): JobRequest {
  return { ...examples.exampleJob, execution_id: `exec-${n}`, attempt: 1, created_at: new Date(t - 1000).toISOString(), expires_at: new Date(t + 3_600_000).toISOString(), ...extra };
}

function cancel(n: number, attempt = 1, reason = 'moved to site b') {
  const j = examples.exampleJob;
  return { execution_id: `exec-${n}`, job_id: j.job_id, platform_id: j.platform_id, site_id: j.site_id, attempt, reason };
}

async function open(file: string) {
  const updates: ExecutionUpdate[] = [];
  const journal = new Journal<JournalRecord>(file);
  journals.push(journal);
  const o = new Outbox(journal, config, { clock });
  o.onUpdate = (u) => updates.push(u);
  await o.load();
  return { o, updates, journal };
}

const records = (file: string) => readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as JournalRecord);

describe('cancel', () => {
  it('a held job ends expired/cancelled, journaled (cancel and end in one write) before the update', async () => {
    const file = path();
    const { o, updates } = await open(file);
    await o.accept(job(1));
    expect(await o.cancel(cancel(1))).toBe('cancelled');
    expect(o.stateOf('exec-1')).toBe('expired');
    expect(updates.at(-1)).toMatchObject({ state: 'expired', reason: { code: 'cancelled', message: 'moved to site b', retryable: false } });
    expect(records(file).slice(-3).map((r) => r.t)).toEqual(['cancel', 'end', 'upd']);
    expect(o.depth).toBe(0);
  });

  it('a job already handed to a modem is not recalled: its state is reported again', async () => {
    const { o, updates } = await open(path());
    await o.accept(job(2));
    await o.markTry('exec-2', 0, 1);
    expect(await o.cancel(cancel(2))).toBe('too_late');
    expect(o.stateOf('exec-2')).toBe('sending');
    expect(updates.at(-1)).toMatchObject({ state: 'sending' });
    await o.markPart('exec-2', 0, 17);
    expect(await o.cancel(cancel(2))).toBe('too_late');
    expect(updates.at(-1)).toMatchObject({ state: 'sent', message_refs: [17] });
  });

  it('a cancel for a newer attempt than held stops it; a cancel of an older attempt leaves the newer one alone', async () => {
    const { o } = await open(path());
    await o.accept(job(3, { attempt: 2 }));
    expect(await o.cancel(cancel(3, 1))).toBe('ignored');
    expect(o.stateOf('exec-3')).toBe('queued');
    expect(await o.cancel(cancel(3, 2))).toBe('cancelled');
  });

  it('a cancel that beats its job is remembered across a restart and the job is refused when it comes', async () => {
    const file = path();
    const first = await open(file);
    expect(await first.o.cancel(cancel(4))).toBe('remembered');
    await first.journal.close();
    const { o, updates } = await open(file);
    expect(await o.accept(job(4))).toBe('refused');
    expect(updates).toHaveLength(1);
    expect(updates[0]).toMatchObject({ state: 'expired', seq: 0, reason: { code: 'cancelled', message: 'moved to site b' } });
    // Job and end in one write: no crash can leave it queued.
    expect(records(file).slice(-3).map((r) => r.t)).toEqual(['job', 'end', 'upd']);
    // A later attempt (the hub sent it back here) is not covered by the old cancel.
    expect(await o.accept(job(5, { attempt: 2 }))).toBe('accepted');
  });

  it('the remembered cancel survives compaction and is forgotten after dedup_retention', async () => {
    const file = path();
    const { o, journal } = await open(file);
    await o.cancel(cancel(6));
    await o.compact();
    expect(records(file)).toEqual([expect.objectContaining({ t: 'cancel', id: 'exec-6', attempt: 1 })]);
    await journal.close();
    const again = await open(file);
    expect(await again.o.accept(job(6))).toBe('refused');
    t += config.dedupRetentionMs + 1;
    await again.o.cancel(cancel(7));
    t += config.dedupRetentionMs + 1;
    await again.o.housekeeping();
    expect(await again.o.accept(job(7))).toBe('accepted');
  });

  it('a cancel whose end record was torn by a crash still wins after the restart', async () => {
    const file = path();
    const first = await open(file);
    await first.o.accept(job(8));
    await first.journal.close();
    // The crash left the cancel on disk, not its end.
    const j = new Journal<JournalRecord>(file);
    await j.open();
    await j.append([{ t: 'cancel', id: 'exec-8', attempt: 1, at: t }]);
    await j.close();
    const { o, updates } = await open(file);
    expect(o.stateOf('exec-8')).toBe('expired');
    expect(updates.at(-1)).toMatchObject({ state: 'expired', reason: { code: 'cancelled' } });
  });
});

describe('accept_by', () => {
  it('a job that arrives after its accept_by is journaled and reported expired (accept_deadline), never queued', async () => {
    const file = path();
    const { o, updates } = await open(file);
    expect(await o.accept(job(10, { accept_by: new Date(t - 1).toISOString() }))).toBe('refused');
    expect(o.stateOf('exec-10')).toBe('expired');
    expect(updates).toEqual([expect.objectContaining({ state: 'expired', reason: expect.objectContaining({ code: 'accept_deadline', retryable: false }) })]);
    expect(o.depth).toBe(0);
    // The redelivered job is a duplicate of an expired execution, not a new one.
    expect(await o.accept(job(10, { accept_by: new Date(t - 1).toISOString() }))).toBe('duplicate');
    expect(await o.accept(job(11, { accept_by: new Date(t + 60_000).toISOString() }))).toBe('accepted');
  });
});

describe('sender re-checks the cancel right before its try', () => {
  it('a cancel that lands while the modem prompt is awaited stops the PDU; the try is never journaled', async () => {
    const file = path();
    const { o, updates } = await open(file);
    await o.accept(job(20));
    const written: string[] = [];
    const modem: SmsPort = {
      isUp: true,
      async sendParts(parts, hooks, startAt) {
        // The prompt is awaited; meanwhile the hub's cancel is journaled.
        await o.cancel(cancel(20));
        await hooks.beforePart(startAt);
        written.push(parts[startAt]?.hex ?? '');
        return [1];
      },
    };
    const sender = new Sender({ outbox: o, modem, pacer: new Pacer(0, 0), config: { maxParts: 6, maxTries: 3, resendUncertain: false }, log: silentLogger, clock });
    const rec = o.get('exec-20');
    expect(rec).toBeDefined();
    expect(await sender.sendOne(rec as NonNullable<typeof rec>)).toBe('expired');
    expect(written).toEqual([]);
    expect(records(file).some((r) => r.t === 'try')).toBe(false);
    expect(updates.map((u) => u.state)).toEqual(['accepted', 'expired']);
  });
});
