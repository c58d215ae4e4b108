// Agent benchmarks as real processes, the way users run the agent: the production bundle
// (`node .build/bundle.mjs agent` -> dist/agent/index.mjs) and the single executable
// (`npm run build:agent` -> dist/agent-linux-<arch>, Node 24 with the blob injected).
// Start-up time to ready and to modem up on a pty modem; resident memory idle and with 10,000
// queued jobs in the outbox (a pre-written journal, the modem absent so they stay queued).
//
// Memory is read from /proc/<pid>/status: VmRSS = RssAnon + RssFile + RssShmem. RssAnon is the
// process's own memory (V8 heap, the outbox, native allocations): nobody else can use it until
// the agent exits. RssFile is clean pages of the executable mapped from disk (for the SEA, a
// 120 MiB Node binary with the program inside): the kernel drops them under pressure and reads
// them back on use. The target (80 MB = 76.3 MiB) is attached to the SEA's RssAnon; its
// VmRSS is reported beside it, unmet, with that reason.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { defaultBinding } from '../../agent/modem/stack.js';
import type { JournalRecord } from '../../agent/outbox/state.js';
import { SimPty } from '../../agent/sim/pty.js';
import { examples } from '../../hub/common/contract/index.js';
import { freePort } from '../support/ports.js';
import { startProcess } from '../support/process.js';
import type { Bench, BenchResult } from './harness.js';

const root = new URL('../..', import.meta.url).pathname;
/** 80 MB (decimal, as the issue says) in MiB. */
const TARGET_MIB = 80e6 / 2 ** 20;

interface Mem {
  vmRss: number;
  anon: number;
  file: number;
}

function memOf(pid: number): Mem {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => {
    const m = new RegExp(`${k}:\\s+(\\d+) kB`).exec(s);
    return m ? Number(m[1]) / 1024 : NaN;
  };
  return { vmRss: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile') + kb('RssShmem') };
}

interface Runtime {
  label: string;
  cmd: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
}

function run(cmd: string, args: string[]): string | undefined {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', timeout: 300_000 });
  return r.status === 0 ? undefined : `${cmd} ${args.join(' ')}: ${r.error?.message ?? (r.stderr || r.stdout).slice(-2000)}`;
}

/** Build what users run; returns the runtimes that could be built and why others could not. */
function buildRuntimes(): { runtimes: Runtime[]; problems: string[] } {
  const problems: string[] = [];
  const runtimes: Runtime[] = [];
  const bundleErr = run(process.execPath, ['.build/bundle.mjs', 'agent']);
  const bundle = join(root, 'dist/agent/index.mjs');
  if (bundleErr) problems.push(bundleErr);
  else runtimes.push({ label: `bundle on this Node ${process.version}`, cmd: process.execPath, args: [bundle] });
  // The executable for this machine (fetches the pinned official Node once, into .data/sea-cache).
  const seaErr = run(process.execPath, ['.build/sea/build-agent.mjs', '--arch', process.arch, '--no-tarball', '--no-smoke']);
  const exe = join(root, `dist/agent-linux-${process.arch}`);
  if (seaErr) problems.push(seaErr);
  const pins = JSON.parse(readFileSync(join(root, '.build/sea/node-binaries.json'), 'utf8')) as { version: string };
  const node24 = join(root, `.data/sea-cache/node-linux-${process.arch}-${pins.version}/bin/node`);
  if (!bundleErr && existsSync(node24)) {
    runtimes.push({ label: `bundle on Node ${pins.version}, no flags`, cmd: node24, args: [bundle] });
    runtimes.push({ label: `bundle on Node ${pins.version} --max-semi-space-size=1`, cmd: node24, args: ['--max-semi-space-size=1', bundle] });
  }
  if (!seaErr) {
    runtimes.push({ label: `SEA dist/agent-linux-${process.arch} (Node ${pins.version}, embedded --max-semi-space-size=1)`, cmd: exe, args: [] });
    // What agent/deploy/gsmjobs-agent.service adds to the environment.
    runtimes.push({ label: `SEA dist/agent-linux-${process.arch}, unit environment MALLOC_ARENA_MAX=2`, cmd: exe, args: [], env: { ...process.env, MALLOC_ARENA_MAX: '2' } });
  }
  return { runtimes, problems };
}

async function runAgent(rt: Runtime, dir: string, name: string, port: string): Promise<{ readyMs: number; upMs?: number; mem: Mem }> {
  const cfg = join(dir, `${name}.yaml`);
  writeFileSync(cfg, YAML.stringify({ platform_id: 'bench', site_id: 's1', data_dir: join(dir, name), modem: { port }, mqtt: { url: `mqtt://127.0.0.1:${await freePort()}` }, http: { host: '127.0.0.1', port: 0 } }));
  const t0 = Date.now();
  // From the repository, so that the bundle's native serial addon resolves from node_modules
  // (the SEA finds it in dist/prebuilds beside itself).
  const proc = startProcess(rt.cmd, [...rt.args, 'run', '--config', cfg], { name: 'agent', cwd: root, ...(rt.env ? { env: rt.env } : {}) });
  try {
    await proc.waitForOutput(/"msg":"agent ready"/, 60_000);
    const readyMs = Date.now() - t0;
    let upMs: number | undefined;
    if (!port.includes('nowhere')) {
      await proc.waitForOutput(/"msg":"modem up"/, 30_000);
      upMs = Date.now() - t0;
    }
    // Let start-up garbage be collected and the modem recovery ladder run a few rounds.
    await new Promise((r) => setTimeout(r, 3000));
    return { readyMs, ...(upMs !== undefined ? { upMs } : {}), mem: memOf(proc.child.pid as number) };
  } finally {
    await proc.stop();
  }
}

function writeQueuedJournal(dir: string, n: number): void {
  const lines: string[] = [];
  const now = Date.now();
  for (let i = 0; i < n; i++) {
    const job = { ...examples.exampleJob, platform_id: 'bench', site_id: 's1', execution_id: `q-${i}`, text: `Команда ${i}: перезагрузить узел`, expires_at: new Date(now + 86_400_000).toISOString() };
    const rec: JournalRecord = { t: 'job', job, at: now, ref: i & 0xff };
    lines.push(JSON.stringify(rec));
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'outbox.jsonl'), `${lines.join('\n')}\n`);
}

