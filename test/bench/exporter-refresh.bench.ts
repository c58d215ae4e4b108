// Exporter benchmark at 273 devices (the earlier system) and at 100,000: full refresh over
// HTTP from the simulator (a separate process, so RSS is the exporter's), /metrics render
// time (target under 1 s), scrape size, cache write/load, and peak RSS.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { request } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { createExporter } from '../../exporter/app.js';
import { exporterConfigSchema } from '../../exporter/config.js';
import { renderAccountGz } from '../../exporter/compressed.js';
import { loadCache, saveCache } from '../../exporter/store/cache-file.js';
import { silentLogger } from '../../hub/common/log.js';
import { freePort } from '../support/ports.js';
import { startProcess, waitFor } from '../support/process.js';
import { type Bench, type BenchResult, timeMs } from './harness.js';

const root = new URL('../..', import.meta.url).pathname;
const TOKEN = 'bench-token';
const peakMiB = () => process.resourceUsage().maxRSS / 1024;

async function run(n: number): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'gsmjobs-exp-bench-'));
  const port = await freePort();
  const sim = startProcess(process.execPath, ['--import', 'tsx', join(root, 'exporter/sim/main.ts'), '--port', String(port), '--devices', String(n)], {
    cwd: root,
    env: { ...process.env, GSMJOBS_SIM_TOKENS: JSON.stringify([TOKEN]), GSMJOBS_SIM_CUBIC_PLAYERS: '0' },
    name: 'sim',
  });
  try {
    await sim.waitForOutput(/sim listening on/, 60_000);
    const config = exporterConfigSchema.parse({
      http: { port: 0 },
      refresh: { interval_s: 3600 },
      cache: { file: join(dir, 'cache.json') },
      process_metrics: true,
      accounts: { main: { platform: 'addreality', platform_id: 'bench', base_url: `http://127.0.0.1:${port}`, token: TOKEN } },
    });
    const exporter = createExporter(config, { tokens: new Map([['main', TOKEN]]), log: silentLogger });
    const runner = exporter.runners[0]!;
    const first = await timeMs(async () => {
      await exporter.start();
      await waitFor(() => runner.state !== 'starting', 300_000, 'first refresh', 5);
    });
    if (runner.devices.size !== n) throw new Error(`expected ${n} devices, got ${runner.devices.size} (${runner.lastError ?? ''})`);
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    const refresh = await timeMs(() => runner.refresh());
    loop.disable();
    const blockedMs = loop.max / 1e6;
    const pages = Math.ceil(n / 300);

    // Per refresh: render every device series into gzip members (runner.ts does this after a refresh).
    const render = await timeMs(() => renderAccountGz({ platformId: 'bench', account: 'main', keyLabel: 'device_id', devices: runner.devices.values() }, () => new Promise<void>((r) => setImmediate(r))));
    // Per scrape: the identity /metrics body (health metrics + the members inflated), read whole.
    const body = await timeMs(() => exporter.exposition.text());
    // A gzip scrape sends the members as they are (compressed once per refresh).
    const gzScrape = await timeMs(async () => {
      for await (const b of (await exporter.exposition.scrape(true)).body) void b;
    });
    const url = `${exporter.url}/metrics`;
    // Over HTTP (node:http client, as curl or Prometheus would read it): the identity body, the
    // gzip body as sent, and the gzip body decoded as Prometheus does. Median of 5 each.
    const get = (encoding: 'gzip' | 'identity', decode = false) =>
      new Promise<{ ms: number; bytes: number; plain: number }>((resolve, reject) => {
        const t0 = performance.now();
        request(url, { headers: { 'accept-encoding': encoding } }, (res) => {
          const parts: Buffer[] = [];
          res.on('data', (b: Buffer) => parts.push(b));
          res.on('end', () => {
            const b = Buffer.concat(parts);
            const plainBytes = decode && res.headers['content-encoding'] === 'gzip' ? gunzipSync(b).length : b.length;
            resolve({ ms: performance.now() - t0, bytes: b.length, plain: plainBytes });
          });
          res.on('error', reject);
        })
          .on('error', reject)
          .end();
      });
    const median = async (f: () => Promise<{ ms: number; bytes: number; plain: number }>) => {
      const runs: Array<{ ms: number; bytes: number; plain: number }> = [];
      for (let i = 0; i < 5; i++) runs.push(await f());
      runs.sort((a, b) => a.ms - b.ms);
      return runs[2]!;
    };
    const plainHttp = await median(() => get('identity'));
    const gzHttp = await median(() => get('gzip'));
    const gzDecoded = await median(() => get('gzip', true));
    const plain = plainHttp.bytes;
    const gzWire = gzHttp.bytes;
    // The health metrics differ by a few bytes between scrapes; the device series are the bulk.
    if (Math.abs(gzDecoded.plain - plainHttp.bytes) > 64 * 1024) throw new Error(`gzip body decodes to ${gzDecoded.plain} bytes, identity has ${plainHttp.bytes}`);
    const raw = await exporter.exposition.text();
    const series = (raw.match(/^signage_device_/gm) ?? []).length;
    const snapshot = { saved_at_ms: Date.now(), accounts: { main: runner.snapshot() } };
    const file = join(dir, 'bench-cache.json');
    const writeLoop = monitorEventLoopDelay({ resolution: 10 });
    writeLoop.enable();
    const write = await timeMs(() => saveCache(file, snapshot));
    writeLoop.disable();
    const load = await timeMs(() => loadCache(file));
    const fileMiB = statSync(file).size / 1024 / 1024;
    const rssNow = process.memoryUsage().rss / 1024 / 1024;
    await exporter.stop();
    const tag = `exporter @ ${n} devices`;
    return [
      { name: `${tag}: full refresh over HTTP (${pages} pages, parse, merge, render)`, value: refresh, unit: 'ms', notes: `first refresh incl. start-up ${first.toFixed(0)} ms; load average ${loadavg()[0]!.toFixed(1)}` },
      { name: `${tag}: longest event-loop stall during a full refresh (a scrape waits at most this)`, value: blockedMs, unit: 'ms', target: { value: 1000, better: 'lower' } },
      { name: `${tag}: device series render + gzip, once per refresh (in slices)`, value: render, unit: 'ms' },
      { name: `${tag}: /metrics identity body per scrape (inflated), read whole`, value: body, unit: 'ms', target: { value: 1000, better: 'lower' } },
      { name: `${tag}: /metrics gzip body per scrape (in-process, no HTTP)`, value: gzScrape, unit: 'ms', target: { value: 1000, better: 'lower' } },
      { name: `${tag}: identity scrape over HTTP (median of 5)`, value: plainHttp.ms, unit: 'ms', target: { value: 1000, better: 'lower' }, notes: `${(plainHttp.ms / gzHttp.ms).toFixed(1)}x the gzip scrape as sent, ${(plainHttp.ms / gzDecoded.ms).toFixed(1)}x the gzip scrape decoded` },
      { name: `${tag}: gzip scrape over HTTP, bytes as sent (median of 5)`, value: gzHttp.ms, unit: 'ms' },
      { name: `${tag}: gzip scrape over HTTP, decoded as Prometheus does (median of 5)`, value: gzDecoded.ms, unit: 'ms' },
      { name: `${tag}: scrape size`, value: plain / 1024 / 1024, unit: 'MiB', notes: `${series} device series; gzip on the wire ${(gzWire / 1024 / 1024).toFixed(2)} MiB` },
      { name: `${tag}: cache file write (fsync, rename)`, value: write, unit: 'ms', notes: `${fileMiB.toFixed(2)} MiB; longest event-loop stall ${(writeLoop.max / 1e6).toFixed(0)} ms; load at start-up ${load.toFixed(0)} ms` },
      { name: `${tag}: RSS after the run`, value: rssNow, unit: 'MiB' },
      { name: `${tag}: peak RSS of the bench process so far`, value: peakMiB(), unit: 'MiB' },
    ];
  } finally {
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const bench: Bench = async () => [...(await run(273)), ...(await run(100_000))];
export default bench;
