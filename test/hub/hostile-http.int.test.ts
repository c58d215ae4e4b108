// The real hub process under hostile HTTP load: a 400 MB sign-in body (declared and chunked,
// three at once) and a 200 MB authenticated API body are refused while being read and leave the
// hub's RSS within 50 MB of its baseline; token guesses on the API and the sign-in form get 429
// with Retry-After, counted in /metrics.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rssSampler, streamBody, treeRss } from '../support/hostile.js';
import { freePort } from '../support/ports.js';
import { type Proc, startProcess } from '../support/process.js';
import { tempDir } from './fixtures.js';

const root = new URL('../..', import.meta.url).pathname;
const tsx = join(root, 'node_modules', '.bin', 'tsx');
const ADMIN = 'hostile-admin-token-0123456789abcdefghijklmnopqrstuvwxyz';
const MB = 1024 * 1024;

let proc: Proc;
let base: string;
let baseline = 0;

beforeAll(async () => {
  const dir = tempDir('hostile');
  const tokenFile = join(dir, 'admin-token');
  writeFileSync(tokenFile, `${ADMIN}\n`);
  const port = await freePort();
  proc = startProcess(tsx, ['hub/main.ts'], {
    cwd: root,
    name: 'hub',
    env: { ...process.env, GSMJOBS_HUB_HTTP__PORT: String(port), GSMJOBS_HUB_MQTT__PORT: String(await freePort()), GSMJOBS_HUB_DATA_DIR: join(dir, 'data'), GSMJOBS_HUB_ADMIN_TOKEN_FILE: tokenFile },
  });
  await proc.waitForOutput(/gsmjobs hub listening/, 30_000);
  base = `http://127.0.0.1:${port}`;
  // Warm up the routes the attacks hit, then take the baseline.
  for (let i = 0; i < 5; i++) {
    await (await fetch(`${base}/ui/signin`)).text();
    await (await fetch(`${base}/api/v1/platforms`, { headers: { authorization: `Bearer ${ADMIN}` } })).text();
  }
  await new Promise((r) => setTimeout(r, 300));
  baseline = treeRss(proc.child.pid as number);
}, 40_000);

afterAll(async () => {
  expect(await proc.stop()).toBe(0);
});

describe('hub body limits over the real process', () => {
  it('refuses 400 MB sign-in bodies (declared, chunked, three at once) without growing', async () => {
    const sampler = rssSampler(proc.child.pid as number);
    const declared = await streamBody(`${base}/ui/signin`, 400 * MB, { declare: true, stallAfter: MB });
    const declaredFull = await streamBody(`${base}/ui/signin`, 400 * MB, { declare: true });
    const chunked = await Promise.all([0, 1, 2].map(() => streamBody(`${base}/ui/signin`, 400 * MB, { declare: false })));
    const signout = await streamBody(`${base}/ui/signout`, 400 * MB, { declare: false });
    const peak = sampler.stop();
    expect(declared.status).toBe(413);
    expect(declared.sent).toBeLessThan(400 * MB);
    for (const r of [declaredFull, ...chunked, signout]) {
      // 413 when the answer arrives before the socket closes; a closed socket otherwise. Never the whole body.
      expect(r.status === 413 || r.status === null).toBe(true);
      expect(r.sent).toBeLessThan(400 * MB);
    }
    console.log(`sign-in bodies: baseline ${(baseline / MB).toFixed(1)} MB, peak ${(peak / MB).toFixed(1)} MB`);
    expect(peak - baseline).toBeLessThan(50 * MB);
    expect((await fetch(`${base}/healthz`)).status).toBeLessThan(600);
  }, 60_000);

  it('refuses a 200 MB authenticated API body while reading it', async () => {
    const sampler = rssSampler(proc.child.pid as number);
    const headers = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };
    const declared = await streamBody(`${base}/api/v1/platforms`, 200 * MB, { declare: true, headers, stallAfter: MB });
    const declaredFull = await streamBody(`${base}/api/v1/platforms`, 200 * MB, { declare: true, headers });
    const chunked = await streamBody(`${base}/api/v1/platforms`, 200 * MB, { declare: false, headers });
    const peak = sampler.stop();
    expect(declared.status).toBe(413);
    expect(declared.body).toContain('too_large');
    for (const r of [declaredFull, chunked]) {
      expect(r.status === 413 || r.status === null).toBe(true);
      expect(r.sent).toBeLessThan(200 * MB);
    }
    console.log(`API bodies: baseline ${(baseline / MB).toFixed(1)} MB, peak ${(peak / MB).toFixed(1)} MB`);
    expect(peak - baseline).toBeLessThan(50 * MB);
    // A body under the limit still works.
    const ok = await fetch(`${base}/api/v1/platforms`, { method: 'POST', headers, body: JSON.stringify({ id: 'ar', name: 'AR', prometheus: { url: 'http://127.0.0.1:9' } }) });
    expect(ok.status).toBe(201);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/gsmjobs_hub_http_bodies_refused_total\{reason="too_large"\} [1-9]/);
  }, 60_000);
});

describe('token guessing over the real process', () => {
  it('answers 429 with Retry-After to an address that keeps guessing API tokens', async () => {
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 12; i++) {
      const r = await fetch(`${base}/api/v1/sites?platform_id=ar`, { headers: { authorization: `Bearer wrong-${i}` } });
      statuses.push(r.status);
      if (r.status === 429) retryAfter = r.headers.get('retry-after');
    }
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses).toContain(429);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    // While the address waits, even the right token is not checked.
    expect((await fetch(`${base}/api/v1/platforms`, { headers: { authorization: `Bearer ${ADMIN}` } })).status).toBe(429);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/gsmjobs_hub_auth_failures_total\{where="api"\} [5-9]/);
    expect(metrics).toMatch(/gsmjobs_hub_auth_throttled_total\{where="api"\} [1-9]/);
  }, 30_000);

  it('answers 429 with Retry-After to an address that keeps guessing on the sign-in form', async () => {
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 10; i++) {
      const page = await fetch(`${base}/ui/signin`);
      const html = await page.text();
      const csrf = /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
      const cookie = (page.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
      const r = await fetch(`${base}/ui/signin`, { method: 'POST', redirect: 'manual', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ _csrf: csrf, token: `wrong-${i}`, next: '/ui/jobs' }) });
      statuses.push(r.status);
      if (r.status === 429) retryAfter = r.headers.get('retry-after');
      await r.text();
    }
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses).toContain(429);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/gsmjobs_hub_auth_throttled_total\{where="signin"\} [1-9]/);
  }, 30_000);
});
