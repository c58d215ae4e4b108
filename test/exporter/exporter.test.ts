// The composed exporter (real HTTP server on a free port) against the in-process simulator.
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { type Exporter, createExporter } from '../../exporter/app.js';
import { exporterConfigSchema } from '../../exporter/config.js';
import { waitFor } from '../support/process.js';
import { BASE, TOKEN, fastRetry, makeSim, memoryLog, promtoolCheck, simFetch } from './helpers.js';

const dirs: string[] = [];
const running: Exporter[] = [];
afterEach(async () => {
  for (const e of running.splice(0)) await e.stop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function build(sim: ReturnType<typeof makeSim>, cacheFile: string, processMetrics = false) {
  const config = exporterConfigSchema.parse({
    http: { port: 0 },
    cache: { file: cacheFile },
    process_metrics: processMetrics,
    retry: { ...fastRetry, attempts: 2, base_delay_ms: 1 },
    accounts: {
      main: { platform: 'addreality', platform_id: 'demo', base_url: BASE, token: TOKEN },
      cubic: { platform: 'cubicmedia', platform_id: 'demo', base_url: BASE, macs: ['02:00:00:00:00:00', '02:00:00:00:00:01'] },
    },
  });
  const { log, lines } = memoryLog([TOKEN]);
  const exporter = createExporter(config, { tokens: new Map([['main', TOKEN], ['cubic', undefined]]), fetch: simFetch(sim), log });
  running.push(exporter);
  return { exporter, lines };
}

const scrape = async (e: Exporter) => {
  const res = await fetch(`${e.url}/metrics`, { headers: { 'accept-encoding': 'identity' } });
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
};
const value = (text: string, series: string) => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};
/** A gzip scrape (as Prometheus asks), decoded; with its content-encoding. */
const gzipScrape = (e: Exporter) =>
  new Promise<{ enc: string | undefined; text: string }>((resolve, reject) => {
    const req = request(`${e.url}/metrics`, { headers: { 'accept-encoding': 'gzip' } }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (b: Buffer) => parts.push(b));
      res.on('end', () => {
        const body = Buffer.concat(parts);
        resolve({ enc: res.headers['content-encoding'], text: (res.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body).toString('utf8') });
      });
    });
    req.on('error', reject);
    req.end();
  });
const devicesOf = (t: string) => t.slice(t.indexOf('# HELP signage_device_online'));
const ready = (e: Exporter) => waitFor(() => e.runners.every((r) => r.state !== 'starting'), 5000, 'first refresh');

