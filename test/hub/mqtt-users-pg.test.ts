// `hub mqtt users` / `passwd` on a PostgreSQL store (issue 20 leftover): the users come from the
// store the config selects (read through the store port), not from a definitions.json that is
// empty in that mode.
import { describe, expect, it } from 'vitest';
import { mqttCommand } from '../../hub/cli-mqtt.js';
import { hashPassword } from '../../hub/mqtt/passwords.js';
import { PgStore } from '../../hub/store/pg/adapter.js';
import { scopeOf } from '../../hub/store/port.js';
import { useCluster } from '../support/pg-cluster.js';
import { tempDir } from './fixtures.js';

const cluster = useCluster();

async function run(args: string[], env: NodeJS.ProcessEnv, stdin = '') {
  let out = '';
  let err = '';
  const code = await mqttCommand.run(args, { out: (t) => (out += t), err: (t) => (err += t), env, stdin: async () => stdin });
  return { code, out, err };
}

describe('hub mqtt on PostgreSQL', () => {
  it('lists the users stored in PostgreSQL and checks a password against their hash', async () => {
    const url = await cluster().createDatabase();
    const store = await PgStore.open({ connectionString: url, max: 2 });
    const at = new Date().toISOString();
    await store.platforms.put({ id: 'ar', name: 'AR', prometheus: { url: 'http://127.0.0.1:9', headers: {} }, tokens: [], events_password: hashPassword('events-password-1'), created_at: at });
    await store.platforms.put({ id: 'cm', name: 'CM', prometheus: { url: 'http://127.0.0.1:9', headers: {} }, tokens: [], events_password: null, created_at: at });
    await store.sites.put(scopeOf('ar'), { id: 's1', platform_id: 'ar', name: 'S1', mqtt_password: hashPassword('site-password-1'), created_at: at });
    await store.sites.put(scopeOf('cm'), { id: 's9', platform_id: 'cm', name: 'S9', mqtt_password: null, created_at: at });
    await store.close();
    // An empty data dir: a definitions.json would know nobody.
    const env = { GSMJOBS_HUB_DATA_DIR: tempDir('mqtt-pg'), GSMJOBS_HUB_STORE__URL: url, GSMJOBS_HUB_MQTT__MODE: 'external', GSMJOBS_HUB_MQTT__URL: 'mqtt://127.0.0.1:1883', GSMJOBS_HUB_MQTT__PASSWORD: 'mqtt-secret-12345' } as NodeJS.ProcessEnv;
    const users = await run(['users'], env);
    expect(users).toMatchObject({ code: 0, err: '' });
    expect(users.out.trim().split('\n')).toEqual(['events/ar', 'events/cm  (no password yet / пароля ещё нет)', 'site/ar/s1', 'site/cm/s9  (no password yet / пароля ещё нет)']);
    expect((await run(['passwd', 'site/ar/s1', '--iterations', '1000'], env, 'site-password-1\n')).out).toMatch(/^site\/ar\/s1:\$7\$1000\$/);
    expect((await run(['passwd', 'site/ar/s1'], env, 'wrong-password\n')).err).toContain('not the password');
    // PostgreSQL unreachable: a clear error, exit code 2.
    const down = await run(['users'], { ...env, GSMJOBS_HUB_STORE__URL: 'postgres://postgres@127.0.0.1:1/none' });
    expect(down.code).toBe(2);
    expect(down.err).toMatch(/^hub mqtt: /);
  }, 60_000);
});
