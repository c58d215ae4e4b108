// `hub mqtt` in-process (issue 18): the users the hub knows from its store (read, never
// written), the password check against the hub's scrypt hash, the $7$ line, usage errors.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mqttCommand } from '../../hub/cli-mqtt.js';
import { hashPassword } from '../../hub/mqtt/passwords.js';
import { checkAgainstStore, knownUsers, mosquittoLineMatches } from '../../hub/mqtt/tooling.js';
import { HubStore } from '../../hub/store/store.js';
import { tempDir } from './fixtures.js';

async function run(args: string[], env: NodeJS.ProcessEnv, stdin = '') {
  let out = '';
  let err = '';
  const code = await mqttCommand.run(args, { out: (t) => (out += t), err: (t) => (err += t), env, stdin: async () => stdin });
  return { code, out, err };
}

async function seeded() {
  const dir = tempDir('mqtt-cli');
  const store = new HubStore(dir);
  await store.load();
  const at = new Date().toISOString();
  await store.putPlatform({ id: 'ar', name: 'AR', prometheus: { url: 'http://127.0.0.1:9', headers: {} }, tokens: [], events_password: hashPassword('events-password-1'), created_at: at });
  await store.putPlatform({ id: 'cm', name: 'CM', prometheus: { url: 'http://127.0.0.1:9', headers: {} }, tokens: [], events_password: null, created_at: at });
  await store.putSite({ id: 's1', platform_id: 'ar', name: 'S1', mqtt_password: hashPassword('site-password-1'), created_at: at });
  await store.flush();
  return { dir, env: { GSMJOBS_HUB_DATA_DIR: dir } as NodeJS.ProcessEnv };
}

describe('hub mqtt', () => {
  it('lists the users the hub knows, without touching the store', async () => {
    const { dir, env } = await seeded();
    const file = join(dir, 'definitions.json');
    const before = [readFileSync(file, 'utf8'), statSync(file).mtimeMs];
    const r = await run(['users'], env);
    expect(r.code).toBe(0);
    expect(r.out.split('\n').filter(Boolean)).toEqual(['events/ar', 'events/cm  (no password yet / пароля ещё нет)', 'site/ar/s1']);
    expect([readFileSync(file, 'utf8'), statSync(file).mtimeMs]).toEqual(before);
  });

  it('prints a matching $7$ line only for the password the hub holds', async () => {
    const { env } = await seeded();
    const ok = await run(['passwd', 'site/ar/s1'], env, 'site-password-1\n');
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/^site\/ar\/s1:\$7\$101\$/);
    expect(mosquittoLineMatches(ok.out, 'site-password-1')).toBe(true);
    expect((await run(['passwd', 'events/ar', '--iterations', '1000'], env, 'events-password-1')).out).toMatch(/^events\/ar:\$7\$1000\$/);
    const typo = await run(['passwd', 'site/ar/s1'], env, 'site-password-2\n');
    expect(typo).toMatchObject({ code: 2, out: '' });
    expect(typo.err).toContain('not the password the hub holds');
    expect((await run(['passwd', 'events/cm'], env, 'whatever-123')).err).toContain('no password yet');
    expect((await run(['passwd', 'site/ar/nope'], env, 'x')).err).toContain('knows no user');
    expect((await run(['passwd', 'site/ar/s1'], env, '')).err).toContain('no password on stdin');
  });

  it('acl prints the contract ACL; anything else is a usage error', async () => {
    expect((await run(['acl'], {})).out).toContain('pattern write gsmjobs/v1/%u/inbound');
    const bad = await run(['frobnicate'], {});
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('usage: hub mqtt acl');
    expect((await run(['passwd'], {})).code).toBe(2);
  });

  it('checkAgainstStore: the hub user is not in the store and passes', () => {
    const users = knownUsers({ sites: { 'ar/s1': { id: 's1', platform_id: 'ar', mqtt_password: hashPassword('pw-123456789012') } } });
    expect(checkAgainstStore(users, 'hub', 'anything')).toEqual({ ok: true });
    expect(checkAgainstStore(users, 'site/ar/s1', 'pw-123456789012')).toEqual({ ok: true });
  });
});
