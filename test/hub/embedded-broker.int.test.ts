// The hub as a whole with its embedded aedes broker: real HTTP server (@hono/node-server), real
// MQTT clients as agent and third-party listener, per-site credentials and the contract ACL.
import { afterAll, beforeAll, describe, it } from 'vitest';
import { silentLogger } from '../../hub/common/log.js';
import { hubConfigSchema } from '../../hub/config.js';
import { Hub } from '../../hub/hub.js';
import { tempDir } from './fixtures.js';
import { runScenario } from './scenario.js';

const ADMIN = 'it-admin-token-0123456789abcdefghijk';
let hub: Hub;

beforeAll(async () => {
  const config = hubConfigSchema.parse({
    http: { host: '127.0.0.1', port: 0 },
    data_dir: tempDir('embedded'),
    admin_token: ADMIN,
    mqtt: { mode: 'embedded', host: '127.0.0.1', port: 0 },
    poll_interval_s: 3600,
  });
  hub = new Hub(config, process.env.HUB_TEST_LOG ? {} : { log: silentLogger });
  await hub.start();
});

afterAll(async () => {
  await hub?.stop();
});

describe('hub with the embedded broker', () => {
  it('seeds by API, dispatches, re-sends on reconnect, follows updates, enforces the ACL', async () => {
    await runScenario({
      http: `http://127.0.0.1:${hub.httpPort}`,
      mqttUrl: hub.broker?.url ?? '',
      admin: ADMIN,
      sitePassword: 'site-password-s1',
      eventsPassword: 'events-password-ar',
    });
  }, 60_000);
});
