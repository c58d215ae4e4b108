// The hub against a real Mosquitto (external broker by URL, its own `hub` credentials, the
// contract ACL file): the same scenario as with the embedded broker.
import { afterAll, beforeAll, describe, it } from 'vitest';
import { silentLogger } from '../../hub/common/log.js';
import { hubConfigSchema } from '../../hub/config.js';
import { Hub } from '../../hub/hub.js';
import { type Mosquitto, startMosquitto } from '../support/mosquitto.js';
import { tempDir } from './fixtures.js';
import { runScenario } from './scenario.js';

const ADMIN = 'it-admin-token-0123456789abcdefghijk';
const PASS = { hub: 'hub-password-123', site: 'site-password-s1', events: 'events-password-ar' };
let broker: Mosquitto;
let hub: Hub;

beforeAll(async () => {
  broker = await startMosquitto({ users: { hub: PASS.hub, 'site/ar/s1': PASS.site, 'events/ar': PASS.events } });
  const config = hubConfigSchema.parse({
    http: { host: '127.0.0.1', port: 0 },
    data_dir: tempDir('mosq'),
    admin_token: ADMIN,
    mqtt: { mode: 'external', url: broker.url, username: 'hub', password: PASS.hub },
    poll_interval_s: 3600,
  });
  hub = new Hub(config, process.env.HUB_TEST_LOG ? {} : { log: silentLogger });
  await hub.start();
});

afterAll(async () => {
  await hub?.stop();
  await broker?.stop();
});

describe('hub with Mosquitto', () => {
  it('seeds by API, dispatches, re-sends on reconnect, follows updates, ACL enforced by Mosquitto', async () => {
    await runScenario({ http: `http://127.0.0.1:${hub.httpPort}`, mqttUrl: broker.url, admin: ADMIN, sitePassword: PASS.site, eventsPassword: PASS.events });
  }, 30_000);
});
