// Stale samples and duplicate series against a real Prometheus (issue 21): a target exposes one
// device with a sample two minutes old (explicit timestamp, as a federated or remote-written
// source shows it), one fresh, and one with two series. With the platform's max_sample_age_s at
// 60 the old one counts as no data and both findings come back in the same request; without it
// the old value is taken as current.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../hub/common/log.js';
import { hubConfigSchema } from '../../hub/config.js';
import { Hub } from '../../hub/hub.js';
import { collect } from '../../hub/poller/collect.js';
import { PrometheusClient } from '../../hub/prometheus/client.js';
import type { Job } from '../../hub/model/job.js';
import { type Prometheus, startPrometheus } from '../support/prometheus.js';
import { waitFor } from '../support/process.js';
import { tempDir } from './fixtures.js';
import { http } from './scenario.js';

let target: Server;
let prom: Prometheus;
const oldAt = Date.now() - 120_000;

function metricsText(): string {
  return [
    '# TYPE signage_device_online gauge',
    'signage_device_online{platform_id="ar",device_id="fresh"} 1',
    `signage_device_online{platform_id="ar",device_id="old"} 1 ${oldAt}`,
    'signage_device_online{platform_id="ar",device_id="dup",replica="a"} 0',
    'signage_device_online{platform_id="ar",device_id="dup",replica="b"} 1',
    '',
  ].join('\n');
}

beforeAll(async () => {
  target = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(metricsText());
  });
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  prom = await startPrometheus({ scrape: [{ job: 'signage', targets: [`127.0.0.1:${(target.address() as AddressInfo).port}`] }] });
  await prom.waitForTargets('signage');
  await waitFor(async () => (await prom.query('count(signage_device_online)'))[0]?.value[1] === '4', 30_000, 'all four series scraped');
}, 90_000);

afterAll(async () => {
  await prom?.destroy();
  await new Promise((r) => target?.close(r));
});

const watched = (key: string): Pick<Job, 'conditions' | 'device'> => ({ conditions: [{ metric: 'signage_device_online', op: '<', value: 1 }], device: { key_type: 'device_id', key, name: key } });

describe('max_sample_age_s with a real Prometheus', () => {
  it('an old sample counts as no data and is reported with the duplicate series, in one request per metric', async () => {
    const client = new PrometheusClient({ timeoutMs: 5000, concurrency: 2 });
    const jobs = ['fresh', 'old', 'dup'].map(watched);
    const checked = await collect('ar', { url: prom.url, headers: {}, max_sample_age_s: 60 }, jobs, client.query);
    expect(checked.errors).toEqual([]);
    expect(checked.requests).toBe(1);
    expect([...checked.samples.keys()].sort()).toEqual(['device_id=dup', 'device_id=fresh']);
    expect(checked.samples.get('device_id=dup')?.get('signage_device_online')).toBe(1);
    expect(checked.checks).toMatchObject({ stale_samples: 1, duplicate_series: 1 });
    expect(checked.checks?.stale_examples[0]).toMatch(/^signage_device_online old \((1[2-9]\d|[2-9]\d\d) s old\)$/);
    expect(checked.checks?.duplicate_examples).toEqual(['signage_device_online dup (2 series)']);

    // Without the setting: the plain query, the old value taken as current, nothing reported.
    const plain = await collect('ar', { url: prom.url, headers: {} }, jobs, client.query);
    expect([...plain.samples.keys()].sort()).toEqual(['device_id=dup', 'device_id=fresh', 'device_id=old']);
    expect(plain.checks).toBeUndefined();
  }, 60_000);

  it('the hub: the stale device is not evaluated as current, the cycle reports both on /metrics', async () => {
    const ADMIN = 'sample-age-admin-token-0123456789abcdef';
    const hub = new Hub(
      hubConfigSchema.parse({
        http: { port: 0 },
        data_dir: tempDir('sample-age'),
        admin_token: ADMIN,
        mqtt: { mode: 'embedded', port: 0 },
        poll_interval_s: 3600,
        platforms: [{ id: 'ar', name: 'AR', prometheus: { url: prom.url, max_sample_age_s: 60 }, stale_when: null }],
      }),
      { log: silentLogger },
    );
    await hub.start();
    try {
      const base = `http://127.0.0.1:${hub.httpPort}`;
      const api = (m: string, p: string, b?: unknown) => http(base, ADMIN, m, `${p}?platform_id=ar`, b);
      await api('POST', '/api/v1/sites', { id: 's1', name: 'S1' });
      const cd = await api('POST', '/api/v1/control-devices', { name: 'Socket', phone: '+79160000001', model: 'SIMPAL_D210', site_ids: ['s1'] });
      const ids: Record<string, string> = {};
      for (const key of ['fresh', 'old', 'dup']) {
        const job = await api('POST', '/api/v1/jobs', {
          device: { key_type: 'device_id', key, name: key },
          conditions: [{ metric: 'signage_device_online', op: '<', value: 2 }],
          steps: [{ type: 'send', site_id: 's1', control_device_id: cd.id, command: { kind: 'catalog', command_id: '02_0', params: {} } }],
        });
        ids[key] = job.id as string;
      }
      const report = await hub.poller.cycle();
      expect(report.samples?.ar).toMatchObject({ stale_samples: 1, duplicate_series: 1 });
      expect(hub.poller.lastValues.get(ids.old!)).toEqual({ signage_device_online: null });
      expect(hub.poller.lastValues.get(ids.fresh!)).toEqual({ signage_device_online: 1 });
      const state = async (id: string) => ((await api('GET', `/api/v1/jobs/${id}`)).status as { state: string }).state;
      expect(await state(ids.fresh!)).toBe('firing');
      expect(await state(ids.old!)).not.toBe('firing');
      const metrics = await (await fetch(`${base}/metrics`)).text();
      expect(metrics).toContain('gsmjobs_hub_stale_samples{platform_id="ar"} 1');
      expect(metrics).toContain('gsmjobs_hub_duplicate_series{platform_id="ar"} 1');
      const platform = await http(base, ADMIN, 'GET', '/api/v1/platforms/ar');
      expect(platform.prometheus).toMatchObject({ max_sample_age_s: 60 });
    } finally {
      await hub.stop();
    }
  }, 60_000);
});
