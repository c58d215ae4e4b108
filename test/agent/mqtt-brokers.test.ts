// Issue 20 step 4, the pure parts: `mqtt.url` as one URL (old form) or a list of brokers, with
// clear errors; masking; the rotation and how it re-aims MQTT.js's options (TLS server name);
// the adapter over a fake client moving to the next broker on each reconnect.
import { EventEmitter } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IClientOptions, MqttClient } from 'mqtt';
import { describe, expect, it } from 'vitest';
import { agentConfigSchema, loadAgentConfig, maskedConfig, secretsOf, shownBrokers } from '../../agent/config.js';
import { BrokerRotation, aimOptions, brokerListProblems, parseBroker, withoutCredentials } from '../../agent/mqtt/brokers.js';
import { MqttAdapter } from '../../agent/mqtt/adapter.js';
import { ConfigError } from '../../hub/common/config.js';
import { silentLogger } from '../../hub/common/log.js';
import { examples, siteTopic } from '../../hub/common/contract/index.js';

const ENV = { GSMJOBS_AGENT_PLATFORM_ID: 'p1', GSMJOBS_AGENT_SITE_ID: 's1' };
const issuesOf = (url: string) => {
  try {
    loadAgentConfig(undefined, { ...ENV, GSMJOBS_AGENT_MQTT__URL: url });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues.join('\n');
  }
  throw new Error(`${url} was accepted`);
};

describe('mqtt.url: one broker or a list', () => {
  it('keeps the single-URL form, any scheme it took before, credentials included', () => {
    expect(loadAgentConfig(undefined, { ...ENV, GSMJOBS_AGENT_MQTT__URL: 'wss://broker.example/mqtt' }).mqtt.url).toBe('wss://broker.example/mqtt');
    const c = loadAgentConfig(undefined, { ...ENV, GSMJOBS_AGENT_MQTT__URL: 'mqtt://u:pw-in-url@127.0.0.1:1883' });
    expect(maskedConfig(c).mqtt.url).toBe('mqtt://u:***@127.0.0.1:1883');
    expect(secretsOf(c)).toContain('pw-in-url');
    expect(shownBrokers(c)).toEqual(['mqtt://127.0.0.1:1883']);
  });

  it('takes a list from YAML and from the environment (JSON)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gsmjobs-brokers-'));
    const file = join(dir, 'agent.yaml');
    writeFileSync(file, 'platform_id: p1\nsite_id: s1\nmqtt:\n  url: [mqtts://a.example:8883, mqtts://b.example]\n  password: secret-1\n');
    const c = loadAgentConfig(file, {});
    expect(c.mqtt.url).toEqual(['mqtts://a.example:8883', 'mqtts://b.example']);
    expect(maskedConfig(c).mqtt).toMatchObject({ url: ['mqtts://a.example:8883', 'mqtts://b.example'], password: '***' });
    const e = loadAgentConfig(undefined, { ...ENV, GSMJOBS_AGENT_MQTT__URL: '["mqtt://10.0.0.1","mqtt://10.0.0.2:1884"]' });
    expect(new BrokerRotation(e.mqtt.url as string[]).brokers.map((b) => `${b.host}:${b.port}`)).toEqual(['10.0.0.1:1883', '10.0.0.2:1884']);
  });

  it('refuses a bad list with one clear issue per problem, in English and Russian', () => {
    expect(issuesOf('[]')).toMatch(/mqtt\.url: give 1 to 8 broker URLs \(got 0\) \/ укажите/);
    expect(issuesOf(JSON.stringify(Array.from({ length: 9 }, (_, i) => `mqtt://b${i}`)))).toMatch(/got 9/);
    expect(issuesOf('["mqtt://a","ws://b"]')).toMatch(/mqtt\.url: \[1\] must start with mqtt:\/\/ or mqtts:\/\//);
    expect(issuesOf('["mqtt://a","mqtts://b"]')).toMatch(/one scheme \(all mqtt:\/\/ or all mqtts:\/\/\)/);
    const creds = issuesOf('["mqtt://site:hunter2@a","mqtt://b"]');
    expect(creds).toMatch(/\[0\] has credentials in the URL: put them in mqtt\.username and mqtt\.password/);
    expect(creds).not.toContain('hunter2');
    expect(issuesOf('["mqtt://a","mqtt://a:1883"]')).toMatch(/\[1\] mqtt:\/\/a:1883 is listed twice/);
    expect(issuesOf('["mqtt://a/path"]')).toMatch(/\[0\] takes no path or query/);
    expect(issuesOf('["mqtt://"]')).toMatch(/\[0\] (no host|not a URL)/);
    expect(issuesOf('http://x')).toMatch(/mqtt\.url: must start with mqtt:\/\//);
    expect(brokerListProblems(['mqtt://a', 'mqtt://b:1884'])).toEqual([]);
  });
});