const mib = (m: Mem) => `VmRSS ${m.vmRss.toFixed(1)} = anon ${m.anon.toFixed(1)} + file ${m.file.toFixed(1)} MiB`;

const bench: Bench = async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gsmjobs-bench-agentproc-'));
  const sim = new SimPty({ dir, binding: await defaultBinding(), model: 'SIM800' });
  const results: BenchResult[] = [];
  try {
    const { runtimes, problems } = buildRuntimes();
    for (const p of problems) results.push({ name: 'agent: build for the process benchmark', value: NaN, unit: '', notes: p });
    await sim.start();
    for (const [k, rt] of runtimes.entries()) {
      const sea = rt.cmd.endsWith(`agent-linux-${process.arch}`);
      // The target goes on the plain executable (conservative: without the unit's malloc setting).
      const targeted = sea && !rt.env;
      const empty = await runAgent(rt, dir, `empty-${k}`, sim.path);
      writeQueuedJournal(join(dir, `queued-${k}`), 10_000);
      const queued = await runAgent(rt, dir, `queued-${k}`, join(dir, 'nowhere'));
      results.push(
        { name: `agent [${rt.label}]: start-up to ready, empty outbox`, value: empty.readyMs, unit: 'ms', notes: 'spawn to "agent ready" (HTTP up, outbox loaded, MQTT connecting)' },
        { name: `agent [${rt.label}]: start-up to modem up (pty modem)`, value: empty.upMs ?? NaN, unit: 'ms', notes: 'includes sync, SIM, SMSC, registration on the simulator' },
        { name: `agent [${rt.label}]: start-up to ready, 10,000 queued jobs`, value: queued.readyMs, unit: 'ms' },
        { name: `agent [${rt.label}]: VmRSS idle, empty outbox`, value: empty.mem.vmRss, unit: 'MiB', notes: mib(empty.mem) },
        { name: `agent [${rt.label}]: VmRSS, 10,000 queued jobs`, value: queued.mem.vmRss, unit: 'MiB', notes: `${mib(queued.mem)}${sea ? '; the file part is clean pages of the executable, reclaimable' : ''}` },
        {
          name: `agent [${rt.label}]: private memory (RssAnon), 10,000 queued jobs`,
          value: queued.mem.anon,
          unit: 'MiB',
          ...(targeted ? { target: { value: Number(TARGET_MIB.toFixed(1)), better: 'lower' as const } } : {}),
          notes: `idle ${empty.mem.anon.toFixed(1)} MiB; the jobs add ${(queued.mem.anon - empty.mem.anon).toFixed(1)} MiB${targeted ? '; target 80 MB = 76.3 MiB on what the Pi runs' : ''}`,
        },
      );
    }
    return results;
  } finally {
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  }
};
export default bench;
