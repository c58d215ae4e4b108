// The send loop does not wait for an accepted part's record to reach the disk (one flush per
// SMS instead of two), so these tests check the order that keeps exactly-once intact: before
// any PDU goes to the modem, the `try` for it and every earlier `part` record are in the journal
// file; a `sent` update is published only once it is in the file; a crash right after a PDU
// whose `part` record was not yet written leaves that part `uncertain`, never resent.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type ExecutionUpdate, examples } from '../../hub/common/contract/index.js';
import { silentLogger } from '../../hub/common/log.js';
import type { SendHooks } from '../../agent/modem/driver.js';
import { Journal } from '../../agent/outbox/journal.js';
import { Outbox, type OutboxConfig } from '../../agent/outbox/outbox.js';
import { Pacer } from '../../agent/outbox/pacing.js';
import { Sender, type SmsPort } from '../../agent/outbox/sender.js';
import type { JournalRecord } from '../../agent/outbox/state.js';
import type { SubmitPdu } from '../../agent/sms/submit.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const config: OutboxConfig = { resendUncertain: false, maxTries: 3, retryBaseMs: 10, retryMaxMs: 100, reportWaitMs: 3_600_000, dedupRetentionMs: 86_400_000, compactBytes: 1e12 };

function onDisk(path: string): JournalRecord[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as JournalRecord);
}

/** A modem that checks the journal file at the moment each PDU would leave. */
class CheckingModem implements SmsPort {
  readonly isUp = true;
  readonly seen: Array<{ id: string; part: number; triesOnDisk: number; partsOnDisk: string[] }> = [];
  private mr = 0;
  current = '';
  /** Stop (as a crash would) right after this many PDUs were handed over. */
  crashAfter = Infinity;
  constructor(private readonly path: string) {}

  async sendParts(parts: SubmitPdu[], hooks: SendHooks, startAt: number): Promise<number[]> {
    const refs: number[] = [];
    for (let i = startAt; i < parts.length; i++) {
      await hooks.beforePart(i);
      const recs = onDisk(this.path);
      this.seen.push({
        id: this.current,
        part: i,
        triesOnDisk: recs.filter((r) => r.t === 'try' && r.id === this.current && r.part === i).length,
        partsOnDisk: recs.filter((r) => r.t === 'part').map((r) => (r.t === 'part' ? `${r.id}#${r.part}` : '')),
      });
      if (this.seen.length >= this.crashAfter) return new Promise<number[]>(() => undefined);
      const mr = this.mr++;
      await hooks.afterPart(i, mr);
      refs.push(mr);
    }
    return refs;
  }
}

async function rig() {
  const dir = mkdtempSync(join(tmpdir(), 'gsmjobs-durable-'));
  dirs.push(dir);
  const path = join(dir, 'outbox.jsonl');
  const outbox = new Outbox(new Journal<JournalRecord>(path), config);
  const published: Array<{ u: ExecutionUpdate; inFile: boolean }> = [];
  outbox.onUpdate = (u) => published.push({ u, inFile: onDisk(path).some((r) => r.t === 'upd' && r.u.execution_id === u.execution_id && r.u.seq === u.seq) });
  await outbox.load();
  const modem = new CheckingModem(path);
  const sender = new Sender({ outbox, modem, pacer: new Pacer(0, 0), config: { maxParts: 6, maxTries: 3, resendUncertain: false }, log: silentLogger });
  const exp = new Date(Date.now() + 3_600_000).toISOString();
  return { path, outbox, modem, sender, published, exp };
}

describe('Sender journal order', () => {
  it('has every earlier part record on disk before the next PDU leaves, and publishes only what is on disk', async () => {
    const { outbox, modem, sender, published, exp } = await rig();
    // Three parts (UCS2, 70+ chars per part), then a single-part job.
    await outbox.accept({ ...examples.exampleJob, execution_id: 'long', text: 'Ж'.repeat(150), expires_at: exp });
    await outbox.accept({ ...examples.exampleJob, execution_id: 'short', expires_at: exp });
    for (const rec of [...outbox.queued()]) {
      modem.current = rec.job.execution_id;
      expect(await sender.sendOne(rec)).toBe('sent');
    }
    await sender.settled();
    expect(modem.seen.map((s) => `${s.id}#${s.part}`)).toEqual(['long#0', 'long#1', 'long#2', 'short#0']);
    for (const s of modem.seen) expect(s.triesOnDisk, `try for ${s.id}#${s.part} on disk`).toBeGreaterThan(0);
    expect(modem.seen.map((s) => s.partsOnDisk)).toEqual([[], ['long#0'], ['long#0', 'long#1'], ['long#0', 'long#1', 'long#2']]);
    expect(published.map((p) => `${p.u.execution_id}:${p.u.state}`)).toEqual(['long:accepted', 'short:accepted', 'long:sending', 'long:sent', 'short:sending', 'short:sent']);
    expect(published.every((p) => p.inFile)).toBe(true);
  });

  it('after a crash between a PDU and its part record, reports the part uncertain instead of resending it', async () => {
    const { path, outbox, modem, sender, exp } = await rig();
    await outbox.accept({ ...examples.exampleJob, execution_id: 'a', expires_at: exp });
    await outbox.accept({ ...examples.exampleJob, execution_id: 'b', expires_at: exp });
    modem.crashAfter = 2;
    const [a, b] = [...outbox.queued()];
    if (!a || !b) throw new Error('missing jobs');
    modem.current = 'a';
    await sender.sendOne(a);
    modem.current = 'b';
    void sender.sendOne(b); // b's PDU is "in the modem" when the power goes
    await new Promise((r) => setTimeout(r, 50));
    const after = new Outbox(new Journal<JournalRecord>(path), config);
    const replayed = await after.load();
    expect(after.stateOf('a')).toBe('sent');
    expect(after.stateOf('b')).toBe('uncertain');
    expect([...after.queued()]).toHaveLength(0);
    expect(replayed.filter((u) => u.execution_id === 'b').map((u) => u.state)).toContain('uncertain');
  });
});
