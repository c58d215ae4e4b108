// Integration: a real Prometheus (Debian package) scrapes the exporter, which polls the
// simulator over real HTTP; PromQL returns the devices and sees one go offline.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Exporter, createExporter } from '../../exporter/app.js';
import { exporterConfigSchema } from '../../exporter/config.js';
import { type Listening, listen } from '../../exporter/http/listen.js';
import { silentLogger } from '../../hub/common/log.js';
import { type Prometheus, startPrometheus } from '../support/prometheus.js';
import { waitFor } from '../support/process.js';
import { TOKEN, makeSim } from './helpers.js';

const N = 650;
let dir: string;
let sim: ReturnType<typeof makeSim>;
let simServer: Listening;
let exporter: Exporter;
let prom: Prometheus;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gsmjobs-exp-prom-'));
  sim = makeSim({ devices: N, cubic_players: 2 }, Date.now);
  simServer = await listen(sim.app, '127.0.0.1', 0);
  const config = exporterConfigSchema.parse({
    http: { port: 0 },
    refresh: { interval_s: 1 },
    cache: { file: join(dir, 'cache.json') },
    accounts: {
      main: { platform: 'addreality', platform_id: 'demo', base_url: simServer.url, token: TOKEN },
      cubic: { platform: 'cubicmedia', platform_id: 'demo', base_url: simServer.url, macs: ['02:00:00:00:00:00', '02:00:00:00:00:01'] },
    },
  });
  exporter = createExporter(config, { tokens: new Map([['main', TOKEN]]), log: silentLogger });
  await exporter.start();
  prom = await startPrometheus({ scrape: [{ job: 'signage', targets: [new URL(exporter.url).host] }], scrapeInterval: '1s' });
  await prom.waitForTargets('signage', 30_000);
}, 60_000);

afterAll(async () => {
  await prom?.destroy();
  await exporter?.stop();
  sim?.close();
  await simServer?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('Prometheus scrapes the exporter', () => {
  it('a PromQL query returns every device of both platforms', async () => {
    const r = await waitFor(async () => {
      const v = await prom.query('count by (platform_id) (signage_device_online)');
      return v.length === 1 && v[0]!.value[1] === String(N + 2) ? v : undefined;
    }, 20_000, `${N + 2} devices in Prometheus`);
    expect(r[0]!.metric).toEqual({ platform_id: 'demo' });
    const cubic = await prom.query('signage_device_online{mac="02:00:00:00:00:01"}');
    expect(cubic[0]!.metric).toMatchObject({ platform_id: 'demo', mac: '02:00:00:00:00:01', name: 'Cubic_2', job: 'signage' });
    const up = await prom.query('signage_exporter_account_up');
    expect(up.map((s) => [s.metric.account, s.value[1]]).sort()).toEqual([['cubic', '1'], ['main', '1']]);
  });

  it('sees a device the simulator flips offline as new values of the same series (no new info series)', async () => {
    const before = await prom.query('signage_device_info{device_id="30005"}');
    const res = await fetch(`${simServer.url}/_sim/devices/30005`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ connection_state: 'offline', player_status: 'idle' }) });
    expect(res.status).toBe(200);
    await waitFor(async () => {
      const v = await prom.query('signage_device_online{device_id="30005"} == 0');
      return v.length === 1;
    }, 20_000, 'device 30005 offline in Prometheus');
    await waitFor(async () => (await prom.query('signage_device_player_status{device_id="30005"} == 0')).length === 1, 20_000, 'player status idle (0)');
    const info = await prom.query('signage_device_info{device_id="30005"}');
    expect(info).toHaveLength(1);
    expect(info[0]!.metric).toEqual(before[0]!.metric);
    expect(info[0]!.metric).toMatchObject({ platform_id: 'demo', account: 'main' });
    expect(info[0]!.metric).not.toHaveProperty('connection_state');
    // Prometheus saw one info series for the device over the whole run: the flip made no new one.
    expect(await prom.query('count(count_over_time(signage_device_info{device_id="30005"}[1h]))')).toMatchObject([{ value: [expect.anything(), '1'] }]);
    const seen = await prom.query('time() - signage_device_last_seen_timestamp_seconds{device_id="30005"}');
    expect(Number(seen[0]!.value[1])).toBeLessThan(120);
  });
});
