// Issue 17: a wizard draft lives in the store, so two hub processes on one PostgreSQL share it.
// The operator starts a draft on hub A and posts steps 1 and 2 there; the next post (step 3)
// lands on hub B with the same session cookie (issue 20: sessions live in the store too, so no
// second sign-in), which continues the draft A stored; hub A then shows B's step 3. Signing out
// on B ends the session on A as well.
// Real processes (the hub's production bundle), real PostgreSQL and Mosquitto.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../hub/fixtures.js';
import { type Mosquitto, startMosquitto } from '../support/mosquitto.js';
import { type PgCluster, startPostgres } from '../support/postgres.js';
import { freePort } from '../support/ports.js';
import { type Proc, startProcess } from '../support/process.js';
import { WebClient, type WebWorld, wizardState } from './helpers.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const ADMIN = 'drafts-two-hubs-admin-token-0123456789abcdefghij';
const HUB_PASSWORD = 'hub-password-drafts-1';

let pg: PgCluster;
let broker: Mosquitto;
const hubs: Array<{ proc: Proc; base: string }> = [];

async function startHub(name: string, url: string): Promise<{ proc: Proc; base: string }> {
  const dir = tempDir(`drafts-${name}`);
  const port = await freePort();
  const file = join(dir, 'hub.yaml');
  writeFileSync(
    file,
    stringify({
      hub_id: name,
      http: { host: '127.0.0.1', port },
      data_dir: join(dir, 'data'),
      admin_token: ADMIN,
      store: { kind: 'postgres', url },
      mqtt: { mode: 'external', url: broker.url, username: 'hub', password: HUB_PASSWORD },
    }),
  );
  const proc = startProcess(process.execPath, [join(ROOT, 'dist/hub/index.mjs'), '--config', file], { cwd: ROOT, name });
  await proc.waitForOutput(/gsmjobs hub listening/, 60_000);
  return { proc, base: `http://127.0.0.1:${port}` };
}

/** The web client of helpers.ts over real HTTP; `at.base` says which hub gets the next request (one cookie jar). */
function clientOf(base: string): WebClient & { at: { base: string } } {
  const at = { base };
  const app = { request: (u: string, init: RequestInit) => fetch(u.replace('http://hub.test', at.base), { ...init, redirect: 'manual' }) };
  return Object.assign(new WebClient(app as unknown as WebWorld['app'], { 'accept-language': 'en' }), { at });
}

async function admin(base: string, path: string, body: unknown): Promise<Record<string, unknown>> {
  const r = await fetch(`${base}${path}`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const json = (await r.json()) as Record<string, unknown>;
  if (r.status >= 300) throw new Error(`${path}: ${r.status} ${JSON.stringify(json)}`);
  return json;
}

beforeAll(async () => {
  [pg, broker] = await Promise.all([startPostgres(), startMosquitto({ users: { hub: HUB_PASSWORD } })]);
  const url = await pg.createDatabase('gsmjobs');
  hubs.push(await startHub('hub-a', url));
  hubs.push(await startHub('hub-b', url));
}, 180_000);
afterAll(async () => {
  await Promise.all(hubs.map((h) => h.proc.stop(10_000)));
  await broker?.stop();
  await pg?.destroy();
}, 60_000);

describe('wizard drafts on two hubs sharing PostgreSQL', () => {
  it('step 2 posted to hub A, step 3 to hub B: B continues the draft A stored, and A shows what B stored', async () => {
    const [a, b] = hubs as unknown as [{ base: string }, { base: string }];
    await admin(a.base, '/api/v1/platforms', { id: 'p1', name: 'Platform 1', prometheus: { url: 'http://127.0.0.1:9' } });
    const { token } = (await admin(a.base, '/api/v1/platforms/p1/tokens', { label: 'operator' })) as { token: string };
    // One browser: signed in once on hub A; later requests land on hub B with the same cookie.
    const onA = clientOf(a.base);
    const onB = onA;
    expect((await onA.signIn(token)).status).toBe(303);

    let page = await onA.get('/ui/jobs/new');
    expect(page.text).toContain('Step 1 of 5');
    const { draft_id } = wizardState(page.text);
    page = await onA.post('/ui/jobs/wizard', { ...wizardState(page.text), pick: JSON.stringify({ key_type: 'device_id', key: 'hall-7', name: 'Hall player 7' }) });
    expect(page.text).toContain('Step 2 of 5');
    page = await onA.post('/ui/jobs/wizard', { ...wizardState(page.text), metric: 'signage_device_online', go: 'next' });
    expect(page.text).toContain('Step 3 of 5');
    expect(wizardState(page.text).draft_id).toBe(draft_id);

    // The next request lands on hub B: the session, the draft and its step are there.
    onB.at.base = b.base;
    page = await onB.get(`/ui/jobs/draft/${draft_id}/3`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('Step 3 of 5');
    expect(page.text).toContain('signage_device_online');
    const cond = { 'conditions[0].metric': 'signage_device_online', 'conditions[0].op': '==', 'conditions[0].value': '0', for_min: '3', 'no_data.mode': 'ignore', no_data_min: '5', cooldown_min: '10', combine: 'and' };
    page = await onB.post('/ui/jobs/wizard', { ...wizardState(page.text), ...cond, go: 'next' });
    expect(page.text).toContain('Step 4 of 5');

    // Back on hub A: step 3 shows what was typed on hub B.
    onA.at.base = a.base;
    page = await onA.get(`/ui/jobs/draft/${draft_id}/3`);
    expect(page.text).toMatch(/name="for_min"[^>]*value="3"|value="3"[^>]*name="for_min"/);
    // Signed out on hub B: the session is gone on hub A too.
    onB.at.base = b.base;
    expect((await onB.post('/ui/signout')).status).toBe(303);
    onA.at.base = a.base;
    const after = await onA.get(`/ui/jobs/draft/${draft_id}/3`);
    expect(after.status).toBe(303);
    expect(after.headers.get('location')).toContain('/ui/signin');
    // Another platform's operator (or nobody) never sees it: a token of another platform on hub B.
    await admin(a.base, '/api/v1/platforms', { id: 'p2', name: 'Platform 2', prometheus: { url: 'http://127.0.0.1:9' } });
    const other = (await admin(a.base, '/api/v1/platforms/p2/tokens', { label: 'x' })) as { token: string };
    const stranger = clientOf(b.base);
    await stranger.signIn(other.token);
    expect((await stranger.get(`/ui/jobs/draft/${draft_id}/3`)).status).toBe(404);
  }, 60_000);
});
