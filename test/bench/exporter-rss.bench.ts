// Exporter memory at 100,000 devices, as operators run it: the production bundle (esbuild, as
// `npm run build` makes dist/exporter/index.mjs) in its own process against the simulator in
// another, with the persistent cache on. RSS (VmRSS of /proc/<pid>/status) after the first
// refresh, after scrapes (gzip as Prometheus asks, and identity), after a second refresh, and
// the peak (VmHWM). Target from issue 21: at most 160 MiB. Run twice: with the node flags of
// the systemd unit (exporter/deploy/gsmjobs-exporter.service, what operators run) and without.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { get } from 'node:http';
import { build } from 'esbuild';
import { freePort } from '../support/ports.js';
import { startProcess, waitFor } from '../support/process.js';
import type { Bench, BenchResult } from './harness.js';

const root = new URL('../..', import.meta.url).pathname;
const TOKEN = 'bench-token';
const DEVICES = Number(process.env.BENCH_EXPORTER_DEVICES ?? 100_000);
const TARGET_MIB = 160;

function statusMiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
  if (!m) throw new Error(`no ${field} for ${pid}`);
  return Number(m[1]) / 1024;
}

/** CPU seconds (user + system) the process has used so far (/proc/<pid>/stat, clock ticks of 1/100 s). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Raw bytes of one scrape (node:http, so a gzip body is counted as sent, not inflated) and its wall time. */
function scrape(url: string, encoding: 'gzip' | 'identity'): Promise<{ bytes: number; ms: number }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    get(url, { headers: { 'accept-encoding': encoding } }, (res) => {
      let n = 0;
      res.on('data', (b: Buffer) => (n += b.length));
      res.on('end', () => (res.statusCode === 200 ? resolve({ bytes: n, ms: performance.now() - t0 }) : reject(new Error(`HTTP ${res.statusCode}`))));
      res.on('error', reject);
    }).on('error', reject);
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

interface Health {
  accounts: Array<{ state: string; devices: number; last_success: string | null }>;
}

/** The node flags of the unit's ExecStart (between /usr/bin/node and the script). */
export function unitNodeFlags(): string[] {
  const unit = readFileSync(join(root, 'exporter/deploy/gsmjobs-exporter.service'), 'utf8');
  const exec = /^ExecStart=\S*node\s+(.*?)\s*\S+index\.mjs/m.exec(unit);
  return exec?.[1] ? exec[1].split(/\s+/).filter(Boolean) : [];
}

