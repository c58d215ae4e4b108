// One end-to-end MQTT scenario run against a live hub (embedded broker or Mosquitto): seed by
// HTTP, a fake agent and a third-party listener over MQTT, job -> updates -> events, re-send on
// reconnect, inbound reply, ACL refusals, last will.
import mqtt, { type MqttClient } from 'mqtt';
import { expect } from 'vitest';
import { waitFor } from '../support/process.js';

export interface Live {
  http: string;
  mqttUrl: string;
  admin: string;
  /** Site passwords must be these for an external broker whose password file is fixed. */
  sitePassword: string;
  eventsPassword: string;
}

export async function http(base: string, token: string, method: string, path: string, body?: unknown): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  const parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return parsed;
}

/**
 * Connect once; a refusal "server unavailable" (CONNACK 3: the embedded broker's hashing budget
 * is spent, e.g. after the wrong passwords below on a loaded machine) is retried after a pause,
 * as an agent's client does with its reconnect period. Bad credentials (5) fail at once.
 */
async function connect(url: string, username: string, password: string, extra: mqtt.IClientOptions = {}): Promise<MqttClient> {
  for (let tries = 1; ; tries++) {
    try {
      return await connectOnce(url, username, password, extra);
    } catch (err) {
      if ((err as { code?: number }).code !== 3 || tries >= 20) throw err;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

function connectOnce(url: string, username: string, password: string, extra: mqtt.IClientOptions = {}): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(url, { username, password, reconnectPeriod: 0, connectTimeout: 5000, ...extra });
    c.once('connect', () => resolve(c));
    c.once('error', (err) => {
      c.end(true);
      reject(err);
    });
  });
}

/** Subscribe where the ACL says no; returns the granted QoS (>= 128 or an error when refused). */
async function trySubscribe(c: MqttClient, topic: string): Promise<number> {
  try {
    return (await c.subscribeAsync(topic, { qos: 1 }))[0]?.qos ?? 128;
  } catch {
    return 128;
  }
}

