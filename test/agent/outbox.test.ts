// The durable outbox: journaled before acknowledged, de-duplicated, expired, retried, status
// reports matched by TP-MR [TS 23.040 9.2.3.15], crash recovery from the journal, compaction.
import { mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type ExecutionUpdate, type JobRequest, examples } from '../../hub/common/contract/index.js';
import type { Clock } from '../../hub/common/clock.js';
import { Journal } from '../../agent/outbox/journal.js';
import { Outbox, type OutboxConfig } from '../../agent/outbox/outbox.js';
import type { JournalRecord } from '../../agent/outbox/state.js';

const dirs: string[] = [];
const journals: Journal<JournalRecord>[] = [];
afterEach(async () => {
  for (const j of journals.splice(0)) await j.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'gsmjobs-outbox-'));
  dirs.push(d);
  return d;
}

let t = Date.parse('2026-11-25T08:30:00.000Z');
const clock: Clock = { now: () => t, setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) };
const config: OutboxConfig = { resendUncertain: false, maxTries: 3, retryBaseMs: 1000, retryMaxMs: 60_000, reportWaitMs: 3_600_000, dedupRetentionMs: 7 * 86_400_000, compactBytes: 1, };

function job(n: number, extra: Partial<JobRequest> = {}): JobRequest {
  return { ...examples.exampleJob, execution_id: `exec-${n}`, ...extra };
}

async function open(path: string, cfg: Partial<OutboxConfig> = {}) {
  const updates: ExecutionUpdate[] = [];
  const journal = new Journal<JournalRecord>(path);
  journals.push(journal);
  const o = new Outbox(journal, { ...config, ...cfg }, { clock });
  o.onUpdate = (u) => updates.push(u);
  const replay = await o.load();
  return { o, updates, replay };
}

