// Against a real Prometheus (Debian package) scraping a small target served here: the poller
// batches, reads the device's value, fires; the devices API lists what Prometheus knows; when
// Prometheus stops, the cycle is degraded and nothing fires.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../hub/common/log.js';
import { hubConfigSchema } from '../../hub/config.js';
import { Hub } from '../../hub/hub.js';
import { type Prometheus, startPrometheus } from '../support/prometheus.js';
import { waitFor } from '../support/process.js';
import { tempDir } from './fixtures.js';
import { http } from './scenario.js';

const ADMIN = 'it-admin-token-0123456789abcdefghijk';
const online: Record<string, number> = { '30785': 1, '30786': 1 };
let target: Server;
let prom: Prometheus;
let hub: Hub;

function metricsText(): string {
  const lines = ['# TYPE signage_device_online gauge'];
  for (const [id, v] of Object.entries(online)) lines.push(`signage_device_online{platform_id="ar",device_id="${id}",name="Player_${id}"} ${v}`);
  lines.push(`signage_device_online{platform_id="other",device_id="30785",name="Foreign"} 0`);
  lines.push('# TYPE signage_device_last_seen_timestamp_seconds gauge');
  lines.push(`signage_device_last_seen_timestamp_seconds{platform_id="ar",mac="aa:bb:cc:00:00:01",name="Cubic_1"} 1.7e9`);
  return `${lines.join('\n')}\n`;
}

beforeAll(async () => {
  target = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(metricsText());
  });
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  const port = (target.address() as AddressInfo).port;
  prom = await startPrometheus({ scrape: [{ job: 'signage', targets: [`127.0.0.1:${port}`] }] });
  await prom.waitForTargets('signage');
  const config = hubConfigSchema.parse({
    http: { port: 0 },
    data_dir: tempDir('prom'),
    admin_token: ADMIN,
    mqtt: { mode: 'embedded', port: 0 },
    poll_interval_s: 3600,
    prometheus: { timeout_ms: 2000, concurrency: 2 },
    platforms: [{ id: 'ar', name: 'AddReality', prometheus: { url: prom.url, headers: { 'X-Scope-OrgID': 'ar' } } }],
  });
  hub = new Hub(config, { log: silentLogger });
  await hub.start();
}, 60_000);

afterAll(async () => {
  await hub?.stop();
  await prom?.destroy();
  await new Promise((r) => target?.close(r));
});

describe('hub with a real Prometheus', () => {
  it('discovers devices and metrics, fires on the real value, degrades when Prometheus is gone', async () => {
    const base = `http://127.0.0.1:${hub.httpPort}`;
    const api = (m: string, p: string, b?: unknown) => http(base, ADMIN, m, `${p}${p.includes('?') ? '&' : '?'}platform_id=ar`, b);
    const devices = await api('GET', '/api/v1/devices');
    expect(devices.items.map((d: { key: string; name: string }) => `${d.key}:${d.name}`)).toEqual(['aa:bb:cc:00:00:01:Cubic_1', '30785:Player_30785', '30786:Player_30786']);
    const metrics = await api('GET', '/api/v1/devices/device_id/30785/metrics');
    expect(metrics.items).toEqual([expect.objectContaining({ metric: 'signage_device_online', value: 1 })]);

    await api('POST', '/api/v1/sites', { id: 's1', name: 'Site 1' });
    const cd = await api('POST', '/api/v1/control-devices', { name: 'Socket', phone: '+79160000001', model: 'SIMPAL_D410', site_ids: ['s1'] });
    const job = await api('POST', '/api/v1/jobs', {
      device: { key_type: 'device_id', key: '30785', name: 'Player_30785' },
      conditions: [{ metric: 'signage_device_online', op: '==', value: 0 }],
      steps: [{ type: 'send', site_id: 's1', control_device_id: cd.id, command: { kind: 'catalog', command_id: '02_1', params: {} } }],
    });
    let r = await hub.poller.cycle();
    expect(r).toMatchObject({ requests: 1, evaluated: 1, fired: 0, degraded: false });
    expect((await api('GET', `/api/v1/jobs/${job.id}`)).status).toMatchObject({ state: 'ok', values: { signage_device_online: 1 } });

    online['30785'] = 0;
    await waitFor(async () => (await prom.query('signage_device_online{platform_id="ar",device_id="30785"} == 0')).length === 1, 10_000, 'scrape of 0');
    const dry = await api('POST', `/api/v1/jobs/${job.id}/dry-run`);
    expect(dry).toMatchObject({ would_fire: true, sms: { text: '#02#1#', to: '+79160000001' } });
    r = await hub.poller.cycle();
    expect(r.fired).toBe(1);
    const execs = await api('GET', `/api/v1/executions?job_id=${job.id}`);
    expect(execs.items).toHaveLength(1);
    expect(execs.items[0].trigger.values).toEqual({ signage_device_online: 0 });
    r = await hub.poller.cycle();
    expect(r.fired).toBe(0);

    await prom.stop();
    r = await hub.poller.cycle();
    expect(r).toMatchObject({ degraded: true, fired: 0, skipped: 1 });
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ prometheus: 'down', mqtt: 'up' });
    const text = await (await fetch(`${base}/metrics`)).text();
    // At least this cycle; the extra cycle that job creation asks for (onJobsChanged) may land after prom.stop() on a loaded machine.
    expect(text).toMatch(/gsmjobs_hub_degraded_cycles_total [1-9]/);
    expect(text).toMatch(/gsmjobs_hub_prometheus_queries_total\{result="error"\} [1-9]/);
    expect(text).toMatch(/gsmjobs_hub_jobs\{platform_id="ar",state="firing"\} 1/);
  }, 40_000);
});
