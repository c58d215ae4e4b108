// Issue 20: an Idempotency-Key's record is written with the job it creates, so a hub killed
// between the job's write and its answer cannot leave a job without its record (the client's
// retry under the same key would create a second job). Real processes: the hub's production
// bundle on PostgreSQL (with Mosquitto, the external broker that mode needs) and on lowdb (its
// embedded broker). The hub is armed with GSMJOBS_CRASH_HUB_POINT=after_job_create and SIGKILLs
// itself right after POST /jobs wrote the job, before the answer: the client sees the connection
// die. Restarted unarmed on the same store, the same request under the same key is answered 201
// `Idempotent-Replayed: true` with the id of the one job stored; another body under the key: 422.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../hub/fixtures.js';
import { type Mosquitto, startMosquitto } from '../support/mosquitto.js';
import { type PgCluster, startPostgres } from '../support/postgres.js';
import { freePort } from '../support/ports.js';
import { type Proc, startProcess, waitFor } from '../support/process.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const ADMIN = 'idempotency-crash-admin-token-0123456789abcdefghij';
const HUB_PASSWORD = 'hub-password-idem-crash-1';

let pg: PgCluster;
let broker: Mosquitto;
const procs: Proc[] = [];

beforeAll(async () => {
  [pg, broker] = await Promise.all([startPostgres(), startMosquitto({ users: { hub: HUB_PASSWORD } })]);
}, 120_000);
afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop(10_000)));
  await broker?.stop();
  await pg?.destroy();
}, 60_000);

interface Hub {
  proc: Proc;
  base: string;
}

/** A hub on `store` (its config file written once per data dir), started with extra environment. */
async function startHub(config: string, port: number, env: NodeJS.ProcessEnv = {}): Promise<Hub> {
  const proc = startProcess(process.execPath, [join(ROOT, 'dist/hub/index.mjs'), '--config', config], { cwd: ROOT, name: 'hub', env: { ...process.env, ...env } });
  procs.push(proc);
  await proc.waitForOutput(/gsmjobs hub listening/, 60_000);
  return { proc, base: `http://127.0.0.1:${port}` };
}

async function call(base: string, token: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(20_000),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : null) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** Idempotency records of platform p1 in a lowdb data file (0 when the file or section is absent). */
function lowdbKeys(file: string): number {
  if (!existsSync(file)) return 0;
  const doc = JSON.parse(readFileSync(file, 'utf8')) as { idempotency?: Record<string, Record<string, unknown>> };
  return Object.keys(doc.idempotency?.p1 ?? {}).length;
}

async function exercise(name: string, store: Record<string, unknown>, mqtt: Record<string, unknown>): Promise<void> {
  const dir = tempDir(`idem-crash-${name}`);
  const port = await freePort();
  const config = join(dir, 'hub.yaml');
  writeFileSync(config, stringify({ hub_id: `idem-${name}`, http: { host: '127.0.0.1', port }, data_dir: join(dir, 'data'), admin_token: ADMIN, store, mqtt }));

  const armed = await startHub(config, port, { GSMJOBS_CRASH_HUB_POINT: 'after_job_create' });
  const admin = (m: string, p: string, b?: unknown) => call(armed.base, ADMIN, m, p, b);
  expect((await admin('POST', '/api/v1/platforms', { id: 'p1', name: 'Platform 1', prometheus: { url: 'http://127.0.0.1:9' } })).status).toBe(201);
  const token = (await admin('POST', '/api/v1/platforms/p1/tokens', { label: 'crm' })).body.token as string;
  const api = (base: string, m: string, p: string, b?: unknown, h?: Record<string, string>) => call(base, token, m, p, b, h);
  expect((await api(armed.base, 'POST', '/api/v1/sites', { id: 's1', name: 'Site 1' })).status).toBe(201);
  const device = await api(armed.base, 'POST', '/api/v1/control-devices', { name: 'Socket 1', phone: '+79160000001', model: 'SIMPAL_D210', site_ids: ['s1'] });
  expect(device.status).toBe(201);
  const job = {
    device: { key_type: 'device_id', key: 'player-7', name: 'Player 7' },
    conditions: [{ metric: 'signage_device_online', op: '==', value: 0 }],
    for_s: 60,
    steps: [{ type: 'send', site_id: 's1', control_device_id: device.body.id, command: { kind: 'catalog', command_id: '12_0_minutes_1', params: { minutes: 1 } } }],
  };
  const key = { 'idempotency-key': `crash-retry-${name}-7f3a` };

  // The create: the job and its key's record are written, then the hub dies before answering.
  await expect(api(armed.base, 'POST', '/api/v1/jobs', job, key)).rejects.toThrow();
  expect(await armed.proc.exited).toBe('SIGKILL');
  // Its last words may arrive after the exit event (the pipe is read later).
  await waitFor(() => armed.proc.output().includes('crash point after_job_create'), 10_000, 'the crash point\'s line');
  if (store.kind === 'lowdb') {
    // Killed inside the window the fold closes: the record is on disk only with its job.
    expect(lowdbKeys(join(dir, 'data', 'definitions.json'))).toBe(1);
    expect(lowdbKeys(join(dir, 'data', 'port.json'))).toBe(0);
  }

  // Restarted without the crash point: the client's retry gets the first answer, and one job exists.
  const hub = await startHub(config, port);
  const stored = await api(hub.base, 'GET', '/api/v1/jobs');
  expect(stored.body.total).toBe(1);
  const id = stored.body.items[0].id as string;
  const retry = await api(hub.base, 'POST', '/api/v1/jobs', job, key);
  expect(retry.status).toBe(201);
  expect(retry.headers.get('idempotent-replayed')).toBe('true');
  expect(retry.body.id).toBe(id);
  expect(retry.headers.get('etag')).toBe('"1"');
  expect((await api(hub.base, 'POST', '/api/v1/jobs', { ...job, for_s: 120 }, key)).status).toBe(422);
  expect((await api(hub.base, 'GET', '/api/v1/jobs')).body.total).toBe(1);
  await hub.proc.stop(10_000);
}

describe('a hub killed between a keyed create\'s write and its answer: the retry replays, one job', () => {
  it('PostgreSQL store', async () => {
    await exercise('pg', { kind: 'postgres', url: await pg.createDatabase('idem_crash') }, { mode: 'external', url: broker.url, username: 'hub', password: HUB_PASSWORD });
  }, 90_000);

  it('lowdb store', async () => {
    await exercise('lowdb', { kind: 'lowdb' }, { mode: 'embedded', host: '127.0.0.1', port: await freePort() });
  }, 90_000);
});
