// The hub's API on PostgreSQL (issue 20 targets): 100,000 jobs over 20,000 devices stored, the
// hub (store on a throwaway PostgreSQL 15, the leader's working set loaded) answering over HTTP
// on loopback. Figures: `POST /jobs`, `PUT /jobs/:id` (with If-Match) and a page of the jobs list
// (filters: site, free text, state; deep pages by cursor) p50/p99 over real HTTP requests;
// targets p99 < 20 ms. A deep `offset` page is reported without a target (documented as slow).
// BENCH_HUB_API_PG_JOBS=20000 for a smaller run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../hub/common/log.js';
import { hubConfigSchema } from '../../hub/config.js';
import { Hub } from '../../hub/hub.js';
import { hashPassword, hashToken } from '../../hub/mqtt/passwords.js';
import { PgStore } from '../../hub/store/pg/adapter.js';
import { scopeOf } from '../../hub/store/port.js';
import { startPostgres } from '../support/postgres.js';
import type { Bench, BenchResult } from './harness.js';
import { benchJob, percentile } from './store-jobs.js';

const JOBS = Number(process.env.BENCH_HUB_API_PG_JOBS ?? 100_000);
/** Per figure: p99 is the 10th worst of 1,000 (of 400 it was the 4th, at the mercy of one hiccup). */
const SAMPLES = Number(process.env.BENCH_HUB_API_PG_SAMPLES ?? 1000);
const ADMIN = 'bench-admin-token-0123456789abcdefgh';
const TOKEN = 'bench-platform-token-abcdefghijklmnop';

const input = (i: number, name?: string) => ({
  ...(name ? { name } : {}),
  device: { key_type: 'device_id', key: String(10000 + (i % 20_000)), name: `Player_${i % 20_000}` },
  conditions: [{ metric: 'signage_device_cpu_temp_celsius', op: '>', value: 80 + (i % 10) }],
  for_s: 60,
  steps: [{ type: 'send', site_id: `site${i % 40}`, control_device_id: `cd${i % 40}`, command: { kind: 'catalog', command_id: '12_0_minutes_1', params: { minutes: 1 } } }],
});

/** The hub's production flags (hub/deploy/gsmjobs-hub.service): its young generation. */
export const nodeFlags = ['--max-semi-space-size=64'];

const summary = (xs: number[]) => `p50 ${percentile(xs, 50).toFixed(1)} ms, max ${Math.max(...xs).toFixed(1)} ms`;

