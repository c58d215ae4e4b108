// A live hub (poll interval one hour): a job created, enabled or deleted through the API is
// picked up by the poller within about a second (ApiDeps.onJobsChanged -> PeriodicTask.soon),
// not at the next scheduled poll; an import of many jobs costs at most one extra cycle per poll
// interval (hub/poller/coalesce.ts), not one per job.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../hub/common/log.js';
import { hubConfigSchema } from '../../hub/config.js';
import { Hub } from '../../hub/hub.js';
import { freePort } from '../support/ports.js';
import { waitFor } from '../support/process.js';
import { tempDir } from './fixtures.js';
import { http } from './scenario.js';

const ADMIN = 'changed-admin-token-0123456789abcdef';
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

describe('jobs changed', () => {
  it('the poller evaluates a new job within seconds, and forgets a deleted one', async () => {
    const config = hubConfigSchema.parse({
      http: { port: 0 },
      data_dir: tempDir('changed'),
      admin_token: ADMIN,
      mqtt: { mode: 'embedded', port: await freePort() },
      poll_interval_s: 3600,
      platforms: [{ id: 'ar', name: 'AR', prometheus: { url: promUrl }, stale_when: null }],
    });
    const hub = new Hub(config, { log: silentLogger });
    await hub.start();
    try {
      const api = (m: string, p: string, b?: unknown) => http(`http://127.0.0.1:${hub.httpPort}`, ADMIN, m, `${p}?platform_id=ar`, b);
      await waitFor(() => hub.pollTask.runs >= 1, 5000);
      await api('POST', '/api/v1/sites', { id: 's1', name: 'S1' });
      const cd = await api('POST', '/api/v1/control-devices', { name: 'Socket', phone: '+79160000001', model: 'SIMPAL_D210', site_ids: ['s1'] });
      const job = await api('POST', '/api/v1/jobs', {
        device: { key_type: 'device_id', key: '7', name: 'P' },
        conditions: [{ metric: 'signage_device_online', op: '>', value: 5 }],
        steps: [{ type: 'send', site_id: 's1', control_device_id: cd.id, command: { kind: 'catalog', command_id: '02_0', params: {} } }],
      });
      await waitFor(() => hub.poller.lastReport?.evaluated === 1, 5000, 'the new job evaluated');
      expect(hub.poller.lastValues.get(job.id as string)).toEqual({ signage_device_online: 1 });
      expect(hub.pollTask.runs).toBeLessThanOrEqual(4); // the start-up run and the runs asked for, not a loop
      const runs = hub.pollTask.runs;
      expect(hub.extraCycles.asked).toBe(1);
      // An import: 30 more jobs in the same interval ask for no further cycle.
      for (let i = 0; i < 30; i++) {
        await api('POST', '/api/v1/jobs', {
          device: { key_type: 'device_id', key: `imp-${i}`, name: `I${i}` },
          conditions: [{ metric: 'signage_device_online', op: '<', value: 1 }],
          steps: [{ type: 'send', site_id: 's1', control_device_id: cd.id, command: { kind: 'catalog', command_id: '02_0', params: {} } }],
        });
      }
      expect(hub.extraCycles.asked).toBe(1);
      expect(hub.extraCycles.covered).toBe(30);
      // A deleted job's values are dropped at once, without a cycle.
      await api('DELETE', `/api/v1/jobs/${job.id as string}`);
      expect(hub.poller.lastValues.has(job.id as string)).toBe(false);
      expect(hub.pollTask.runs).toBe(runs);
    } finally {
      await hub.stop();
    }
  });
});