describe('broker rotation', () => {
  it('goes round robin from the first, with scheme default ports and credentials stripped for display', () => {
    const r = new BrokerRotation(['mqtt://u:p@a.example', 'mqtt://[::1]:1884', 'mqtts://c.example']);
    expect(r.current).toMatchObject({ host: 'a.example', port: 1883, shown: 'mqtt://a.example' });
    expect(r.next()).toMatchObject({ host: '::1', port: 1884 });
    expect(r.next()).toMatchObject({ host: 'c.example', port: 8883, protocol: 'mqtts' });
    expect(r.next().host).toBe('a.example');
    expect(withoutCredentials('mqtts://site%2Fp1:s3cret@h:8883')).toBe('mqtts://h:8883');
    expect(() => parseBroker('nonsense')).toThrow(/not a URL/);
  });

  it('re-aims the options MQTT.js reads on reconnect, TLS server name included', () => {
    const opts: { host?: string; hostname?: string; port?: number; servername?: string } = { host: 'a.example', hostname: 'a.example', port: 8883, servername: 'a.example' };
    aimOptions(opts, parseBroker('mqtts://b.example:8884'));
    expect(opts).toEqual({ host: 'b.example', hostname: 'b.example', port: 8884, servername: 'b.example' });
    aimOptions(opts, parseBroker('mqtts://192.0.2.7'));
    expect(opts).toEqual({ host: '192.0.2.7', hostname: '192.0.2.7', port: 8883 });
  });
});

class FakeClient extends EventEmitter {
  connected = false;
  constructor(readonly options: IClientOptions) {
    super();
  }
  subscribe() {}
  publish() {}
}

describe('MqttAdapter with several brokers', () => {
  const config = (url: string | string[]) => agentConfigSchema.parse({ platform_id: 'p1', site_id: 's1', mqtt: { url, password: 'pw' } });
  const adapter = (url: string | string[], seen: string[], onJob = async () => {}) => {
    let client: FakeClient | undefined;
    const a = new MqttAdapter({
      config: config(url),
      log: silentLogger,
      onJob,
      onMalformed: () => {},
      onUpdateAcked: () => {},
      pendingUpdates: () => [],
      connect: (u, opts) => {
        seen.push(u);
        client = new FakeClient({ ...opts, host: new URL(u).hostname, port: Number(new URL(u).port) });
        return client as unknown as MqttClient;
      },
    });
    a.start();
    return { a, client: () => client as FakeClient };
  };

  it('connects to the first, moves to the next on each reconnect, keeps one client and its id', () => {
    const seen: string[] = [];
    const { a, client } = adapter(['mqtt://127.0.0.1:1001', 'mqtt://127.0.0.1:1002'], seen);
    expect(seen).toEqual(['mqtt://127.0.0.1:1001']);
    expect(a.broker).toBe('mqtt://127.0.0.1:1001');
    const c = client();
    c.emit('reconnect');
    expect(c.options).toMatchObject({ host: '127.0.0.1', port: 1002, clientId: 'gsmjobs-agent-p1-s1', clean: false });
    expect(a.broker).toBe('mqtt://127.0.0.1:1002');
    c.emit('connect', { sessionPresent: false });
    expect(a.connected).toBe(true);
    c.emit('reconnect');
    expect(c.options.port).toBe(1001);
    expect(seen).toHaveLength(1);
  });

  it('leaves a single URL alone on reconnect', () => {
    const { a, client } = adapter('mqtt://127.0.0.1:1001', []);
    client().emit('reconnect');
    expect(client().options.port).toBe(1001);
    expect(a.broker).toBe('mqtt://127.0.0.1:1001');
  });

  it('stays on the broker once after dropping the connection over a job it could not store', async () => {
    const { client } = adapter(['mqtt://127.0.0.1:1001', 'mqtt://127.0.0.1:1002'], [], () => Promise.reject(new Error('ENOSPC')));
    const c = client() as FakeClient & { handleMessage: (p: unknown, done: (err?: Error) => void) => void };
    const job = { ...examples.exampleJob, platform_id: 'p1', site_id: 's1' };
    const acked = await new Promise<Error | undefined>((resolve) => c.handleMessage({ topic: siteTopic({ platform_id: 'p1', site_id: 's1' }, 'job'), payload: Buffer.from(JSON.stringify(job)) }, resolve));
    expect(acked?.message).toBe('ENOSPC');
    c.emit('reconnect');
    expect(c.options.port).toBe(1001);
    c.emit('reconnect');
    expect(c.options.port).toBe(1002);
  });
});
