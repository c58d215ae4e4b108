// Agent benchmarks (in-process): cost per SMS through outbox + sender + driver + AT engine
// with an instant modem (the simulator wired straight to the engine, no serial port), and the
// write cost of the outbox journal against lowdb holding the same 10,000 queued jobs.
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JSONFile } from 'lowdb/node';
import { Low } from 'lowdb';
import { AtEngine } from '../../agent/at/engine.js';
import { ModemDriver } from '../../agent/modem/driver.js';
import { Journal } from '../../agent/outbox/journal.js';
import { Outbox } from '../../agent/outbox/outbox.js';
import { Pacer } from '../../agent/outbox/pacing.js';
import { Sender } from '../../agent/outbox/sender.js';
import type { JournalRecord } from '../../agent/outbox/state.js';
import { SimModem } from '../../agent/sim/modem.js';
import { type JobRequest, examples } from '../../hub/common/contract/index.js';
import { silentLogger } from '../../hub/common/log.js';
import type { Bench, BenchResult } from './harness.js';

function job(i: number): JobRequest {
  return { ...examples.exampleJob, execution_id: `bench-${i}`, to: `+7916${String(i).padStart(7, '0')}`, expires_at: new Date(Date.now() + 3_600_000).toISOString() };
}

const outboxConfig = { resendUncertain: false, maxTries: 3, retryBaseMs: 10, retryMaxMs: 100, reportWaitMs: 60_000, dedupRetentionMs: 86_400_000, compactBytes: 1e12 };

async function costPerSms(dir: string, n: number): Promise<BenchResult[]> {
  const engine: AtEngine = new AtEngine({ onUrc: (u) => driver.onUrc(u) });
  const sim = new SimModem({ model: 'SIM800', write: (d) => engine.feed(d) });
  let open = false;
  const link = {
    get isOpen() {
      return open;
    },
    open: async () => {
      open = true;
      engine.attach({
        write: async (d) => {
          setImmediate(() => sim.input(d));
        },
      });
    },
    close: async () => {
      open = false;
      engine.detach();
    },
  };
  const driver: ModemDriver = new ModemDriver({ engine, link, log: silentLogger, config: { cnmi: '2,1,0,1,0', registrationTimeoutMs: 2000, syncAttempts: 3, pollIntervalMs: 3_600_000, resetWaitMs: 10, reopenDelayMs: 10, sendTimeoutMs: 5000 } });
  const journal = new Journal<JournalRecord>(join(dir, 'send.jsonl'));
  const outbox = new Outbox(journal, outboxConfig);
  await outbox.load();
  const sender = new Sender({ outbox, modem: driver, pacer: new Pacer(0, 0), config: { maxParts: 6, maxTries: 3, resendUncertain: false }, log: silentLogger });
  driver.start();
  while (!driver.isUp) await new Promise((r) => setTimeout(r, 5));
  for (let i = 0; i < n; i++) await outbox.accept(job(i));
  const writes0 = journal.writes;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (const rec of [...outbox.queued()]) await sender.sendOne(rec);
  await sender.settled();
  const flushes = (journal.writes - writes0) / n;
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const cpu = process.cpuUsage(cpu0);
  await driver.stop();
  await journal.close();
  if (sim.sent.length !== n) throw new Error(`expected ${n} SMS, the modem got ${sim.sent.length}`);
  const where = dir.startsWith('/dev/shm') ? 'journal on tmpfs: the agent\'s own cost' : 'journal on disk: includes its fdatasync per SMS';
  return [
    { name: `agent: cost per SMS, instant modem (${where})`, value: wallMs / n, unit: 'ms', ...(dir.startsWith('/dev/shm') ? { target: { value: 2, better: 'lower' as const } } : {}), notes: `${n} single-part SMS; outbox journal + sender + driver + AT engine + PDU codec` },
    {
      name: `agent: journal flushes per SMS (${dir.startsWith('/dev/shm') ? 'tmpfs' : 'disk'})`,
      value: flushes,
      unit: 'writes',
      notes:
        'write + fdatasync groups. `try` (+ `sending`) must be on disk before the PDU goes to the modem; the `part` (+ `sent`) record is not awaited by the send loop but rides in the next `try` write, which precedes the next PDU, so crash outcomes are unchanged. Lower bound: 1 (the try before the PDU)',
    },
    { name: `agent: CPU per SMS, instant modem (${dir.startsWith('/dev/shm') ? 'tmpfs' : 'disk'})`, value: (cpu.user + cpu.system) / 1000 / n, unit: 'ms', notes: 'user + system CPU, the in-process simulated modem included' },
  ];
}

async function lowdbVsJournal(dir: string): Promise<BenchResult[]> {
  const n = 10_000;
  const jobs = Array.from({ length: n }, (_, i) => ({ job: job(i), state: 'queued', tries: 0 }));
  const db = new Low(new JSONFile<{ jobs: typeof jobs }>(join(dir, 'lowdb.json')), { jobs: [] });
  db.data.jobs = jobs;
  await db.write();
  const writes = 30;
  let t = process.hrtime.bigint();
  for (let i = 0; i < writes; i++) {
    (db.data.jobs[i] as { state: string }).state = 'sending';
    await db.write();
  }
  const lowdbMs = Number(process.hrtime.bigint() - t) / 1e6 / writes;
  const lowdbBytes = statSync(join(dir, 'lowdb.json')).size;

  const journal = new Journal<JournalRecord>(join(dir, 'journal.jsonl'));
  await journal.open();
  for (let i = 0; i < n; i += 500) await journal.append(jobs.slice(i, i + 500).map((j) => ({ t: 'job' as const, job: j.job, at: Date.now(), ref: 0 })));
  const appends = 300;
  t = process.hrtime.bigint();
  for (let i = 0; i < appends; i++) await journal.append([{ t: 'try', id: `bench-${i}`, part: 0, parts: 1, at: Date.now() }]);
  const journalMs = Number(process.hrtime.bigint() - t) / 1e6 / appends;
  const nosync = new Journal<JournalRecord>(join(dir, 'nosync.jsonl'), { fsync: false });
  await nosync.open();
  t = process.hrtime.bigint();
  for (let i = 0; i < appends; i++) await nosync.append([{ t: 'try', id: `bench-${i}`, part: 0, parts: 1, at: Date.now() }]);
  const nosyncMs = Number(process.hrtime.bigint() - t) / 1e6 / appends;
  await journal.close();
  await nosync.close();
  return [
    { name: 'outbox store: lowdb write with 10,000 queued jobs (no fsync)', value: lowdbMs, unit: 'ms', notes: `rewrites the whole ${(lowdbBytes / 1024 / 1024).toFixed(1)} MB file per change` },
    { name: 'outbox store: journal append, fsynced (10,000 queued jobs)', value: journalMs, unit: 'ms', notes: 'one record + fdatasync' },
    { name: 'outbox store: journal append without fsync (for comparison)', value: nosyncMs, unit: 'ms' },
  ];
}

const bench: Bench = async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gsmjobs-bench-agent-'));
  try {
    const results = [...(await costPerSms(dir, 300))];
    if (existsSync('/dev/shm')) {
      const shm = mkdtempSync('/dev/shm/gsmjobs-bench-');
      try {
        results.push(...(await costPerSms(shm, 300)));
      } finally {
        rmSync(shm, { recursive: true, force: true });
      }
    }
    return [...results, ...(await lowdbVsJournal(dir))];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};
export default bench;
