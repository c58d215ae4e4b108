// The contract's ACL on a real Mosquitto: each site's credentials reach only its own topics,
// each platform listener only its platform's events, using nothing but the username.
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventTopic, siteTopic, usernames } from '../../hub/common/contract/index.js';
import { type Mosquitto, startMosquitto } from '../support/mosquitto.js';

const acmeS1 = { platform_id: 'acme', site_id: 's1' };
const acmeS2 = { platform_id: 'acme', site_id: 's2' };
const globexS1 = { platform_id: 'globex', site_id: 's1' };

const users: Record<string, string> = {
  [usernames.hub]: 'hub-pw',
  [usernames.site(acmeS1)]: 's1-pw',
  [usernames.site(acmeS2)]: 's2-pw',
  [usernames.site(globexS1)]: 'g1-pw',
  [usernames.platformEvents('acme')]: 'ev-pw',
};

let broker: Mosquitto;
const clients: MqttClient[] = [];

async function connect(username: string, password = users[username]): Promise<{ client: MqttClient; got: Array<[string, string]> }> {
  const client = mqtt.connect(broker.url, { username, password, reconnectPeriod: 0, clientId: `t-${username.replace(/\//g, '_')}-${clients.length}` });
  clients.push(client);
  const got: Array<[string, string]> = [];
  client.on('message', (t, p) => got.push([t, p.toString()]));
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  return { client, got };
}

beforeAll(async () => {
  broker = await startMosquitto({ users });
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.endAsync(true)));
  await broker?.stop();
});

describe('Mosquitto with the contract ACL', () => {
  it('refuses a wrong password', async () => {
    await expect(connect(usernames.site(acmeS1), 'wrong')).rejects.toThrow(/Not authorized|Bad username or password/);
  });

  it('delivers jobs only to their site and accepts updates only from it', async () => {
    const hub = await connect(usernames.hub);
    const s1 = await connect(usernames.site(acmeS1));
    const s2 = await connect(usernames.site(acmeS2));
    const g1 = await connect(usernames.site(globexS1));
    const listener = await connect(usernames.platformEvents('acme'));

    await hub.client.subscribeAsync('gsmjobs/#', { qos: 1 });
    await s1.client.subscribeAsync(siteTopic(acmeS1, 'job'), { qos: 1 });
    // Mosquitto grants the SUBSCRIBE but never delivers what the ACL forbids.
    await s2.client.subscribeAsync(siteTopic(acmeS1, 'job'), { qos: 1 });
    await g1.client.subscribeAsync('gsmjobs/v1/site/acme/+/job', { qos: 1 });
    await listener.client.subscribeAsync('gsmjobs/v1/events/acme/#', { qos: 1 });
    await g1.client.subscribeAsync('gsmjobs/v1/events/acme/#', { qos: 1 });

    await hub.client.publishAsync(siteTopic(acmeS1, 'job'), 'job-for-s1', { qos: 1 });
    await hub.client.publishAsync(eventTopic('acme', 'execution'), 'acme-event', { qos: 1 });
    await hub.client.publishAsync(eventTopic('globex', 'execution'), 'globex-event', { qos: 1 });
    await s1.client.publishAsync(siteTopic(acmeS1, 'update'), 'legit-update', { qos: 1 });
    await s2.client.publishAsync(siteTopic(acmeS1, 'update'), 'forged-update', { qos: 1 });
    await g1.client.publishAsync(siteTopic(acmeS1, 'status'), 'forged-status', { qos: 1 });
    await listener.client.publishAsync(eventTopic('acme', 'execution'), 'forged-event', { qos: 1 });
    await s1.client.publishAsync(siteTopic(acmeS1, 'job'), 'self-made-job', { qos: 1 });
    // A marker the hub publishes last: once every client saw it, earlier messages have arrived.
    await hub.client.publishAsync(siteTopic(acmeS1, 'job'), 'marker', { qos: 1 });
    await new Promise((r) => setTimeout(r, 300));

    expect(s1.got.map(([, p]) => p)).toEqual(['job-for-s1', 'marker']);
    expect(s2.got).toEqual([]);
    expect(g1.got).toEqual([]);
    expect(listener.got.map(([, p]) => p)).toEqual(['acme-event']);
    const hubSaw = hub.got.map(([, p]) => p);
    expect(hubSaw).toContain('legit-update');
    expect(hubSaw).not.toContain('forged-update');
    expect(hubSaw).not.toContain('forged-status');
    expect(hubSaw).not.toContain('forged-event');
    expect(hubSaw).not.toContain('self-made-job');
  });
});