async function run(flags: string[]): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'gsmjobs-exp-rss-'));
  const bundle = join(dir, 'exporter.mjs');
  await build({
    entryPoints: [join(root, 'exporter/main.ts')],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    banner: { js: "import { createRequire as __gsmjobsCreateRequire } from 'node:module'; const require = __gsmjobsCreateRequire(import.meta.url);" },
    logLevel: 'warning',
    nodePaths: [join(root, 'node_modules')],
  });
  const simPort = await freePort();
  const port = await freePort();
  const sim = startProcess(process.execPath, ['--import', 'tsx', join(root, 'exporter/sim/main.ts'), '--port', String(simPort), '--devices', String(DEVICES)], {
    cwd: root,
    env: { ...process.env, GSMJOBS_SIM_TOKENS: JSON.stringify([TOKEN]), GSMJOBS_SIM_CUBIC_PLAYERS: '0' },
    name: 'sim',
  });
  const config = join(dir, 'exporter.json');
  writeFileSync(
    config,
    JSON.stringify({
      http: { port },
      refresh: { interval_s: 20 },
      cache: { file: join(dir, 'cache.json') },
      accounts: { main: { platform: 'addreality', platform_id: 'bench', base_url: `http://127.0.0.1:${simPort}`, token: TOKEN } },
    }),
  );
  let exporter: ReturnType<typeof startProcess> | undefined;
  try {
    await sim.waitForOutput(/sim listening on/, 60_000);
    exporter = startProcess(process.execPath, [...flags, bundle, '--config', config], { cwd: dir, env: { ...process.env, LOG_LEVEL: 'warn' }, name: 'exporter' });
    const pid = exporter.child.pid!;
    const base = `http://127.0.0.1:${port}`;
    const health = async () => (await (await fetch(`${base}/healthz`)).json()) as Health;
    const t0 = Date.now();
    const first = await waitFor(async () => {
      const h = await health();
      return h.accounts[0]?.state === 'ok' ? h : undefined;
    }, 300_000, 'first refresh', 100);
    const firstMs = Date.now() - t0;
    const firstCpu = cpuSeconds(pid);
    if (first.accounts[0]!.devices !== DEVICES) throw new Error(`expected ${DEVICES} devices, got ${first.accounts[0]!.devices}`);
    // Let the background gzip and the cache write finish.
    await new Promise((r) => setTimeout(r, 3000));
    const afterRefresh = statusMiB(pid, 'VmRSS');
    let gzBytes = 0;
    let plainBytes = 0;
    const gzMs: number[] = [];
    const plainMs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await scrape(`${base}/metrics`, 'gzip');
      gzBytes = r.bytes;
      gzMs.push(r.ms);
    }
    const afterScrapes = statusMiB(pid, 'VmRSS');
    const before = first.accounts[0]!.last_success;
    const cpuBefore = cpuSeconds(pid);
    await waitFor(async () => (await health()).accounts[0]?.last_success !== before, 120_000, 'second refresh', 200);
    const secondCpu = cpuSeconds(pid) - cpuBefore;
    await new Promise((r) => setTimeout(r, 3000));
    for (let i = 0; i < 3; i++) await scrape(`${base}/metrics`, 'gzip');
    const afterSecond = statusMiB(pid, 'VmRSS');
    const peak = statusMiB(pid, 'VmHWM');
    // Last, identity scrapes (curl, promtool; Prometheus asks gzip): the members are inflated while sent.
    for (let i = 0; i < 3; i++) {
      const r = await scrape(`${base}/metrics`, 'identity');
      plainBytes = r.bytes;
      plainMs.push(r.ms);
    }
    const afterIdentity = statusMiB(pid, 'VmRSS');
    const peakIdentity = statusMiB(pid, 'VmHWM');
    // Restart: the cache file of this run is loaded before the port opens.
    await exporter.stop(30_000);
    exporter = startProcess(process.execPath, [...flags, bundle, '--config', config], { cwd: dir, env: { ...process.env, LOG_LEVEL: 'warn' }, name: 'exporter' });
    const pid2 = exporter.child.pid!;
    const t1 = Date.now();
    await waitFor(async () => ((await health()).accounts[0]?.devices ?? 0) === DEVICES, 300_000, 'cache loaded', 100);
    const loadMs = Date.now() - t1;
    const afterLoad = statusMiB(pid2, 'VmRSS');
    await waitFor(async () => (await health()).accounts[0]?.state === 'ok', 300_000, 'refresh after restart', 200);
    await new Promise((r) => setTimeout(r, 3000));
    const afterRestartRefresh = statusMiB(pid2, 'VmRSS');
    const peakRestart = statusMiB(pid2, 'VmHWM');
    const asUnit = flags.join(' ') === unitNodeFlags().join(' ');
    const tag = `exporter process @ ${DEVICES} devices${flags.length ? ` (node ${flags.join(' ')}${asUnit ? ', as the unit' : ''})` : ' (node without flags)'}`;
    const target = { value: TARGET_MIB, better: 'lower' as const };
    const notes = `production bundle; load average ${loadavg()[0]!.toFixed(1)}`;
    const results: BenchResult[] = [
      { name: `${tag}: peak RSS (VmHWM) of the whole run before the restart`, value: peakIdentity, unit: 'MiB', target, notes },
      { name: `${tag}: first refresh from start (load the cache file if any, fetch, render)`, value: firstMs, unit: 'ms', notes },
      { name: `${tag}: CPU of the process up to the end of the first refresh`, value: firstCpu, unit: 's', notes: `second refresh (devices unchanged): ${secondCpu.toFixed(1)} s CPU` },
      { name: `${tag}: gzip scrape over HTTP (median of 5, bytes as sent)`, value: median(gzMs), unit: 'ms' },
      { name: `${tag}: identity scrape over HTTP (median of 3)`, value: median(plainMs), unit: 'ms', target: { value: 1000, better: 'lower' }, notes: `${(median(plainMs) / median(gzMs)).toFixed(1)}x the gzip scrape` },
      { name: `${tag}: RSS after the first refresh`, value: afterRefresh, unit: 'MiB', target },
      { name: `${tag}: RSS after 5 gzip scrapes (as Prometheus asks)`, value: afterScrapes, unit: 'MiB', target, notes: `gzip body ${(gzBytes / 1048576).toFixed(2)} MiB` },
      { name: `${tag}: RSS after a second refresh and 3 scrapes`, value: afterSecond, unit: 'MiB', target },
      { name: `${tag}: peak RSS (VmHWM) before the identity scrapes`, value: peak, unit: 'MiB', notes },
      { name: `${tag}: RSS after 3 identity scrapes (inflated while sent)`, value: afterIdentity, unit: 'MiB', target, notes: `identity body ${(plainBytes / 1048576).toFixed(1)} MiB; peak (VmHWM) now ${peakIdentity.toFixed(0)} MiB` },
      { name: `${tag}: restart: RSS once the cache file is loaded`, value: afterLoad, unit: 'MiB', target, notes: `port open with ${DEVICES} devices after ${loadMs} ms` },
      { name: `${tag}: restart: RSS after the first refresh`, value: afterRestartRefresh, unit: 'MiB', target },
      { name: `${tag}: restart: peak RSS (VmHWM)`, value: peakRestart, unit: 'MiB', target },
    ];
    return results;
  } finally {
    await exporter?.stop(10_000);
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The unit's flags, none, and any extra sets to compare: BENCH_EXPORTER_NODE_FLAGS="--a --b;--c". */
const variants = [unitNodeFlags(), [], ...(process.env.BENCH_EXPORTER_NODE_FLAGS ?? '').split(';').map((v) => v.split(/\s+/).filter(Boolean)).filter((v) => v.length > 0)];

const bench: Bench = async () => {
  const out: BenchResult[] = [];
  for (const flags of variants) out.push(...(await run(flags)));
  return out;
};
export default bench;
