// External Mosquitto set up exactly as hub/README.md writes it (issue 18): its config block and
// its shell steps (`hub mqtt acl`, `hub mqtt passwd` fed on stdin) are read from the README and
// run against a hub data dir holding site ar/arzamas; then a real Mosquitto 2 accepts the hub
// and the site with their passwords (ACL applied), refuses a wrong one, a mistyped password is
// caught by `hub mqtt passwd` itself, and a site added later works after SIGHUP (the reload).
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../hub/mqtt/passwords.js';
import { mosquittoLineMatches, mosquittoPasswdLine } from '../../hub/mqtt/tooling.js';
import { HubStore } from '../../hub/store/store.js';
import { MOSQUITTO_BIN } from '../support/mosquitto.js';
import { freePort } from '../support/ports.js';
import { type Proc, startProcess, waitFor } from '../support/process.js';
import { tempDir } from './fixtures.js';

const root = new URL('../..', import.meta.url).pathname;
const readme = readFileSync(join(root, 'hub/README.md'), 'utf8');
const HUB_PW = 'hub-mqtt-password-0123456789';
const SITE_PW = 'arzamas-password-0123456789';
const LATE_PW = 'later-site-password-0123456789';

/** The fenced block of `lang` that follows `after` in the README. */
function block(after: string, lang: string): string {
  const at = readme.indexOf(after);
  if (at < 0) throw new Error(`README has no "${after}"`);
  const m = new RegExp('```' + lang + '\\n([\\s\\S]*?)```').exec(readme.slice(at));
  if (!m) throw new Error(`no ${lang} block after "${after}"`);
  return (m[1] as string).replace(/^ {3}/gm, '');
}

function sh(script: string, env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('bash', ['-euo', 'pipefail', '-c', script], { cwd: root, env: { ...process.env, ...env }, timeout: 120_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

function login(port: number, username: string, password: string): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(`mqtt://127.0.0.1:${port}`, { username, password, reconnectPeriod: 0, connectTimeout: 10_000 });
    c.once('connect', () => resolve(c));
    c.once('error', (e) => {
      c.end(true);
      reject(e);
    });
  });
}

let dir: string;
let dataDir: string;
let port: number;
let broker: Proc;
let env: Record<string, string>;

beforeAll(async () => {
  dir = tempDir('mosq-tooling');
  dataDir = join(dir, 'hub-data');
  const store = new HubStore(dataDir);
  await store.load();
  const at = new Date().toISOString();
  await store.putPlatform({ id: 'ar', name: 'AR', prometheus: { url: 'http://127.0.0.1:9', headers: {} }, tokens: [], events_password: null, created_at: at });
  await store.putSite({ id: 'arzamas', platform_id: 'ar', name: 'Arzamas', mqtt_password: hashPassword(SITE_PW), created_at: at });
  await store.putSite({ id: 'later', platform_id: 'ar', name: 'Later', mqtt_password: hashPassword(LATE_PW), created_at: at });
  env = { MOSQ: dir, HUB_MQTT_PASSWORD: HUB_PW, SITE_PASSWORD: SITE_PW, GSMJOBS_HUB_DATA_DIR: dataDir };
  // Step 2, as written.
  const steps = await sh(block('2. The ACL', 'sh'), env);
  expect(steps.stderr).not.toMatch(/error|не /i);
  expect(steps.code).toBe(0);
  // Step 1, as written, with the test's port and paths (and root, as the test runs as root).
  port = await freePort();
  const conf = block('1. In `/etc/mosquitto/conf.d/gsmjobs.conf`', 'conf')
    .replace('listener 1883', `listener ${port} 127.0.0.1`)
    .replaceAll('/etc/mosquitto', dir)
    .replace('/var/lib/mosquitto/', `${dir}/`);
  writeFileSync(join(dir, 'mosquitto.conf'), `${conf}user root\nlog_dest stderr\n`);
  broker = startProcess(MOSQUITTO_BIN, ['-c', join(dir, 'mosquitto.conf')], { name: 'mosquitto' });
  await waitFor(async () => {
    if (broker.done) throw new Error(`mosquitto exited:\n${broker.output()}`);
    return login(port, 'hub', HUB_PW).then((c) => (c.end(true), true), () => false);
  }, 15_000, 'mosquitto up with the hub user');
}, 180_000);

