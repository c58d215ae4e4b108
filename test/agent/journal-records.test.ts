// Loading trusts nothing (issue 15): each damaged journal record is skipped and named (line,
// execution id when readable, why) in the log, the metric and the journal's health; the outbox
// never throws on one; a bogus `end` never ends a live job; the damaged file is copied aside
// before anything rewrites it, while a torn last line (a crash mid-write) is no damage.
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { examples } from '../../hub/common/contract/index.js';
import { createLogger } from '../../hub/common/log.js';
import { Journal } from '../../agent/outbox/journal.js';
import { Outbox, type OutboxConfig } from '../../agent/outbox/outbox.js';
import type { JournalRecord } from '../../agent/outbox/state.js';
import { createAgentMetrics } from '../../agent/metrics.js';

const dirs: string[] = [];
const journals: Journal<JournalRecord>[] = [];
afterEach(async () => {
  for (const j of journals.splice(0)) await j.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const config: OutboxConfig = { resendUncertain: false, maxTries: 3, retryBaseMs: 1000, retryMaxMs: 60_000, reportWaitMs: 3_600_000, dedupRetentionMs: 7 * 86_400_000, compactBytes: 1 };
const at = Date.parse('2026-11-25T08:30:00.000Z');

function jobLine(id: string): string {
  return JSON.stringify({ t: 'job', job: { ...examples.exampleJob, execution_id: id }, at, ref: 7 });
}

async function load(lines: string[], tail = '\n') {
  const dir = mkdtempSync(join(tmpdir(), 'gsmjobs-records-'));
  dirs.push(dir);
  const path = join(dir, 'outbox.jsonl');
  writeFileSync(path, lines.join('\n') + tail);
  const logged: Array<Record<string, unknown>> = [];
  const log = createLogger('agent', { level: 'info', sink: { write: (l) => logged.push(JSON.parse(l) as Record<string, unknown>) } });
  const journal = new Journal<JournalRecord>(path, { now: () => at });
  journals.push(journal);
  const outbox = new Outbox(journal, config, { log, clock: { now: () => at, setTimeout, clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) } });
  await outbox.load();
  return { dir, path, journal, outbox, logged };
}

describe('Outbox.load with damaged journal records', () => {
  it('skips and names each bad record; the live job stays live; the file is copied aside', async () => {
    const good = jobLine('live-1');
    const flipped = jobLine('flip-1').replace('"t":"job"', '"t":"job"\u0001').replace('{"t"', '{"t\u0000');
    const lines = [
      good,
      'null',
      '{"t":"job","job":null}',
      '{"t":"upd","id":"x","u":null}',
      '{"t":"end","state":"bogus"}',
      '{"t":"end","id":"live-1","state":"bogus","at":1}',
      flipped,
      '{"t":"try","id":"live-1","part":-1,"parts":1,"at":1}',
    ];
    const { path, journal, outbox, logged, dir } = await load(lines);
    expect(outbox.stateOf('live-1')).toBe('queued');
    expect(outbox.depth).toBe(1);
    expect(journal.skipped).toBe(7);
    const skipped = journal.skippedRecords;
    expect(skipped.map((s) => s.line)).toEqual([2, 3, 4, 5, 6, 7, 8]);
    expect(skipped.every((s) => !s.torn)).toBe(true);
    expect(skipped[0]?.reason).toMatch(/record/);
    expect(skipped[1]?.reason).toMatch(/^job:/);
    expect(skipped[2]).toMatchObject({ id: 'x', reason: expect.stringMatching(/^u:/) as unknown });
    expect(skipped[4]).toMatchObject({ id: 'live-1', reason: expect.stringMatching(/^state:/) as unknown });
    expect(skipped[5]).toMatchObject({ id: 'flip-1', reason: expect.stringMatching(/not JSON/) as unknown });
    expect(skipped[6]).toMatchObject({ id: 'live-1', reason: expect.stringMatching(/^part:/) as unknown });
    // Named in the log: one error per record with line, execution id and why.
    const errors = logged.filter((l) => l.msg === 'journal: damaged record skipped');
    expect(errors.map((e) => e.line)).toEqual([2, 3, 4, 5, 6, 7, 8]);
    expect(errors.find((e) => e.line === 7)).toMatchObject({ execution_id: 'flip-1' });
    // A copy of the file as it was, beside it; the journal itself is then compacted safely.
    const copy = journal.health().corruptCopy;
    expect(copy).toBe(`${path}.corrupt-2026-11-25T08-30-00-000Z`);
    expect(readFileSync(copy as string, 'utf8')).toBe(`${lines.join('\n')}\n`);
    expect(logged.some((l) => l.msg === 'journal: a copy of the damaged journal is kept for inspection' && l.copy === copy)).toBe(true);
    await outbox.compact();
    expect(readdirSync(dir).filter((f) => f.includes('.corrupt-'))).toHaveLength(1);
    // The metric counts them.
    const registry = new Registry();
    createAgentMetrics(registry, { modem: () => ({ state: 'up' }), outboxDepth: () => 1, journalBytes: () => 0, mqttConnected: () => true, journal: () => journal.health() });
    const text = await registry.metrics();
    expect(text).toMatch(/^gsmjobs_agent_journal_records_skipped_total 7$/m);
    expect(text).toMatch(/^gsmjobs_agent_journal_writable 1$/m);
    expect(text).toMatch(/^gsmjobs_agent_journal_write_errors_total 0$/m);
  });

  it('a torn last line is a cut-short write, not damage: no copy, a warning', async () => {
    const { journal, outbox, logged, dir } = await load([jobLine('a-1'), jobLine('a-2').slice(0, 40)], '');
    expect(outbox.stateOf('a-1')).toBe('queued');
    expect(journal.skippedRecords).toMatchObject([{ line: 2, torn: true }]);
    expect(journal.health().corruptCopy).toBeUndefined();
    expect(readdirSync(dir).filter((f) => f.includes('.corrupt-'))).toEqual([]);
    expect(logged.some((l) => l.level === 'warn' && /cut short/.test(String(l.msg)))).toBe(true);
    // The fragment (never acknowledged) is cut off: the next record follows the last whole one.
    await outbox.accept({ ...examples.exampleJob, execution_id: 'a-3', expires_at: '2099-01-01T00:00:00.000Z' });
    const text = readFileSync(journal.path, 'utf8');
    expect(text.startsWith(`${jobLine('a-1')}\n{"t":"job"`)).toBe(true);
    const again = await load(text.split('\n').slice(0, -1));
    expect(again.outbox.stateOf('a-3')).toBe('queued');
    expect(again.journal.skipped).toBe(0);
  });
});