const bench: Bench = async () => {
  const results: BenchResult[] = [];
  const cluster = await startPostgres({ settings: { shared_buffers: '256MB' } });
  const url = await cluster.createDatabase('hubapi');
  const dataDir = mkdtempSync(join(tmpdir(), 'gsmjobs-bench-hubapi-'));
  let hub: Hub | null = null;
  try {
    const seed = await PgStore.open({ connectionString: url, max: 4 });
    const at = new Date().toISOString();
    const scope = scopeOf('ar');
    await seed.platforms.put({ id: 'ar', name: 'AR', prometheus: { url: 'http://127.0.0.1:9', headers: {} }, tokens: [{ id: 't1', hash: hashToken(TOKEN), label: 'bench', created_at: at }], events_password: null, created_at: at });
    const password = hashPassword('site-password-bench-1');
    for (let s = 0; s < 40; s++) await seed.sites.put(scope, { id: `site${s}`, platform_id: 'ar', name: `Site ${s}`, mqtt_password: password, created_at: at });
    for (let k = 0; k < 200; k++) {
      await seed.controlDevices.put(scope, { id: `cd${k}`, platform_id: 'ar', name: `Socket ${k}`, phone: `+7916${String(1_000_000 + k).padStart(7, '0')}`, model: 'SIMPAL_D210', site_ids: [`site${k % 40}`], created_at: at, updated_at: at });
    }
    for (let i = 0; i < JOBS; i += 5000) await seed.jobs.putMany(scope, Array.from({ length: Math.min(5000, JOBS - i) }, (_, k) => benchJob('ar', i + k)));
    // The bulk load's dirty pages written out now, not by a checkpoint during the measured requests.
    await seed.pool.query('VACUUM ANALYZE');
    await seed.pool.query('CHECKPOINT');
    await seed.close();

    hub = new Hub(hubConfigSchema.parse({ http: { port: 0 }, data_dir: dataDir, admin_token: ADMIN, store: { kind: 'postgres', url }, mqtt: { mode: 'embedded', port: 0 }, poll_interval_s: 3600 }), { log: silentLogger });
    await hub.start();
    // Statements sent to PostgreSQL by the hub's pool (including the change feed's refresh of the
    // working set; queries inside an explicit transaction are not counted): a figure the
    // machine's load does not change.
    const pool = (hub.port as PgStore).pool;
    let statements = 0;
    const query = pool.query.bind(pool) as (...a: unknown[]) => unknown;
    // BENCH_SQL_LOG=1: time spent per statement (first 70 characters), printed at the end.
    const sqlTimes = new Map<string, number[]>();
    Object.assign(pool, {
      query: (...a: unknown[]) => {
        statements++;
        if (!process.env.BENCH_SQL_LOG) return query(...a);
        const text = String(typeof a[0] === 'string' ? a[0] : (a[0] as { text: string }).text).slice(0, 70).replace(/\s+/g, ' ');
        const t = performance.now();
        const done = () => sqlTimes.set(text, [...(sqlTimes.get(text) ?? []), performance.now() - t]);
        const r = query(...a) as Promise<unknown>;
        r.then(done, done);
        return r;
      },
    });
    const perRequest = async (n: number, run: () => Promise<void>) => {
      await hub?.workingSet?.settled();
      const before = statements;
      await run();
      await hub?.workingSet?.settled();
      return ((statements - before) / n).toFixed(1);
    };
    const base = `http://127.0.0.1:${hub.httpPort}`;
    const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
      const t = performance.now();
      const res = await fetch(`${base}/api/v1${path}`, { method, headers: { authorization: `Bearer ${TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}), ...headers }, ...(body ? { body: JSON.stringify(body) } : {}) });
      const text = await res.text();
      const ms = performance.now() - t;
      if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
      return { ms, json: JSON.parse(text) as { id?: string; version?: number }, etag: res.headers.get('etag') };
    };
    // Warm-up (connections, prepared statements, the triggers' first compilation on each
    // connection, JIT), not counted: the figures are the steady state.
    for (let i = 0; i < 20; i++) await call('GET', `/jobs?limit=50&offset=${i * 50}`);
    for (let i = 0; i < 30; i++) {
      const w = await call('POST', '/jobs', input(i, `warm-up ${i}`), { 'idempotency-key': `warm-${i}` });
      await call('PUT', `/jobs/${w.json.id}`, input(i, `warm-up ${i} renamed`), w.etag ? { 'if-match': w.etag } : {});
    }

    const created: Array<{ id: string; etag: string | null; i: number }> = [];
    const post: number[] = [];
    const postStatements = await perRequest(SAMPLES, async () => {
      for (let i = 0; i < SAMPLES; i++) {
        const r = await call('POST', '/jobs', input(i), { 'idempotency-key': `bench-${i}` });
        post.push(r.ms);
        created.push({ id: r.json.id as string, etag: r.etag, i });
      }
    });
    const put: number[] = [];
    const putStatements = await perRequest(created.length, async () => {
      for (const c of created) put.push((await call('PUT', `/jobs/${c.id}`, input(c.i, `renamed ${c.i}`), c.etag ? { 'if-match': c.etag } : {})).ms);
    });
    // Deep pages the way a client reaches them: by the cursor of the page before (a cursor at
    // depth 5,000 and 50,000 taken once from an offset query, not counted).
    const cursorAt = async (filter: string, depth: number) => ((await call('GET', `/jobs?limit=1&offset=${depth - 1}&${filter}`)).json as { next_cursor: string }).next_cursor;
    const lists = [`/jobs?limit=50&site_id=site7`, `/jobs?limit=50&q=player_1234`, `/jobs?limit=50&state=ok&cursor=${await cursorAt('state=ok', Math.min(5000, Math.floor(JOBS / 4)))}`, `/jobs?limit=50&enabled=true&cursor=${await cursorAt('enabled=true', Math.min(50_000, Math.floor(JOBS / 2)))}`];
    const label = (l: string) => l.replace('/jobs?limit=50&', '').replace(/cursor=[^&]+/, 'cursor');
    const list: number[] = [];
    const byList = new Map<string, number[]>(lists.map((l) => [l, []]));
    const listStatements = await perRequest(SAMPLES, async () => {
      for (let i = 0; i < SAMPLES; i++) {
        const path = lists[i % lists.length] as string;
        const ms = (await call('GET', path)).ms;
        list.push(ms);
        byList.get(path)?.push(ms);
      }
    });
    const perList = [...byList].map(([l, xs]) => `${label(l)} p99 ${percentile(xs, 99).toFixed(1)}`).join('; ');
    // Deep offset pages (kept for old clients, documented as slow): a few samples, no target.
    const deep: number[] = [];
    for (let i = 0; i < 20; i++) deep.push((await call('GET', `/jobs?limit=50&enabled=true&offset=${Math.min(50_000, Math.floor(JOBS / 2)) + i}`)).ms);

    for (const [text, xs] of sqlTimes) if (xs.length >= 20) console.log(`SQL n=${xs.length} p50 ${percentile(xs, 50).toFixed(2)} p99 ${percentile(xs, 99).toFixed(2)} ms: ${text}`);
    const target = { value: 20, better: 'lower' as const };
    results.push({ name: `hub-api-pg: POST /jobs p99 (${JOBS} jobs stored, HTTP)`, value: Number(percentile(post, 99).toFixed(1)), unit: 'ms', target, notes: `${summary(post)}; ${postStatements} SQL statements per request (with the change feed's refresh)` });
    results.push({ name: `hub-api-pg: PUT /jobs/:id with If-Match p99 (${JOBS} jobs)`, value: Number(percentile(put, 99).toFixed(1)), unit: 'ms', target, notes: `${summary(put)}; ${putStatements} SQL statements per request` });
    results.push({ name: `hub-api-pg: GET /jobs page of 50 with filters p99 (${JOBS} jobs)`, value: Number(percentile(list, 99).toFixed(1)), unit: 'ms', target, notes: `${summary(list)}; ${listStatements} SQL statements per request; ${perList}` });
    results.push({ name: `hub-api-pg: GET /jobs?offset=50000 (deep offset, no target) p50 (${JOBS} jobs)`, value: Number(percentile(deep, 50).toFixed(1)), unit: 'ms', notes: summary(deep) });
  } finally {
    await hub?.stop().catch(() => undefined);
    await cluster.destroy();
    rmSync(dataDir, { recursive: true, force: true });
  }
  return results;
};
export default bench;
