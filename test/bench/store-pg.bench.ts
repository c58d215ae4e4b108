// Store benchmark, PostgreSQL adapter (issue 20): 100,000 jobs over 20,000 devices in one
// platform on a throwaway PostgreSQL 15 (fsync off, as in the tests). Figures: bulk import rate,
// create and update of one job p99, a page of the jobs list with filters p99 (targets < 20 ms),
// and one firing of 1,000 executions with their runtimes.
import { PgStore } from '../../hub/store/pg/adapter.js';
import { type JobQuery, scopeOf } from '../../hub/store/port.js';
import { startPostgres } from '../support/postgres.js';
import type { Bench, BenchResult } from './harness.js';
import { benchExecution, benchJob, benchRuntime, percentile } from './store-jobs.js';

const JOBS = Number(process.env.BENCH_STORE_JOBS ?? 100_000);
const SAMPLES = 400;
const scope = scopeOf('ar');

async function timed(n: number, fn: (i: number) => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn(i);
    out.push(performance.now() - t);
  }
  return out;
}

const bench: Bench = async () => {
  const cluster = await startPostgres({ settings: { shared_buffers: '256MB' } });
  const results: BenchResult[] = [];
  const store = await PgStore.open({ connectionString: await cluster.createDatabase('bench'), max: 4 });
  try {
    const t0 = performance.now();
    for (let i = 0; i < JOBS; i += 5000) {
      const part = Array.from({ length: Math.min(5000, JOBS - i) }, (_, k) => benchJob('ar', i + k));
      await store.jobs.putMany(scope, part);
      await store.runtime.putMany(scope, new Map(part.map((j, k) => [j.id, benchRuntime(i + k)])));
    }
    const seedS = (performance.now() - t0) / 1000;
    await store.pool.query('VACUUM ANALYZE');
    results.push({ name: `store-pg: bulk import of ${JOBS} jobs with runtimes (5,000 per transaction)`, value: Math.round(JOBS / seedS), unit: 'jobs/s', notes: `${seedS.toFixed(1)} s` });

    const create = await timed(SAMPLES, (i) => store.jobs.put(scope, benchJob('ar', JOBS + i), { ifVersion: null }));
    results.push({ name: `store-pg: create one job p99 (${JOBS} stored)`, value: percentile(create, 99), unit: 'ms', target: { value: 20, better: 'lower' }, notes: `p50 ${percentile(create, 50).toFixed(2)} ms` });

    const update = await timed(SAMPLES, (i) => {
      const j = benchJob('ar', (i * 997) % JOBS);
      return store.jobs.put(scope, { ...j, enabled: false, updated_at: new Date().toISOString() }, { ifVersion: 1, runtime: benchRuntime(0) });
    });
    results.push({ name: `store-pg: update one job (If-Match, runtime reset) p99 (${JOBS} stored)`, value: percentile(update, 99), unit: 'ms', target: { value: 20, better: 'lower' }, notes: `p50 ${percentile(update, 50).toFixed(2)} ms` });

    const lists: Array<[string, (i: number) => Omit<JobQuery, 'limit' | 'offset'>]> = [
      ['device key', (i) => ({ key: String(10000 + ((i * 7919) % (JOBS / 5))) })],
      ['site alone', (i) => ({ site_id: `site${i % 40}` })],
      ['state firing + site', (i) => ({ state: 'firing', site_id: `site${i % 40}` })],
      ['state alone (no_data / firing)', (i) => ({ state: i % 2 ? 'no_data' : 'firing' })],
      ['search text', (i) => ({ q: `player_${(i * 31) % (JOBS / 5)} ` })],
      ['none (first page, total of all)', () => ({})],
    ];
    for (const [label, q] of lists) {
      const lat = await timed(SAMPLES / 2, (i) => store.jobs.list(scope, { ...q(i), limit: 100, offset: 0 }));
      const sample = await store.jobs.list(scope, { ...q(1), limit: 100, offset: 0 });
      results.push({
        name: `store-pg: jobs list page of 100, filter ${label}, p99 (${JOBS} stored)`,
        value: percentile(lat, 99),
        unit: 'ms',
        target: { value: 20, better: 'lower' },
        notes: `p50 ${percentile(lat, 50).toFixed(2)} ms, total ${sample.total}`,
      });
    }

    const get = await timed(SAMPLES, (i) => store.jobs.get(scope, benchJob('ar', (i * 13) % JOBS).id));
    results.push({ name: 'store-pg: get one job p99', value: percentile(get, 99), unit: 'ms', notes: `p50 ${percentile(get, 50).toFixed(2)} ms` });

    const leader = store.leadership('bench');
    const lease = await leader.tryAcquire();
    const fenced = store.fenced(lease?.epoch ?? 0);
    const firings: number[] = [];
    for (let r = 0; r < 5; r++) {
      const at = new Date(Date.parse('2026-12-01T10:00:00Z') + r * 60_000).toISOString();
      const jobs = Array.from({ length: 1000 }, (_, k) => benchJob('ar', (r * 1000 + k * 17) % JOBS));
      const execs = jobs.map((j, k) => benchExecution(j, `ex${r}-${k}`, at));
      const rts = new Map(jobs.map((j, k) => [j.id, { ...benchRuntime(4), last_execution_id: `ex${r}-${k}`, last_fired_at: Date.parse(at) }]));
      const t = performance.now();
      await fenced.executions.commitFiring(scope, execs, rts);
      firings.push(performance.now() - t);
    }
    await leader.release();
    results.push({ name: 'store-pg: commitFiring of 1,000 executions + runtimes (fenced), median of 5', value: percentile(firings, 50), unit: 'ms', notes: `max ${Math.max(...firings).toFixed(1)} ms` });
    const page = await timed(SAMPLES / 2, (i) => store.executions.list(scope, { job_id: benchJob('ar', (i * 17) % JOBS).id, limit: 100, offset: 0 }));
    results.push({ name: 'store-pg: executions list page, filter job, p99 (5,000 stored)', value: percentile(page, 99), unit: 'ms', target: { value: 20, better: 'lower' }, notes: `p50 ${percentile(page, 50).toFixed(2)} ms` });

    // Last (it bumps versions): putMany over stored jobs, every one renamed, so the statement
    // triggers of job_sites (migration 0006) rewrite all their rows; stays linear in the jobs.
    const renamed = Array.from({ length: 5000 }, (_, k) => {
      const j = benchJob('ar', k * 7);
      return { ...j, name: `${j.name} (renamed)` };
    });
    const t1 = performance.now();
    await store.jobs.putMany(scope, renamed);
    results.push({ name: `store-pg: bulk update of 5,000 stored jobs, all renamed (one putMany, ${JOBS} stored)`, value: performance.now() - t1, unit: 'ms' });
  } finally {
    await store.close();
    await cluster.destroy();
  }
  return results;
};

export default bench;
