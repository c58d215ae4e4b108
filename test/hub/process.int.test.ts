// The hub as a child process (`tsx hub/main.ts`): config from the environment with the admin
// token from a file, seeded over HTTP on the real @hono/node-server, /metrics accepted by
// `promtool check metrics`, clean exit on SIGTERM, exit code 2 on a bad config or a bad stored
// document (issue 15: the file, the record and the field named, the file untouched).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../support/ports.js';
import { startProcess, waitFor } from '../support/process.js';
import { tempDir } from './fixtures.js';
import { http } from './scenario.js';
import { createWorld } from './world.js';

const root = new URL('../..', import.meta.url).pathname;
const tsx = join(root, 'node_modules', '.bin', 'tsx');

describe('hub process', () => {
  it('starts from env config, is seeded by API, serves promtool-clean metrics, stops with 0', async () => {
    const dir = tempDir('proc');
    const tokenFile = join(dir, 'admin-token');
    writeFileSync(tokenFile, 'proc-admin-token-0123456789abcdefgh\n');
    const port = await freePort();
    const proc = startProcess(tsx, ['hub/main.ts'], {
      cwd: root,
      name: 'hub',
      env: {
        ...process.env,
        GSMJOBS_HUB_HTTP__PORT: String(port),
        GSMJOBS_HUB_MQTT__PORT: String(await freePort()),
        GSMJOBS_HUB_DATA_DIR: join(dir, 'data'),
        GSMJOBS_HUB_ADMIN_TOKEN_FILE: tokenFile,
        GSMJOBS_HUB_POLL_INTERVAL_S: '1',
      },
    });
    try {
      await proc.waitForOutput(/gsmjobs hub listening/, 30_000);
      const base = `http://127.0.0.1:${port}`;
      const admin = 'proc-admin-token-0123456789abcdefgh';
      await http(base, admin, 'POST', '/api/v1/platforms', { id: 'ar', name: 'AR', prometheus: { url: 'http://127.0.0.1:9' } });
      const token = (await http(base, admin, 'POST', '/api/v1/platforms/ar/tokens', {})).token as string;
      await http(base, token, 'POST', '/api/v1/sites', { id: 's1', name: 'S1' });
      const cd = await http(base, token, 'POST', '/api/v1/control-devices', { name: 'Socket', phone: '+79160000001', model: 'SIMPAL_D210', site_ids: ['s1'] });
      await http(base, token, 'POST', '/api/v1/jobs', {
        device: { key_type: 'mac', key: 'aa:bb:cc:dd:ee:ff', name: 'Cubic' },
        conditions: [{ metric: 'signage_device_online', op: '<', value: 1 }],
        steps: [{ type: 'send', site_id: 's1', control_device_id: cd.id, command: { kind: 'text', text: '{device}: {value}' } }],
      });
      // Prometheus at port 9 is unreachable: cycles run degraded.
      const metrics = await waitFor(async () => {
        const text = await (await fetch(`${base}/metrics`)).text();
        return /gsmjobs_hub_degraded_cycles_total [1-9]/.test(text) ? text : undefined;
      }, 15_000, 'a degraded cycle');
      expect(metrics).toMatch(/gsmjobs_hub_jobs\{platform_id="ar",state="ok"\} 1/);
      expect(metrics).toMatch(/gsmjobs_hub_mqtt_up 1/);
      expect(metrics).toMatch(/gsmjobs_hub_degraded_cycles_total [1-9]/);
      const lint = execFileSync('promtool', ['check', 'metrics'], { input: metrics, encoding: 'utf8' });
      expect(lint.trim()).toBe('');
      expect(proc.output()).not.toContain('proc-admin-token-0123456789abcdefgh');
    } finally {
      expect(await proc.stop()).toBe(0);
    }
  }, 60_000);

  it('exits with 2 and names the field on a bad config', async () => {
    const proc = startProcess(tsx, ['hub/main.ts'], { cwd: root, name: 'hub', env: { ...process.env, GSMJOBS_HUB_POLL_INTERVAL_S: '0' } });
    expect(await proc.exited).toBe(2);
    expect(proc.output()).toContain('poll_interval_s');
  }, 30_000);

  it('exits with 2 on a stored job with conditions: null, names the file, the job and the field, and leaves the file alone', async () => {
    const dir = tempDir('proc-bad-store');
    const data = join(dir, 'data');
    mkdirSync(data);
    const job = { ...(await createWorld()).job('a'), conditions: null };
    const file = join(data, 'definitions.json');
    const text = JSON.stringify({ version: 2, platforms: {}, sites: {}, control_devices: {}, jobs: { [job.id]: job }, remediation: {}, webhooks: {} });
    writeFileSync(file, text);
    const proc = startProcess(tsx, ['hub/main.ts'], {
      cwd: root,
      name: 'hub',
      env: { ...process.env, GSMJOBS_HUB_HTTP__PORT: String(await freePort()), GSMJOBS_HUB_MQTT__PORT: String(await freePort()), GSMJOBS_HUB_DATA_DIR: data, GSMJOBS_HUB_ADMIN_TOKEN: 'proc-admin-token-0123456789-abcdefghijkl' },
    });
    expect(await proc.exited).toBe(2);
    expect(proc.output()).toContain(file);
    expect(proc.output()).toContain(`jobs \\"${job.id}\\": conditions:`);
    expect(readFileSync(file, 'utf8')).toBe(text);
  }, 30_000);

  it('refuses an admin token shorter than 32 characters at start (exit 2, clear error, token not echoed)', async () => {
    const dir = tempDir('proc-short');
    const tokenFile = join(dir, 'admin-token');
    writeFileSync(tokenFile, 'short-admin-token-1234\n');
    const proc = startProcess(tsx, ['hub/main.ts'], { cwd: root, name: 'hub', env: { ...process.env, GSMJOBS_HUB_ADMIN_TOKEN_FILE: tokenFile, GSMJOBS_HUB_DATA_DIR: join(dir, 'data') } });
    expect(await proc.exited).toBe(2);
    expect(proc.output()).toMatch(/admin_token.*at least 32 characters/);
    expect(proc.output()).not.toContain('short-admin-token-1234');
  }, 30_000);
});
