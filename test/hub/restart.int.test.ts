// A hub restarted on the same data directory: the job that fired stays `firing` (no second
// execution), and the execution the agent never acknowledged is re-sent when the site connects.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../hub/common/log.js';
import { hubConfigSchema } from '../../hub/config.js';
import { Hub } from '../../hub/hub.js';
import { freePort } from '../support/ports.js';
import { waitFor } from '../support/process.js';
import { tempDir } from './fixtures.js';
import { http } from './scenario.js';

const ADMIN = 'restart-admin-token-0123456789abcdef';
let prom: Server;
let promUrl = '';

beforeAll(async () => {
  // A minimal Prometheus-compatible answer: device 30785 is offline.
  prom = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [{ metric: { platform_id: 'ar', device_id: '30785' }, value: [Date.now() / 1000, '0'] }] } }));
  });
  await new Promise<void>((r) => prom.listen(0, '127.0.0.1', r));
  promUrl = `http://127.0.0.1:${(prom.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((r) => prom.close(r));
});

describe('hub restart', () => {
  it('does not fire again and re-sends the unacknowledged execution when the site connects', async () => {
    const dataDir = tempDir('restart');
    const mqttPort = await freePort();
    const config = hubConfigSchema.parse({
      http: { port: 0 },
      data_dir: dataDir,
      admin_token: ADMIN,
      mqtt: { mode: 'embedded', port: mqttPort },
      poll_interval_s: 3600,
      remediation: { settle_s: 0 },
      // This fake answers every query with the same vector: no freshness rule (probe = vector(1)).
      platforms: [{ id: 'ar', name: 'AR', prometheus: { url: promUrl }, stale_when: null }],
    });
    const first = new Hub(config, { log: silentLogger });
    await first.start();
    const api = (hub: Hub, m: string, p: string, b?: unknown) => http(`http://127.0.0.1:${hub.httpPort}`, ADMIN, m, `${p}?platform_id=ar`, b);
    await api(first, 'POST', '/api/v1/sites', { id: 's1', name: 'S1', mqtt_password: 'site-password-s1' });
    const cd = await api(first, 'POST', '/api/v1/control-devices', { name: 'Socket', phone: '+79160000001', model: 'SIMPAL_D210', site_ids: ['s1'] });
    const job = await api(first, 'POST', '/api/v1/jobs', {
      device: { key_type: 'device_id', key: '30785', name: 'P' },
      conditions: [{ metric: 'signage_device_online', op: '==', value: 0 }],
      steps: [{ type: 'send', site_id: 's1', control_device_id: cd.id, command: { kind: 'catalog', command_id: '02_0', params: {} } }],
    });
    expect((await first.poller.cycle()).fired).toBe(1);
    await first.publisher.idle();
    await first.stop();

    const second = new Hub(config, { log: silentLogger });
    await second.start();
    try {
      expect((await second.poller.cycle()).fired).toBe(0);
      const execs = (await api(second, 'GET', '/api/v1/executions')).items as Array<{ id: string; state: string }>;
      expect(execs).toHaveLength(1);
      expect((await api(second, 'GET', `/api/v1/jobs/${job.id}`)).status.state).toBe('firing');

      const agent = await mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, { username: 'site/ar/s1', password: 'site-password-s1', reconnectPeriod: 0 });
      const received: Array<Record<string, unknown>> = [];
      agent.on('message', (_t, p) => received.push(JSON.parse(p.toString()) as Record<string, unknown>));
      await agent.subscribeAsync('gsmjobs/v1/site/ar/s1/job', { qos: 1 });
      await agent.publishAsync('gsmjobs/v1/site/ar/s1/status', JSON.stringify({ v: 1, type: 'status', platform_id: 'ar', site_id: 's1', state: 'online', at: new Date().toISOString() }), { qos: 1, retain: true });
      await waitFor(() => received.find((j) => j.execution_id === execs[0]?.id), 10_000, 're-sent after restart');
      expect(received[0]).toMatchObject({ text: '#02#0#', attempt: 2 });
      await agent.endAsync();
    } finally {
      await second.stop();
    }
  }, 30_000);
});
