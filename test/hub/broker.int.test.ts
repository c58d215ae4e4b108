// The embedded aedes broker on its own: scrypt-checked credentials, the contract ACL on
// publish, subscribe and last will, and stop() releasing the port. Issue 18: unknown usernames
// get the same answer after the same work, failing addresses back off (reset before their CONNECT
// is read; a throttled username gets CONNACK 3), an agent that
// logged in before still gets in during a flood, MQTT 5 is refused, and the refusals and ACL
// denials are counted in the registry.
import { createServer } from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../hub/common/log.js';
import { createRegistry } from '../../hub/common/metrics.js';
import { EmbeddedBroker } from '../../hub/mqtt/broker.js';
import { BROKER_LIMITS } from '../../hub/mqtt/limits.js';
import { hashPassword } from '../../hub/mqtt/passwords.js';
import { rawConnect } from '../support/mqtt-raw.js';
import { waitFor } from '../support/process.js';

const hashes: Record<string, string> = { 'site/p/s1': hashPassword('pw-site-s1-123'), 'site/p/s2': hashPassword('pw-site-s2-123'), 'site/p/s4': hashPassword('pw-site-s4-123') };
const registry = createRegistry({ defaultMetrics: false, prefix: 'gsmjobs_hub_' });
// A failure budget that lasts the whole file: these tests count every hashed refusal one by one.
const broker = new EmbeddedBroker({ host: '127.0.0.1', port: 0, log: silentLogger, registry, limits: { ...BROKER_LIMITS, hash_burst_ms: 600_000 }, auth: { hub: { username: 'hub', password: 'hub-pw-1234567' }, passwordHash: (u) => hashes[u] ?? null } });

async function counter(name: string, labels: Record<string, string>): Promise<number> {
  const m = (await registry.getMetricsAsJSON()).find((x) => x.name === name);
  const v = (m?.values as Array<{ labels: Record<string, string>; value: number }> | undefined)?.find((x) => Object.entries(labels).every(([k, l]) => x.labels[k] === l));
  return v?.value ?? 0;
}

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
    expect(await counter('gsmjobs_hub_mqtt_acl_denials_total', { action: 'subscribe' })).toBeGreaterThanOrEqual(2);
    s2.end(true);
    await hub.endAsync();
  });

  it('answers unknown usernames like known ones, after the same hashing work', async () => {
    // Each attempt from its own loopback address, so no backoff interferes.
    const known = [];
    const unknown = [];
    for (let i = 0; i < 4; i++) {
      known.push(await rawConnect({ port: broker.port, localAddress: `127.0.10.${i + 1}`, username: 'site/p/s2', password: 'wrong-wrong' }));
      unknown.push(await rawConnect({ port: broker.port, localAddress: `127.0.11.${i + 1}`, username: `site/p/nobody${i}`, password: 'wrong-wrong' }));
    }
    expect(new Set([...known, ...unknown].map((r) => r.returnCode))).toEqual(new Set([4]));
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
    const k = median(known.map((r) => r.ms));
    const u = median(unknown.map((r) => r.ms));
    console.log(`refusal time, median of 4: known username ${k.toFixed(1)} ms, unknown ${u.toFixed(1)} ms`);
    // scrypt (N=16384) takes tens of ms; the old code answered unknown names in under 1 ms.
    expect(u).toBeGreaterThan(k / 4);
  });

  it('backs a failing address off (reset unread) and a username (CONNACK 3), counted, while a known agent still gets in', async () => {
    const before = await counter('gsmjobs_hub_mqtt_auth_failures_total', { reason: 'throttled' });
    expect((await rawConnect({ port: broker.port, localAddress: '127.0.12.1', username: 'site/p/s4', password: 'pw-site-s4-123' })).returnCode).toBe(0);
    const codes: Array<number | null> = [];
    for (let i = 0; i < 8; i++) codes.push((await rawConnect({ port: broker.port, localAddress: '127.0.12.2', username: 'site/p/s4', password: `guess-${i}` })).returnCode);
    expect(codes.slice(0, 5)).toEqual([4, 4, 4, 4, 4]);
    expect(codes.slice(5)).toEqual([null, null, null]); // throttled: the address is reset before its CONNECT is read
    // The username is now throttled for strangers too, but not for the address it logged in from.
    expect((await rawConnect({ port: broker.port, localAddress: '127.0.12.3', username: 'site/p/s4', password: 'pw-site-s4-123' })).returnCode).toBe(3);
    expect((await rawConnect({ port: broker.port, localAddress: '127.0.12.1', username: 'site/p/s4', password: 'pw-site-s4-123' })).returnCode).toBe(0);
    expect((await counter('gsmjobs_hub_mqtt_auth_failures_total', { reason: 'throttled' })) - before).toBe(4);
    expect(await counter('gsmjobs_hub_mqtt_auth_failures_total', { reason: 'bad_credentials' })).toBeGreaterThanOrEqual(5);
  });

  it('refuses MQTT 5 with CONNACK 1 (unacceptable protocol version)', async () => {
    const r = await rawConnect({ port: broker.port, localAddress: '127.0.13.1', username: 'site/p/s1', password: 'pw-site-s1-123', version: 5 });
    expect(r.returnCode).toBe(1);
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
