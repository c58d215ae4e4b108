// The embedded aedes broker on its own: scrypt-checked credentials, the contract ACL on
// publish, subscribe and last will, and stop() releasing the port.
import { createServer } from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../hub/common/log.js';
import { EmbeddedBroker } from '../../hub/mqtt/broker.js';
import { hashPassword } from '../../hub/mqtt/passwords.js';
import { waitFor } from '../support/process.js';

const hashes: Record<string, string> = { 'site/p/s1': hashPassword('pw-site-s1-123'), 'site/p/s2': hashPassword('pw-site-s2-123') };
const broker = new EmbeddedBroker({ host: '127.0.0.1', port: 0, log: silentLogger, auth: { hub: { username: 'hub', password: 'hub-pw-1234567' }, passwordHash: (u) => hashes[u] ?? null } });

function connect(username: string, password: string, opts: mqtt.IClientOptions = {}): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(broker.url, { username, password, reconnectPeriod: 0, ...opts });
    c.once('connect', () => resolve(c));
    c.once('error', (e) => {
      c.end(true);
      reject(e);
    });
  });
}

beforeAll(async () => {
  await broker.start();
});
afterAll(async () => {
  await broker.stop();
});

describe('embedded broker', () => {
  it('refuses bad credentials and unknown users', async () => {
    await expect(connect('site/p/s1', 'nope-nope-nope')).rejects.toThrow();
    await expect(connect('site/p/s3', 'pw-site-s1-123')).rejects.toThrow();
    await expect(connect('hub', 'wrong')).rejects.toThrow();
    expect(broker.authFailures).toBe(3);
  });

  it('a site cannot forge another site\'s status with its last will', async () => {
    const hub = await connect('hub', 'hub-pw-1234567');
    const seen: string[] = [];
    hub.on('message', (t) => seen.push(t));
    await hub.subscribeAsync('gsmjobs/#', { qos: 1 });
    const forger = await connect('site/p/s1', 'pw-site-s1-123', { will: { topic: 'gsmjobs/v1/site/p/s2/status', payload: Buffer.from('{}'), qos: 1, retain: true } });
    const honest = await connect('site/p/s1', 'pw-site-s1-123', { clientId: 'honest', will: { topic: 'gsmjobs/v1/site/p/s1/status', payload: Buffer.from('{}'), qos: 1, retain: false } });
    forger.stream.destroy();
    honest.stream.destroy();
    await waitFor(() => seen.includes('gsmjobs/v1/site/p/s1/status'), 10_000, 'own will delivered');
    expect(seen).not.toContain('gsmjobs/v1/site/p/s2/status');
    forger.end(true);
    honest.end(true);
    await hub.endAsync();
  });

  it('a site reads only its own topics; the hub reads all', async () => {
    const hub = await connect('hub', 'hub-pw-1234567');
    const s2 = await connect('site/p/s2', 'pw-site-s2-123');
    const got: string[] = [];
    s2.on('message', (t) => got.push(t));
    await s2.subscribeAsync('gsmjobs/v1/site/p/s2/job', { qos: 1 });
    await s2.subscribeAsync('gsmjobs/v1/site/p/s1/job', { qos: 1 }).catch(() => undefined);
    await s2.subscribeAsync('gsmjobs/#', { qos: 1 }).catch(() => undefined);
    await hub.publishAsync('gsmjobs/v1/site/p/s1/job', 'x', { qos: 1 });
    await hub.publishAsync('gsmjobs/v1/site/p/s2/job', 'y', { qos: 1 });
    await waitFor(() => got.length > 0, 10_000, 'own job');
    await new Promise((r) => setTimeout(r, 200));
    expect(got).toEqual(['gsmjobs/v1/site/p/s2/job']);
    expect(broker.denied).toBeGreaterThanOrEqual(2);
    s2.end(true);
    await hub.endAsync();
  });

  it('stop() releases the port', async () => {
    const b = new EmbeddedBroker({ host: '127.0.0.1', port: 0, log: silentLogger, auth: { hub: { username: 'hub', password: 'x' }, passwordHash: () => null } });
    await b.start();
    const port = b.port;
    await b.stop();
    const srv = createServer();
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(port, '127.0.0.1', () => resolve());
    });
    await new Promise((r) => srv.close(r));
  });
});
