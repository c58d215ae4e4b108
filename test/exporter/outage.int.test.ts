// Integration: the simulator and the exporter as real processes, scraped by a real Prometheus.
// The API process is killed mid-run: the exporter keeps serving its cache (marked by its age),
// is restarted during the outage and still serves it from the cache file, and recovers when the
// API comes back.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Prometheus, startPrometheus } from '../support/prometheus.js';
import { freePort } from '../support/ports.js';
import { type Proc, startProcess, waitFor } from '../support/process.js';

const root = new URL('../..', import.meta.url).pathname;
// One process each (the tsx CLI would fork a child that a SIGKILL of the parent leaves alive).
const runTs = (file: string, args: string[], options: Parameters<typeof startProcess>[2]) => startProcess(process.execPath, ['--import', 'tsx', join(root, file), ...args], options);
const N = 320;
let dir: string;
let simPort: number;
let exporterPort: number;
let sim: Proc | undefined;
let exporter: Proc | undefined;
let prom: Prometheus | undefined;

const startSim = async () => {
  const p = runTs('exporter/sim/main.ts', ['--port', String(simPort), '--devices', String(N)], {
    cwd: root,
    env: { ...process.env, GSMJOBS_SIM_TOKENS: '["int-token-5522"]', GSMJOBS_SIM_CUBIC_PLAYERS: '0' },
    name: 'sim',
  });
  await p.waitForOutput(/sim listening on/, 30_000);
  return p;
};
const startExporter = async () => {
  const p = runTs('exporter/main.ts', ['--config', join(dir, 'exporter.yaml')], {
    cwd: root,
    env: { ...process.env, AR_TOKEN: 'int-token-5522', LOG_LEVEL: 'info' },
    name: 'exporter',
  });
  await p.waitForOutput(/"msg":"listening"/, 30_000);
  return p;
};
const metrics = async () => (await fetch(`http://127.0.0.1:${exporterPort}/metrics`)).text();
const value = (text: string, series: string) => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};
const UP = 'signage_exporter_account_up{platform_id="demo",account="main"}';
const FROM_FILE = 'signage_exporter_served_from_persistent_cache{platform_id="demo",account="main"}';
const AGE = 'signage_exporter_cache_age_seconds{platform_id="demo",account="main"}';
const deviceCount = (t: string) => (t.match(/^signage_device_online\{/gm) ?? []).length;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gsmjobs-exp-outage-'));
  simPort = await freePort();
  exporterPort = await freePort();
  writeFileSync(
    join(dir, 'exporter.yaml'),
    [
      `http: { host: 127.0.0.1, port: ${exporterPort} }`,
      'refresh: { interval_s: 1, grace_period_s: 3600 }',
      `cache: { file: ${JSON.stringify(join(dir, 'cache.json'))} }`,
      'retry: { attempts: 2, base_delay_ms: 50, timeout_ms: 2000 }',
      'accounts:',
      '  main:',
      '    platform: addreality',
      '    platform_id: demo',
      `    base_url: http://127.0.0.1:${simPort}`,
      '    token_env: AR_TOKEN',
    ].join('\n'),
  );
  [sim, exporter] = [await startSim(), await startExporter()];
  prom = await startPrometheus({ scrape: [{ job: 'signage', targets: [`127.0.0.1:${exporterPort}`] }], scrapeInterval: '1s' });
}, 90_000);

afterAll(async () => {
  await prom?.destroy();
  await exporter?.stop();
  await sim?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('API outage', () => {
  it('serves the cache while the API is down, across an exporter restart, and recovers', async () => {
    await waitFor(async () => value(await metrics(), UP) === 1, 20_000, 'first refresh');
    await waitFor(async () => (await prom!.query('count(signage_device_online{platform_id="demo"})'))[0]?.value[1] === String(N), 20_000, 'devices in Prometheus');

    sim!.kill('SIGKILL');
    await sim!.exited;
    await waitFor(async () => value(await metrics(), UP) === 0, 20_000, 'account down after the kill');
    let text = await metrics();
    expect(deviceCount(text)).toBe(N);
    expect(value(text, 'signage_exporter_api_errors_total{platform_id="demo",account="main",kind="network"}')).toBeGreaterThan(0);

    // Restart the exporter during the outage: the cache file brings the devices back.
    expect(await exporter!.stop()).toBe(0);
    exporter = await startExporter();
    text = await metrics();
    expect(deviceCount(text)).toBe(N);
    expect(value(text, FROM_FILE)).toBe(1);
    expect(value(text, UP)).toBe(0);
    expect(value(text, AGE)).toBeGreaterThan(0);
    // Prometheus still gets the devices, and can tell that they are stale.
    await waitFor(async () => (await prom!.query(`${UP} == 0`)).length === 1, 20_000, 'Prometheus sees the account down');
    expect((await prom!.query('count(signage_device_online{platform_id="demo"})'))[0]?.value[1]).toBe(String(N));
    expect(Number((await prom!.query(AGE))[0]?.value[1])).toBeGreaterThan(0);
    expect(exporter.output()).not.toContain('int-token-5522');

    sim = await startSim();
    await waitFor(async () => {
      const t = await metrics();
      return value(t, UP) === 1 && value(t, FROM_FILE) === 0;
    }, 20_000, 'recovery after the API returns');
  }, 90_000);
});
