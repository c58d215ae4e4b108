// /healthz follows the poll cycles (issue 15): a live hub whose cycles all fail (a job broken in
// memory, as one stored with `conditions: null` broke every cycle before loads were validated)
// answers 503 from the second failed cycle in a row, counts them in /metrics, and is healthy
// again after the next good cycle.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../hub/common/log.js';
import { hubConfigSchema } from '../../hub/config.js';
import { Hub } from '../../hub/hub.js';
import type { Job } from '../../hub/model/job.js';
import { freePort } from '../support/ports.js';
import { waitFor } from '../support/process.js';
import { tempDir } from './fixtures.js';
import { http } from './scenario.js';

const ADMIN = 'health-admin-token-0123456789-abcdefghij';
let prom: Server;
let promUrl = '';

beforeAll(async () => {
  prom = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [{ metric: { platform_id: 'ar', device_id: '7' }, value: [Date.now() / 1000, '1'] }] } }));
  });
  await new Promise<void>((r) => prom.listen(0, '127.0.0.1', r));
  promUrl = `http://127.0.0.1:${(prom.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((r) => prom.close(r));
});

describe('/healthz and failing cycles', () => {
  it('is 503 while every cycle fails, counts the failures, and recovers', async () => {
    const config = hubConfigSchema.parse({
      http: { port: 0 },
      data_dir: tempDir('health'),
      admin_token: ADMIN,
      mqtt: { mode: 'embedded', port: await freePort() },
      poll_interval_s: 1,
      platforms: [{ id: 'ar', name: 'AR', prometheus: { url: promUrl }, stale_when: null }],
    });
    const hub = new Hub(config, { log: silentLogger });
    await hub.start();
    const base = `http://127.0.0.1:${hub.httpPort}`;
    const health = async () => {
      const res = await fetch(`${base}/healthz`);
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    try {
      const api = (m: string, p: string, b?: unknown) => http(base, ADMIN, m, `${p}?platform_id=ar`, b);
      await api('POST', '/api/v1/sites', { id: 's1', name: 'S1' });
      const cd = await api('POST', '/api/v1/control-devices', { name: 'Socket', phone: '+79160000001', model: 'SIMPAL_D210', site_ids: ['s1'] });
      const job = await api('POST', '/api/v1/jobs', {
        device: { key_type: 'device_id', key: '7', name: 'P' },
        conditions: [{ metric: 'signage_device_online', op: '>', value: 5 }],
        steps: [{ type: 'send', site_id: 's1', control_device_id: cd.id, command: { kind: 'catalog', command_id: '02_0', params: {} } }],
      });
      await waitFor(() => hub.poller.lastReport?.evaluated === 1, 10_000, 'a good cycle');
      expect((await health()).status).toBe(200);

      // Break the job in memory: every cycle now throws.
      const stored = hub.store.definitions.data.jobs[job.id as string] as Job;
      const conditions = stored.conditions;
      (stored as unknown as { conditions: null }).conditions = null;
      const failing = await waitFor(async () => {
        const h = await health();
        return h.status === 503 ? h : undefined;
      }, 15_000, '/healthz 503');
      expect(failing.body).toMatchObject({ status: 'failing' });
      expect(failing.body.failed_cycles).toBeGreaterThanOrEqual(2);
      expect(String(failing.body.error)).toMatch(/conditions/);
      const metrics = await (await fetch(`${base}/metrics`)).text();
      expect(Number(/gsmjobs_hub_poll_cycle_failures_total (\d+)/.exec(metrics)?.[1])).toBeGreaterThanOrEqual(2);

      stored.conditions = conditions;
      await waitFor(async () => (await health()).status === 200, 15_000, '/healthz 200 again');
    } finally {
      await hub.stop();
    }
  }, 60_000);
});