describe('Outbox', () => {
  it('journals a job with its accepted update before resolving, and refuses a duplicate', async () => {
    const path = join(tmp(), 'outbox.jsonl');
    const { o, updates } = await open(path);
    expect(await o.accept(job(1))).toBe('accepted');
    const onDisk = readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as JournalRecord);
    expect(onDisk.map((r) => r.t)).toEqual(['job', 'upd']);
    expect(updates.map((u) => [u.state, u.seq])).toEqual([['accepted', 0]]);
    expect(await o.accept(job(1, { attempt: 2 }))).toBe('duplicate');
    expect(updates[1]).toMatchObject({ state: 'duplicate', seq: 1, reason: { message: 'execution already queued' } });
    expect(o.depth).toBe(1);
  });

  it('a job whose journal write failed is not kept: its redelivery is accepted, not called a duplicate (issue 15)', async () => {
    const path = join(tmp(), 'outbox.jsonl');
    class FailingOnce extends Journal<JournalRecord> {
      failNext = false;
      override append(records: JournalRecord[]): Promise<void> {
        if (this.failNext) {
          this.failNext = false;
          return Promise.reject(new Error('ENOSPC: no space left on device'));
        }
        return super.append(records);
      }
    }
    const journal = new FailingOnce(path);
    journals.push(journal);
    const updates: ExecutionUpdate[] = [];
    const o = new Outbox(journal, config, { clock });
    o.onUpdate = (u) => updates.push(u);
    await o.load();
    journal.failNext = true;
    await expect(o.accept(job(1))).rejects.toThrow(/ENOSPC/);
    expect(o.depth).toBe(0);
    expect(updates).toEqual([]);
    // The broker delivers the unacknowledged job again.
    expect(await o.accept(job(1, { attempt: 2 }))).toBe('accepted');
    // A `try` that could not be written leaves the job queued, so the send loop picks it again.
    journal.failNext = true;
    await expect(o.markTry('exec-1', 0, 1)).rejects.toThrow(/ENOSPC/);
    expect(o.stateOf('exec-1')).toBe('queued');
    const again = await open(path);
    expect(again.o.stateOf('exec-1')).toBe('queued');
  });

  it('walks queued -> sending -> sent -> delivered with ordered updates', async () => {
    const { o, updates } = await open(join(tmp(), 'j'));
    await o.accept(job(1));
    await o.markTry('exec-1', 0, 2);
    await o.markPart('exec-1', 0, 17);
    await o.markTry('exec-1', 1, 2);
    await o.markPart('exec-1', 1, 18);
    expect(o.stateOf('exec-1')).toBe('sent');
    expect(await o.report(17, 0, 'delivered', '2026-11-25T08:30:08.000Z')).toBe(true);
    expect(o.stateOf('exec-1')).toBe('sent');
    expect(await o.report(99, 0, 'delivered')).toBe(false);
    await o.report(18, 0, 'delivered');
    expect(updates.map((u) => u.state)).toEqual(['accepted', 'sending', 'sent', 'delivered']);
    expect(updates.map((u) => u.seq)).toEqual([0, 1, 2, 3]);
    expect(updates[2]).toMatchObject({ parts: 2, message_refs: [17, 18] });
    expect(updates[3]).toMatchObject({ delivery: { status: 0 } });
  });

  it('reports not_delivered when the SMSC gives up [TS 23.040 9.2.3.15]', async () => {
    const { o, updates } = await open(join(tmp(), 'j'));
    await o.accept(job(1));
    await o.markTry('exec-1', 0, 1);
    await o.markPart('exec-1', 0, 5);
    await o.report(5, 0x30, 'pending');
    expect(o.stateOf('exec-1')).toBe('sent');
    await o.report(5, 0x41, 'failed');
    expect(updates.at(-1)).toMatchObject({ state: 'not_delivered', delivery: { status: 0x41 } });
  });

  it('keeps a status report that beats the +CMGS answer until the part claims its TP-MR', async () => {
    const { o, updates } = await open(join(tmp(), 'j'));
    await o.accept(job(1));
    await o.markTry('exec-1', 0, 1);
    expect(await o.report(33, 0, 'delivered')).toBe(false);
    await o.markPart('exec-1', 0, 33);
    expect(updates.map((u) => u.state)).toEqual(['accepted', 'sending', 'sent', 'delivered']);
  });

  it('applies a report for the first part that came while the second part was being sent', async () => {
    const { o, updates } = await open(join(tmp(), 'j'));
    await o.accept(job(1));
    await o.markTry('exec-1', 0, 2);
    await o.markPart('exec-1', 0, 40);
    await o.markTry('exec-1', 1, 2);
    await o.report(40, 0, 'delivered');
    await o.markPart('exec-1', 1, 41);
    await o.report(41, 0, 'delivered');
    expect(updates.map((u) => u.state)).toEqual(['accepted', 'sending', 'sent', 'delivered']);
  });

  it('closes a sent execution whose status report never came, so the hub hears a last word', async () => {
    const { o, updates } = await open(join(tmp(), 'j'), { reportWaitMs: 1000 });
    await o.accept(job(1));
    await o.markTry('exec-1', 0, 1);
    await o.markPart('exec-1', 0, 9);
    await o.housekeeping();
    expect(updates.at(-1)?.state).toBe('sent');
    t += 1000;
    await o.housekeeping();
    t -= 1000;
    expect(updates.at(-1)).toMatchObject({ state: 'sent', seq: 3, message_refs: [9], reason: { code: 'no_status_report' } });
    expect(o.get('exec-1')?.endedAt).toBeDefined();
  });

  it('expires a job past its deadline instead of sending it', async () => {
    const { o, updates } = await open(join(tmp(), 'j'));
    await o.accept(job(1, { expires_at: '2026-11-25T08:31:00.000Z' }));
    t += 61_000;
    await o.housekeeping();
    expect(updates.at(-1)).toMatchObject({ state: 'expired', reason: { code: 'expired' } });
    expect(o.depth).toBe(0);
    t -= 61_000;
  });

  it('after a crash: a part handed to the modem without answer is uncertain, never resent', async () => {
    const path = join(tmp(), 'j');
    const a = await open(path);
    await a.o.accept(job(1));
    await a.o.accept(job(2));
    await a.o.accept(job(3));
    await a.o.markTry('exec-1', 0, 1); // in the modem when the power went
    await a.o.markTry('exec-2', 0, 1);
    await a.o.markPart('exec-2', 0, 7); // accepted by the modem
    // crash: reopen the same journal without closing
    const b = await open(path);
    expect(b.o.stateOf('exec-1')).toBe('uncertain');
    expect(b.o.stateOf('exec-2')).toBe('sent');
    expect(b.o.stateOf('exec-3')).toBe('queued');
    expect(b.updates.filter((u) => u.execution_id === 'exec-1').map((u) => u.state)).toEqual(['uncertain']);
    // every update not acknowledged by the broker is pending for re-publication
    expect(b.replay.map((u) => `${u.execution_id}:${u.state}`)).toEqual(
      expect.arrayContaining(['exec-1:accepted', 'exec-1:sending', 'exec-1:uncertain', 'exec-2:sent', 'exec-3:accepted']),
    );
    expect([...b.o.queued()].map((r) => r.job.execution_id)).toEqual(['exec-3']);
  });

  it('resends an uncertain part when the config says so', async () => {
    const path = join(tmp(), 'j');
    const a = await open(path);
    await a.o.accept(job(1));
    await a.o.markTry('exec-1', 0, 1);
    const b = await open(path, { resendUncertain: true });
    expect(b.o.stateOf('exec-1')).toBe('queued');
  });

  it('continues a multipart message after the parts already accepted', async () => {
    const path = join(tmp(), 'j');
    const a = await open(path);
    await a.o.accept(job(1));
    await a.o.markTry('exec-1', 0, 3);
    await a.o.markPart('exec-1', 0, 1);
    const b = await open(path);
    const rec = b.o.get('exec-1');
    expect(rec?.state).toBe('queued');
    expect(rec?.mrs).toEqual([1]);
  });

  it('ignores a torn last line and keeps acked updates acked', async () => {
    const path = join(tmp(), 'j');
    const a = await open(path);
    await a.o.accept(job(1));
    a.o.ackUpdate('exec-1', 0);
    await a.o.accept(job(2));
    appendFileSync(path, '{"t":"job","job":{"v":1');
    const b = await open(path);
    expect(b.replay.map((u) => u.execution_id)).toEqual(['exec-2']);
    expect(b.o.depth).toBe(2);
  });

  it('compacts settled executions into tombstones that still refuse duplicates', async () => {
    const path = join(tmp(), 'j');
    const a = await open(path);
    for (let i = 0; i < 20; i++) await a.o.accept(job(i, { status_report: false }));
    for (let i = 0; i < 10; i++) {
      await a.o.markTry(`exec-${i}`, 0, 1);
      await a.o.markPart(`exec-${i}`, 0, i);
      for (const u of a.o.pendingUpdates().filter((x) => x.execution_id === `exec-${i}`)) a.o.ackUpdate(u.execution_id, u.seq);
    }
    const before = readFileSync(path).length;
    await a.o.compact();
    const after = readFileSync(path, 'utf8');
    expect(after.length).toBeLessThan(before);
    expect(after.match(/"t":"tomb"/g)).toHaveLength(10);
    const b = await open(path);
    expect(b.o.depth).toBe(10);
    expect(await b.o.accept(job(3))).toBe('duplicate');
    expect(b.updates.at(-1)).toMatchObject({ state: 'duplicate', reason: { message: 'execution already sent' } });
    writeFileSync(join(tmp(), 'unused'), '');
  });
});

describe('Journal', () => {
  it('writes appends made during a compaction to the new file', async () => {
    const path = join(tmp(), 'j');
    const j = new Journal<{ n: number }>(path);
    await j.open();
    await j.append([{ n: 1 }, { n: 2 }]);
    const compaction = j.compact([{ n: 2 }]);
    const late = j.append([{ n: 3 }]);
    await Promise.all([compaction, late]);
    await j.append([{ n: 4 }]);
    await j.close();
    const again = new Journal<{ n: number }>(path);
    expect((await again.open()).map((r) => r.n)).toEqual([2, 3, 4]);
    await again.close();
  });
});