afterAll(async () => {
  await broker?.stop();
});

describe('external Mosquitto from the README steps', () => {
  it('the password file holds $7$ lines that match, and the ACL is the contract one', () => {
    const lines = readFileSync(join(dir, 'gsmjobs.passwd'), 'utf8').trim().split('\n');
    expect(lines.map((l) => l.split(':')[0])).toEqual(['hub', 'site/ar/arzamas']);
    expect(mosquittoLineMatches(lines[1] as string, SITE_PW)).toBe(true);
    expect(mosquittoLineMatches(lines[1] as string, 'wrong')).toBe(false);
    expect(readFileSync(join(dir, 'gsmjobs.acl'), 'utf8')).toContain('pattern write gsmjobs/v1/%u/status');
  });

  it('Mosquitto accepts the site with its password and applies the ACL; refuses a wrong password', async () => {
    const hub = await login(port, 'hub', HUB_PW);
    const site = await login(port, 'site/ar/arzamas', SITE_PW);
    const got: string[] = [];
    site.on('message', (t) => got.push(t));
    await site.subscribeAsync('gsmjobs/v1/site/ar/arzamas/job', { qos: 1 });
    // Mosquitto grants the filter but the ACL withholds every message on it.
    await site.subscribeAsync('gsmjobs/v1/site/ar/later/job', { qos: 1 });
    await hub.publishAsync('gsmjobs/v1/site/ar/later/job', 'not yours', { qos: 1 });
    await hub.publishAsync('gsmjobs/v1/site/ar/arzamas/job', 'yours', { qos: 1 });
    await waitFor(() => got.length > 0, 10_000, 'own job');
    await new Promise((r) => setTimeout(r, 200));
    expect(got).toEqual(['gsmjobs/v1/site/ar/arzamas/job']);
    await expect(login(port, 'site/ar/arzamas', 'wrong-password')).rejects.toThrow(/Not authorized|Bad username/i);
    site.end(true);
    hub.end(true);
  });

  it('a mistyped password is caught by `hub mqtt passwd`, nothing printed', async () => {
    const r = await sh('printf \'%s\\n\' "$SITE_PASSWORD" | npm run -s hub -- mqtt passwd site/ar/arzamas', { ...env, SITE_PASSWORD: 'typo' });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('not the password the hub holds for site/ar/arzamas');
  }, 60_000);

  it('a site added later logs in after the line is appended and Mosquitto gets SIGHUP', async () => {
    await expect(login(port, 'site/ar/later', LATE_PW)).rejects.toThrow();
    const line = 'printf \'%s\\n\' "$SITE_PASSWORD" | npm run -s hub -- mqtt passwd site/ar/later >> "$MOSQ/gsmjobs.passwd"';
    expect((await sh(line, { ...env, SITE_PASSWORD: LATE_PW })).code).toBe(0);
    broker.child.kill('SIGHUP'); // what `systemctl reload mosquitto` sends
    await waitFor(() => login(port, 'site/ar/later', LATE_PW).then((c) => (c.end(true), true), () => false), 10_000, 'the new site after the reload');
  }, 60_000);

  it('lines match what mosquitto_passwd itself would accept (same salt, same hash)', () => {
    const salt = Buffer.from('CJP9z2UTS7pGucn/', 'base64');
    // Made by `mosquitto_passwd -b` (Mosquitto 2.0.11) for this password.
    expect(mosquittoPasswdLine('site/p/s1', 'secret-pw-123', { salt })).toBe(
      'site/p/s1:$7$101$CJP9z2UTS7pGucn/$HREZWIUP0RG5Chamdqyq2gzDMbS4d36OZUiwOdRuNwR01mkVsvVpC1nsyhD9DUbmIaQ1tWoGvvfGi/+C21E8vQ==',
    );
  });
});