export async function runScenario(live: Live): Promise<void> {
  const admin = (m: string, p: string, b?: unknown) => http(live.http, live.admin, m, p, b);
  await admin('POST', '/api/v1/platforms', { id: 'ar', name: 'AddReality', prometheus: { url: 'http://127.0.0.1:9' } });
  const token = (await admin('POST', '/api/v1/platforms/ar/tokens', { label: 'it' })).token as string;
  await admin('POST', '/api/v1/platforms/ar/events-password', { password: live.eventsPassword });
  const api = (m: string, p: string, b?: unknown) => http(live.http, token, m, p, b);
  await api('POST', '/api/v1/sites', { id: 's1', name: 'Site 1', mqtt_password: live.sitePassword });
  const cd = await api('POST', '/api/v1/control-devices', { name: 'Socket', phone: '+79160000001', model: 'SIMPAL_D210', site_ids: ['s1'] });
  const job = await api('POST', '/api/v1/jobs', {
    device: { key_type: 'device_id', key: '30785', name: 'Arzamas_Lesnaia_1' },
    conditions: [{ metric: 'signage_device_online', op: '==', value: 0 }],
    steps: [{ type: 'send', site_id: 's1', control_device_id: cd.id, command: { kind: 'catalog', command_id: '12_0_minutes_1', params: { minutes: 1 } } }],
  });

  // Wrong password and wrong identity are refused.
  await expect(connect(live.mqttUrl, 'site/ar/s1', 'wrong-password-123')).rejects.toThrow();
  await expect(connect(live.mqttUrl, 'site/ar/nope', live.sitePassword)).rejects.toThrow();

  const listener = await connect(live.mqttUrl, 'events/ar', live.eventsPassword);
  const events: Array<{ topic: string; body: Record<string, unknown> }> = [];
  listener.on('message', (topic, payload) => events.push({ topic, body: JSON.parse(payload.toString()) as Record<string, unknown> }));
  await listener.subscribeAsync('gsmjobs/v1/events/ar/#', { qos: 1 });
  // A listener cannot read a site's job topic: refused (aedes: SUBACK 0x80) or never delivered.
  await trySubscribe(listener, 'gsmjobs/v1/site/ar/s1/job');

  // Fired while the agent has never connected: the hub records and dispatches it anyway.
  const first = (await api('POST', `/api/v1/jobs/${job.id}/trigger`, {})).execution_id as string;
  await waitFor(async () => (await api('GET', `/api/v1/executions/${first}`)).state === 'dispatched', 10_000, 'dispatched');

  const statusTopic = 'gsmjobs/v1/site/ar/s1/status';
  const agent = await connect(live.mqttUrl, 'site/ar/s1', live.sitePassword, {
    clientId: 'agent-s1',
    clean: false,
    will: { topic: statusTopic, payload: Buffer.from(JSON.stringify({ v: 1, type: 'status', platform_id: 'ar', site_id: 's1', state: 'offline', at: new Date().toISOString() })), qos: 1, retain: true },
  });
  const jobs: Array<Record<string, unknown>> = [];
  agent.on('message', (_t, payload) => jobs.push(JSON.parse(payload.toString()) as Record<string, unknown>));
  await agent.subscribeAsync('gsmjobs/v1/site/ar/s1/job', { qos: 1 });
  await trySubscribe(agent, 'gsmjobs/v1/site/ar/s2/job');
  await agent.publishAsync(statusTopic, JSON.stringify({ v: 1, type: 'status', platform_id: 'ar', site_id: 's1', state: 'online', at: new Date().toISOString(), modem: { state: 'up', signal_dbm: -67 }, outbox: { depth: 0 } }), { qos: 1, retain: true });

  // Coming online triggers the re-send with attempt 2.
  await waitFor(() => jobs.find((j) => j.execution_id === first && j.attempt === 2), 10_000, 're-sent job');
  const j = jobs.find((x) => x.execution_id === first) as Record<string, unknown>;
  expect(j).toMatchObject({ to: '+79160000001', text: '#12#0#1#1#', platform_id: 'ar', site_id: 's1' });
  const site = await api('GET', '/api/v1/sites/s1');
  expect(site).toMatchObject({ online: true, status: { modem: { signal_dbm: -67 } } });

  const upd = (state: string, seq: number, extra: Record<string, unknown> = {}) =>
    agent.publishAsync('gsmjobs/v1/site/ar/s1/update', JSON.stringify({ v: 1, type: 'update', execution_id: first, job_id: job.id, platform_id: 'ar', site_id: 's1', state, at: new Date().toISOString(), attempt: 2, seq, ...extra }), { qos: 1 });
  await upd('accepted', 0);
  await upd('sent', 1, { message_refs: [5], parts: 1 });
  await upd('delivered', 2, { delivery: { status: 0 } });
  await waitFor(async () => (await api('GET', `/api/v1/executions/${first}`)).state === 'delivered', 10_000, 'delivered');

  // The socket answers; the reply is attached to the execution.
  await agent.publishAsync('gsmjobs/v1/site/ar/s1/inbound', JSON.stringify({ v: 1, type: 'inbound', id: 'in-1', platform_id: 'ar', site_id: 's1', from: '89160000001', text: 'Power off 1 min', received_at: new Date().toISOString(), parts: 1 }), { qos: 1 });
  await waitFor(async () => (await api('GET', `/api/v1/executions/${first}`)).replies.length === 1, 10_000, 'reply attached');

  // A site cannot publish on another site's topics (Mosquitto drops it, aedes closes the connection).
  const intruder = await connect(live.mqttUrl, 'site/ar/s1', live.sitePassword, { clientId: 'agent-s1-intruder' });
  intruder.on('error', () => undefined);
  const forged = intruder.publishAsync('gsmjobs/v1/site/ar/s2/status', JSON.stringify({ v: 1, type: 'status', platform_id: 'ar', site_id: 's2', state: 'online', at: new Date().toISOString() }), { qos: 1 });
  // aedes closes the connection without PUBACK, so do not wait for one forever.
  await Promise.race([forged.catch(() => undefined), new Promise((r) => setTimeout(r, 500))]);
  intruder.end(true);

  await waitFor(() => events.some((e) => e.topic.endsWith('/sms')), 10_000, 'sms event');
  const execStates = events.filter((e) => e.topic === 'gsmjobs/v1/events/ar/execution' && e.body.execution_id === first).map((e) => e.body.state);
  expect(execStates, JSON.stringify(execStates)).toEqual(expect.arrayContaining(['created', 'dispatched', 'accepted', 'sent', 'delivered']));
  expect(events.find((e) => e.topic === 'gsmjobs/v1/events/ar/site/s1')?.body).toMatchObject({ type: 'site', state: 'online' });
  expect(events.find((e) => e.topic.endsWith('/sms'))?.body).toMatchObject({ control_device_id: cd.id, execution_id: first });
  expect(events.some((e) => e.topic.includes('/site/s2'))).toBe(false);
  expect(events.some((e) => e.topic.startsWith('gsmjobs/v1/site/'))).toBe(false);

  // The agent vanishes: its last will marks the site offline.
  agent.stream.destroy();
  await waitFor(async () => (await api('GET', '/api/v1/sites/s1')).online === false, 10_000, 'site offline via last will');
  agent.end(true);
  await listener.endAsync();
}
