// One hub on PostgreSQL, end to end (issue 20): the hub's production bundle (its migrations
// embedded: no .sql files beside dist/hub) with `store: {kind: postgres}` over a throwaway
// PostgreSQL 15, real Mosquitto, real Prometheus, the exporter over the AddReality simulator and
// an agent over a pty modem, seeded by the API. A device goes offline -> the job fires once ->
// the modem gets the text -> the execution is recorded in PostgreSQL (not in lowdb files) ->
// a restart keeps it and does not fire the episode again. Then the store down at start: the hub
// answers /healthz 503 and says so, and starts when PostgreSQL is back.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PgCluster, startPostgres } from '../support/postgres.js';
import { DEVICE, executions, JOB_TEXT, PLATFORM, type Stack, startStack } from './stack.js';
import { E2E_LOG, expectSentOnce, waitExecution, waitParts } from './support/checks.js';
import { sleep, until } from './support/child.js';

let cluster: PgCluster;
let url: string;
let stack: Stack;
let db: pg.Client;
let firstId = '';

const rows = async <T extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<T[]> => (await db.query<T>(sql, params)).rows;

beforeAll(async () => {
  cluster = await startPostgres();
  url = await cluster.createDatabase('hub_e2e');
  stack = await startStack({ broker: 'mosquitto', bundledHub: true, pollIntervalS: 2, hubConfig: { store: { kind: 'postgres', url } }, ...(E2E_LOG ? { onLine: E2E_LOG } : {}) });
  db = new pg.Client({ connectionString: url });
  await db.connect();
}, 180_000);

afterAll(async () => {
  await db?.end().catch(() => undefined);
  await stack?.stop();
  await cluster?.destroy();
}, 60_000);

describe('one hub on PostgreSQL', () => {
  it('keeps the seeded definitions in PostgreSQL, none in lowdb files', async () => {
    const jobs = await rows<{ id: string; platform_id: string }>('SELECT id, platform_id FROM jobs');
    expect(jobs).toEqual([{ id: stack.seed.jobId, platform_id: PLATFORM }]);
    expect((await rows<{ n: string }>('SELECT count(*) AS n FROM sites WHERE platform_id = $1', [PLATFORM]))[0]?.n).toBe('2');
    expect(await rows('SELECT version FROM schema_migrations')).not.toHaveLength(0);
    const dataDir = join(stack.dir, 'hub', 'data');
    for (const f of ['definitions.json', 'executions.json', 'runtime.json']) expect(existsSync(join(dataDir, f)), f).toBe(false);
  });

  it('fires once when the device goes offline: the SMS reaches the modem and the execution is recorded in PostgreSQL', async () => {
    expect(await executions(stack)).toHaveLength(0);
    await stack.sim.setOnline(DEVICE, false);
    await waitParts(stack, JOB_TEXT, 2, 40_000);
    const exec = await waitExecution(stack, stack.seed.jobId, ['delivered'], 20_000);
    firstId = exec.id as string;
    expectSentOnce(stack, JOB_TEXT);
    // The leader's writes reached PostgreSQL: the execution row, delivered, and the job's runtime.
    await until(async () => (await rows<{ state: string }>('SELECT state FROM executions WHERE id = $1', [firstId]))[0]?.state === 'delivered', 10_000, 'delivered in PostgreSQL');
    const [row] = await rows<{ doc: { job_id: string; messages: Array<{ text: string }> }; epoch: string }>('SELECT doc, epoch FROM executions WHERE id = $1', [firstId]);
    expect(row?.doc.job_id).toBe(stack.seed.jobId);
    expect(row?.doc.messages[0]?.text).toBe(JOB_TEXT);
    const [rt] = await rows<{ doc: { last_execution_id: string | null } }>('SELECT doc FROM job_runtime WHERE job_id = $1', [stack.seed.jobId]);
    expect(rt?.doc.last_execution_id).toBe(firstId);
  }, 90_000);

  it('a restart keeps the execution and does not fire the episode again', async () => {
    expect(firstId).not.toBe('');
    await stack.hub.restart();
    const list = await executions(stack);
    expect(list.map((e) => e.id)).toEqual([firstId]);
    expect(list[0]?.state).toBe('delivered');
    // Two more cycles with the device still offline: no second execution, no second SMS.
    await sleep((stack.options.pollIntervalS * 2 + 2) * 1000);
    expect((await executions(stack)).map((e) => e.id)).toEqual([firstId]);
    expect((await rows('SELECT id FROM executions')).length).toBe(1);
    expectSentOnce(stack, JOB_TEXT);
    const job = await stack.hub.api('GET', `/api/v1/jobs/${stack.seed.jobId}`);
    // Still offline: the episode stays `firing` (cooldown starts when the condition clears), on its one execution.
    expect(job.status.state).toBe('firing');
    expect(job.status.last_execution).toMatchObject({ id: firstId });
  }, 60_000);

  it('PostgreSQL down at start: /healthz answers 503 naming the store, and the hub starts once it is back', async () => {
    await db.end();
    await cluster.stop();
    const restarted = stack.hub.restart();
    let seen: { status: number; body: string } | null = null;
    await until(
      async () => {
        const res = await fetch(`${stack.hub.url}/healthz`).catch(() => null);
        if (!res || res.status !== 503) return false;
        seen = { status: res.status, body: await res.text() };
        return seen.body.includes('store unreachable');
      },
      30_000,
      '/healthz 503 while PostgreSQL is down',
      200,
    );
    expect(seen).not.toBeNull();
    // The API waits for the store instead of answering from an empty copy.
    expect((await fetch(`${stack.hub.url}/api/v1/jobs`, { headers: { authorization: `Bearer ${stack.seed.token}` } })).status).toBe(503);
    expect(stack.hub.child.output()).toMatch(/store unreachable, retrying/);
    await cluster.start();
    await restarted;
    db = new pg.Client({ connectionString: url });
    await db.connect();
    expect((await fetch(`${stack.hub.url}/healthz`)).status).toBe(200);
    expect((await executions(stack)).map((e) => e.id)).toEqual([firstId]);
  }, 120_000);
});
