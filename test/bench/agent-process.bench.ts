// Agent benchmarks as a real process (esbuild bundle, as shipped): start-up time to ready and
// to modem up on a pty modem, and resident memory with 10,000 queued jobs in the outbox.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import YAML from 'yaml';
import { defaultBinding } from '../../agent/modem/stack.js';
import type { JournalRecord } from '../../agent/outbox/state.js';
import { SimPty } from '../../agent/sim/pty.js';
import { examples } from '../../hub/common/contract/index.js';
import { freePort } from '../support/ports.js';
import { startProcess } from '../support/process.js';
import type { Bench, BenchResult } from './harness.js';

const root = new URL('../..', import.meta.url).pathname;

async function bundle(): Promise<string> {
  // Inside the repository so that the external native addon resolves from node_modules.
  const out = join(root, 'test-artifacts', 'agent-bench.mjs');
  await build({
    entryPoints: [join(root, 'agent/main.ts')],
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['@serialport/bindings-cpp'],
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    logLevel: 'error',
  });
  return out;
}

function rssMiBOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function runAgent(entry: string, dir: string, name: string, port: string, nodeArgs: string[] = []): Promise<{ readyMs: number; upMs?: number; rss: number }> {
  const cfg = join(dir, `${name}.yaml`);
  writeFileSync(cfg, YAML.stringify({ platform_id: 'bench', site_id: 's1', data_dir: join(dir, name), modem: { port }, mqtt: { url: `mqtt://127.0.0.1:${await freePort()}` }, http: { host: '127.0.0.1', port: 0 } }));
  const t0 = Date.now();
  // Run from the repository so the native serial addon resolves from node_modules.
  const proc = startProcess(process.execPath, [...nodeArgs, entry, 'run', '--config', cfg], { name: 'agent', cwd: root });
  try {
    await proc.waitForOutput(/"msg":"agent ready"/, 60_000);
    const readyMs = Date.now() - t0;
    let upMs: number | undefined;
    if (!port.includes('nowhere')) {
      await proc.waitForOutput(/"msg":"modem up"/, 30_000);
      upMs = Date.now() - t0;
    }
    await new Promise((r) => setTimeout(r, 1000));
    const rss = rssMiBOf(proc.child.pid as number);
    return { readyMs, ...(upMs !== undefined ? { upMs } : {}), rss };
  } finally {
    await proc.stop();
  }
}

const bench: Bench = async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gsmjobs-bench-agentproc-'));
  const sim = new SimPty({ dir, binding: await defaultBinding(), model: 'SIM800' });
  try {
    const entry = await bundle();
    await sim.start();
    const empty = await runAgent(entry, dir, 'empty', sim.path);
    // 10,000 queued jobs in the journal; the modem is absent so they stay queued.
    const lines: string[] = [];
    const now = Date.now();
    for (let i = 0; i < 10_000; i++) {
      const job = { ...examples.exampleJob, platform_id: 'bench', site_id: 's1', execution_id: `q-${i}`, text: `Команда ${i}: перезагрузить узел`, expires_at: new Date(now + 86_400_000).toISOString() };
      const rec: JournalRecord = { t: 'job', job, at: now, ref: i & 0xff };
      lines.push(JSON.stringify(rec));
    }
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(dir, 'queued'), { recursive: true });
    writeFileSync(join(dir, 'queued', 'outbox.jsonl'), `${lines.join('\n')}\n`);
    const queued = await runAgent(entry, dir, 'queued', join(dir, 'nowhere'));
    const tuned = await runAgent(entry, dir, 'queued', join(dir, 'nowhere'), ['--max-semi-space-size=1', '--max-old-space-size=96']);
    const results: BenchResult[] = [
      { name: 'agent: start-up to ready (bundled, empty outbox)', value: empty.readyMs, unit: 'ms', notes: 'process spawn to "agent ready" (HTTP up, outbox loaded, MQTT connecting)' },
      { name: 'agent: start-up to modem up (pty modem)', value: empty.upMs ?? NaN, unit: 'ms', notes: 'includes sync, SIM, SMSC, registration on the simulator' },
      { name: 'agent: RSS idle, empty outbox', value: empty.rss, unit: 'MiB' },
      { name: 'agent: RSS with 10,000 queued jobs', value: queued.rss, unit: 'MiB', target: { value: 80, better: 'lower' } },
      { name: 'agent: RSS with 10,000 queued jobs, node --max-semi-space-size=1', value: tuned.rss, unit: 'MiB', target: { value: 80, better: 'lower' }, notes: 'the flag the systemd unit / SEA should pass' },
      { name: 'agent: start-up to ready with 10,000 queued jobs', value: queued.readyMs, unit: 'ms' },
    ];
    return results;
  } finally {
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  }
};
export default bench;