describe('exporter (composed, real HTTP)', () => {
  it('serves both platforms with uniform labels and health metrics, promtool-clean', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gsmjobs-exp-'));
    dirs.push(dir);
    const sim = makeSim({ devices: 650, cubic_players: 2 });
    sim.state.set('30002', { connection_state: 'offline', player_status: 'idle' });
    const { exporter, lines } = build(sim, join(dir, 'cache.json'), true);
    await exporter.start();
    await ready(exporter);
    const m = await scrape(exporter);
    expect(m.text).toMatch(/^process_resident_memory_bytes /m);
    expect(m.status).toBe(200);
    expect(m.type).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(m.text.match(/^signage_device_online\{platform_id="demo",account="main",device_id=/gm)).toHaveLength(650);
    expect(value(m.text, 'signage_device_online{platform_id="demo",account="main",device_id="30002",name="Kazan_Lesnaia_3"}')).toBe(0);
    expect(value(m.text, 'signage_device_online{platform_id="demo",account="cubic",mac="02:00:00:00:00:01",name="Cubic_2"}')).toBe(1);
    // Both accounts serve platform "demo": each device series names its account, so a guard
    // on one account's health can be matched per device (hub stale_when, issue 21).
    expect(m.text.match(/^signage_device_online\{platform_id="demo",account="cubic",/gm)).toHaveLength(2);
    // A state change is a value, never a new `_info` series.
    expect(m.text).toMatch(/^signage_device_info\{platform_id="demo",account="main",device_id="30002",name="Kazan_Lesnaia_3",player_version="[^"]+",time_zone="[^"]+"\} 1$/m);
    expect(value(m.text, 'signage_device_player_status{platform_id="demo",account="main",device_id="30002",name="Kazan_Lesnaia_3"}')).toBe(0);
    expect(m.text).toMatch(/^signage_device_player_status\{platform_id="demo",account="main",device_id="30001",name="[^"]*"\} 1$/m);
    expect(value(m.text, 'signage_exporter_account_up{platform_id="demo",account="main"}')).toBe(1);
    expect(value(m.text, 'signage_exporter_devices{platform_id="demo",account="main"}')).toBe(650);
    expect(value(m.text, 'signage_exporter_api_errors_total{platform_id="demo",account="main",kind="server"}')).toBe(0);
    // Request durations per account: 650 devices are 3 pages of 300 for "main", 2 MACs for "cubic".
    expect(value(m.text, 'signage_exporter_request_duration_seconds_count{platform_id="demo",account="main",result="success"}')).toBeGreaterThanOrEqual(3);
    expect(value(m.text, 'signage_exporter_request_duration_seconds_count{platform_id="demo",account="cubic",result="success"}')).toBeGreaterThanOrEqual(2);
    expect(lines.filter((l) => l.includes('"level":"debug"') && l.includes('page fetched')).length).toBeGreaterThanOrEqual(3);
    expect(promtoolCheck(m.text)).toEqual({ status: 0, output: '' });
    expect(lines.join('\n')).not.toContain(TOKEN);
  });

  it('answers gzip as concatenated members that decode to the plain body', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gsmjobs-exp-'));
    dirs.push(dir);
    const { exporter } = build(makeSim({ devices: 2000 }), join(dir, 'cache.json'));
    await exporter.start();
    await ready(exporter);
    const raw = await new Promise<{ enc: string | undefined; body: Buffer }>((resolve, reject) => {
      const req = request(`${exporter.url}/metrics`, { headers: { 'accept-encoding': 'gzip' } }, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (b: Buffer) => parts.push(b));
        res.on('end', () => resolve({ enc: res.headers['content-encoding'], body: Buffer.concat(parts) }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(raw.enc).toBe('gzip');
    const text = gunzipSync(raw.body).toString('utf8');
    const plain = (await scrape(exporter)).text;
    const devicesOf = (t: string) => t.slice(t.indexOf('# HELP signage_device_online'));
    expect(devicesOf(text)).toBe(devicesOf(plain));
    expect(text).toContain('# HELP signage_exporter_account_up');
  });

  it('serves the same device series plain and gzip, across a refresh and during an API outage', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gsmjobs-exp-'));
    dirs.push(dir);
    const sim = makeSim({ devices: 2500 });
    const { exporter } = build(sim, join(dir, 'cache.json'));
    await exporter.start();
    await ready(exporter);
    const main = exporter.runners.find((r) => r.name === 'main')!;
    const same = async () => {
      const gz = await gzipScrape(exporter);
      const plain = await scrape(exporter);
      expect(gz.enc).toBe('gzip');
      expect(devicesOf(gz.text)).toBe(devicesOf(plain.text));
      expect(plain.text.match(/^signage_device_online\{platform_id="demo",account="main",/gm)).toHaveLength(2500);
      return plain.text;
    };
    const online = (t: string) => Number(/^signage_device_online\{platform_id="demo",account="main",device_id="31234",name="[^"]*"\} (\S+)$/m.exec(t)?.[1]);
    expect(online(await same())).toBe(1);
    sim.state.set('31234', { connection_state: 'offline' });
    await main.refresh();
    const afterRefresh = await same();
    expect(online(afterRefresh)).toBe(0);
    sim.fail({ mode: 'http', status: 503, api: 'all', retry_after_s: 1, hold_ms: 0 });
    await main.refresh();
    expect(main.state).toBe('failing');
    const duringOutage = await same();
    expect(devicesOf(duringOutage)).toBe(devicesOf(afterRefresh));
    expect(value(duringOutage, 'signage_exporter_account_up{platform_id="demo",account="main"}')).toBe(0);
  });

  it('keeps serving the cache through an API outage and across a restart during it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gsmjobs-exp-'));
    dirs.push(dir);
    const file = join(dir, 'cache.json');
    const sim = makeSim({ devices: 40, cubic_players: 2 });
    const first = build(sim, file).exporter;
    await first.start();
    await ready(first);
    await first.stop();
    running.splice(running.indexOf(first), 1);

    sim.fail({ mode: 'http', status: 503, api: 'all', retry_after_s: 1, hold_ms: 0 });
    const { exporter: second } = build(sim, file);
    await second.start();
    await waitFor(() => second.runners.every((r) => r.state === 'failing'), 5000, 'refresh to fail');
    const m = await scrape(second);
    expect(m.status).toBe(200);
    expect(m.text.match(/^signage_device_online\{/gm)).toHaveLength(42);
    expect(value(m.text, 'signage_exporter_account_up{platform_id="demo",account="main"}')).toBe(0);
    expect(value(m.text, 'signage_exporter_served_from_persistent_cache{platform_id="demo",account="main"}')).toBe(1);
    expect(value(m.text, 'signage_exporter_cache_age_seconds{platform_id="demo",account="main"}')).toBeGreaterThan(0);
    expect(value(m.text, 'signage_exporter_api_errors_total{platform_id="demo",account="main",kind="server"}')).toBe(2);
    const health = await fetch(`${second.url}/healthz`);
    expect(health.status).toBe(503);
    expect(((await health.json()) as { status: string }).status).toBe('degraded');
  });

  it('answers a scrape from memory while a refresh waits on a slow API', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gsmjobs-exp-'));
    dirs.push(dir);
    const sim = makeSim({ devices: 30 });
    const { exporter } = build(sim, join(dir, 'cache.json'));
    await exporter.start();
    await ready(exporter);
    sim.config.latency_ms = 60_000;
    let refreshed = false;
    const pending = exporter.runners[0]!.refresh().then(() => {
      refreshed = true;
    });
    const m = await scrape(exporter);
    expect(refreshed).toBe(false);
    expect(m.status).toBe(200);
    expect(m.text.match(/^signage_device_online\{platform_id="demo",account="main",device_id=/gm)).toHaveLength(30);
    sim.close();
    await pending;
  });

  it('answers 404 for unknown paths and serves an index page', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gsmjobs-exp-'));
    dirs.push(dir);
    const { exporter } = build(makeSim(), join(dir, 'c.json'));
    await exporter.start();
    expect((await fetch(`${exporter.url}/nope`)).status).toBe(404);
    expect(await (await fetch(`${exporter.url}/`)).text()).toContain('/metrics');
  });
});
