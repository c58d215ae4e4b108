// Refused site payloads are counted in /metrics (issue 15) and retained updates / inbound SMS
// are refused (issue 18): the hub against a real Mosquitto with per-site credentials and the
// contract ACL, a real MQTT client as the site's agent. A retained publish reaches a subscribed
// hub as a plain message [MQTT-3.3.1-9] and is handled; its retained copy reaches every later
// subscription of the hub with the retain flag and must be refused, not handled again.
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../hub/common/log.js';
import { exampleInbound, exampleStatus, exampleUpdates } from '../../hub/common/contract/examples.js';
import { hubConfigSchema, type HubConfig } from '../../hub/config.js';
import { Hub } from '../../hub/hub.js';
import { type Mosquitto, startMosquitto } from '../support/mosquitto.js';
import { waitFor } from '../support/process.js';
import { tempDir } from './fixtures.js';
import { http } from './scenario.js';

const ADMIN = 'rejected-admin-token-0123456789-abcdefgh';
const PASS = { hub: 'hub-password-123', site: 'site-password-s1' };
const TOPIC = (kind: string) => `gsmjobs/v1/site/ar/s1/${kind}`;
let broker: Mosquitto;
let config: HubConfig;

beforeAll(async () => {
  broker = await startMosquitto({ persistence: true, users: { hub: PASS.hub, 'site/ar/s1': PASS.site } });
  config = hubConfigSchema.parse({
    http: { host: '127.0.0.1', port: 0 },
    data_dir: tempDir('rejected'),
    admin_token: ADMIN,
    mqtt: { mode: 'external', url: broker.url, username: 'hub', password: PASS.hub },
    poll_interval_s: 3600,
  });
}, 30_000);

afterAll(async () => {
  await broker?.stop();
});

function site(): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(broker.url, { username: 'site/ar/s1', password: PASS.site, clientId: `agent-s1-${Date.now()}`, reconnectPeriod: 0 });
    c.once('connect', () => resolve(c));
    c.once('error', reject);
  });
}

async function rejected(hub: Hub): Promise<Record<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${hub.httpPort}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^gsmjobs_hub_mqtt_rejected_messages_total\{([^}]*)\} (\d+)/gm)) {
    const labels = Object.fromEntries([...(m[1] as string).matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    out[`${labels.platform_id}/${labels.kind}/${labels.reason}`] = Number(m[2]);
  }
  return out;
}

describe('refused MQTT payloads', () => {
  it('are counted by platform, kind and reason; retained updates and inbound SMS are refused at the next subscription', async () => {
    const hub1 = new Hub(config, { log: silentLogger });
    await hub1.start();
    const base = `http://127.0.0.1:${hub1.httpPort}`;
    await http(base, ADMIN, 'POST', '/api/v1/platforms', { id: 'ar', name: 'AR', prometheus: { url: 'http://127.0.0.1:9' } });
    await http(base, ADMIN, 'POST', '/api/v1/sites?platform_id=ar', { id: 's1', name: 'S1', mqtt_password: PASS.site });
    const agent = await site();
    const inbound = { ...exampleInbound, platform_id: 'ar', site_id: 's1', id: 'in-retained-1' };
    const update = { ...exampleUpdates[0], platform_id: 'ar', site_id: 's1', execution_id: 'nope' };
    try {
      await agent.publishAsync(TOPIC('status'), JSON.stringify({ ...exampleStatus, platform_id: 'ar', site_id: 's1' }), { qos: 1, retain: true });
      // Refusals of every kind the site can produce on its own topics.
      await agent.publishAsync(TOPIC('update'), 'not json', { qos: 1 });
      await agent.publishAsync(TOPIC('update'), JSON.stringify({ v: 1, type: 'update' }), { qos: 1 });
      await agent.publishAsync(TOPIC('update'), JSON.stringify(update), { qos: 1 });
      await agent.publishAsync(TOPIC('inbound'), JSON.stringify({ ...inbound, site_id: 's2' }), { qos: 1 });
      await agent.publishAsync(TOPIC('status'), 'x'.repeat(70_000), { qos: 1 });
      // Retained by mistake (an agent bug, or anyone with the site's password): this hub is
      // subscribed, so it gets them as plain messages and handles the inbound SMS once.
      await agent.publishAsync(TOPIC('inbound'), JSON.stringify(inbound), { qos: 1, retain: true });
      await agent.publishAsync(TOPIC('update'), JSON.stringify({ ...update, execution_id: 'nope-retained' }), { qos: 1, retain: true });
      const first = await waitFor(async () => {
        const r = await rejected(hub1);
        return Object.values(r).reduce((a, b) => a + b, 0) >= 6 && hub1.store.inbound('ar').length === 1 ? r : undefined;
      }, 15_000, 'the refusals counted');
      expect(first).toEqual({
        'ar/update/malformed': 1,
        'ar/update/schema': 1,
        'ar/update/unknown_execution': 2,
        'ar/inbound/site_mismatch': 1,
        'ar/status/too_large': 1,
      });
      expect(hub1.store.inbound('ar').map((r) => r.id)).toEqual(['in-retained-1']);
    } finally {
      await hub1.stop();
    }

    // The next hub subscribes again: the retained copies come with the retain flag.
    const hub2 = new Hub(config, { log: silentLogger });
    await hub2.start();
    try {
      const second = await waitFor(async () => {
        const r = await rejected(hub2);
        return (r['ar/inbound/retained'] ?? 0) >= 1 && (r['ar/update/retained'] ?? 0) >= 1 ? r : undefined;
      }, 15_000, 'the retained copies refused');
      expect(second).toEqual({ 'ar/inbound/retained': 1, 'ar/update/retained': 1 });
      // The retained status is the contract's own retained message: taken, not refused.
      await waitFor(() => hub2.sites.get('ar', 's1'), 5000, 'the retained status taken');
      expect(hub2.store.inbound('ar')).toHaveLength(1);
    } finally {
      await hub2.stop();
      await agent.endAsync();
    }
  }, 60_000);
});
