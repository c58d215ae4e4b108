// The jobs list in PostgreSQL (GET /jobs): the filters as SQL on indexed columns, keyset
// pagination on (name, id) (the jobs_by_name index walks from the cursor, so a deep page costs what
// the first one does; `offset` still works but reads every row it skips), the page's runtimes in
// the same query, and a total that is exact up to `countCap` matches, else the planner's estimate.
import type { Job, JobRuntime } from '../../model/job.js';
import type { JobPage, JobQuery, Scope } from '../port.js';
import type { Db } from './db.js';
import { stored } from './docs.js';

/** `%needle%` for LIKE, with the pattern characters of the needle escaped. */
export const likeContains = (needle: string): string => `%${needle.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

interface Filter {
  where: string[];
  params: unknown[];
  /** A state other than ok and no other filter narrowing the jobs (counted on the runtime). */
  stateAlone: boolean;
}

function filterOf(scope: Scope, q: JobQuery): Filter {
  const params: unknown[] = [scope.platform_id];
  const where = ['j.platform_id = $1'];
  const p = (v: unknown) => `$${params.push(v)}`;
  if (q.enabled !== undefined) where.push(`j.enabled = ${p(q.enabled)}`);
  if (q.key !== undefined) where.push(`j.device_key = ${p(q.key)}`);
  if (q.site_id !== undefined) where.push(`j.site_ids @> ARRAY[${p(q.site_id)}::text]`);
  if (q.q) where.push(`j.search LIKE ${p(likeContains(q.q.toLowerCase()))}`);
  // A job without runtime is `ok`. With another filter narrowing the jobs, the state is probed
  // per job (index on job_runtime (job_id, state)); alone, it is a join on the state index.
  if (q.state !== undefined) {
    const narrowed = q.key !== undefined || q.site_id !== undefined || !!q.q;
    if (narrowed) where.push(`j.enabled AND coalesce((SELECT r.state FROM job_runtime r WHERE r.job_id = j.id), 'ok') = ${p(q.state)}`);
    else if (q.state === 'ok') where.push(`j.enabled AND NOT EXISTS (SELECT 1 FROM job_runtime r WHERE r.job_id = j.id AND r.state <> 'ok')`);
    else where.push(`j.enabled AND j.id IN (SELECT r.job_id FROM job_runtime r WHERE r.platform_id = $1 AND r.state = ${p(q.state)} AND r.enabled)`);
  }
  const stateAlone = q.state !== undefined && q.state !== 'ok' && q.key === undefined && q.site_id === undefined && !q.q && q.enabled !== false;
  return { where, params, stateAlone };
}

/** The planner's row estimate of a query (EXPLAIN, nothing is read). */
async function estimate(db: Db, sql: string, params: unknown[]): Promise<number> {
  const rows = await db.read<{ 'QUERY PLAN': Array<{ Plan: { 'Plan Rows': number } }> }>(`EXPLAIN (FORMAT JSON) ${sql}`, params);
  return Math.round(rows[0]?.['QUERY PLAN'][0]?.Plan['Plan Rows'] ?? 0);
}

async function total(db: Db, scope: Scope, q: JobQuery, f: Filter): Promise<{ n: number; exact: boolean }> {
  // Unfiltered: the total is kept by triggers (a count over 100,000 rows is tens of ms).
  if (f.where.length === 1) {
    const rows = await db.read<{ n: string }>('SELECT coalesce((SELECT n FROM job_counts WHERE platform_id = $1), 0) AS n', [scope.platform_id], 'jobs_count_all');
    return { n: Number(rows[0]?.n ?? 0), exact: true };
  }
  // A state other than ok alone: counted on the runtime's partial index.
  const [matches, params] = f.stateAlone
    ? ['SELECT 1 FROM job_runtime r WHERE r.platform_id = $1 AND r.state = $2 AND r.enabled', [scope.platform_id, q.state]]
    : [`SELECT 1 FROM jobs j WHERE ${f.where.join(' AND ')}`, f.params];
  if (q.countCap === undefined) {
    const rows = await db.read<{ n: string }>(`SELECT count(*) AS n FROM (${matches}) m`, params);
    return { n: Number(rows[0]?.n ?? 0), exact: true };
  }
  const cap = q.countCap;
  const [capped, guess] = await Promise.all([db.read<{ n: string }>(`SELECT count(*) AS n FROM (${matches} LIMIT ${cap + 1}) m`, params), estimate(db, matches, params)]);
  const n = Number(capped[0]?.n ?? 0);
  return n <= cap ? { n, exact: true } : { n: Math.max(cap + 1, guess), exact: false };
}

export async function listJobs(db: Db, scope: Scope, q: JobQuery): Promise<JobPage> {
  const f = filterOf(scope, q);
  const params = [...f.params];
  const where = [...f.where];
  const p = (v: unknown) => `$${params.push(v)}`;
  if (q.after) where.push(`(j.name, j.id) > (${p(q.after.name)}::text COLLATE "C", ${p(q.after.id)}::text COLLATE "C")`);
  // One row more than the page says whether another page follows.
  const sql = `SELECT j.doc, j.version, r.doc AS rt FROM jobs j LEFT JOIN job_runtime r ON r.job_id = j.id
    WHERE ${where.join(' AND ')} ORDER BY j.name, j.id LIMIT ${p(q.limit + 1)} OFFSET ${p(q.offset)}`;
  const [count, rows] = await Promise.all([total(db, scope, q, f), db.read<{ doc: unknown; version: number; rt: JobRuntime | null }>(sql, params)]);
  const page = rows.slice(0, q.limit);
  const runtimes = new Map<string, JobRuntime>();
  const items = page.map((r) => {
    const job = stored<Job>(r);
    if (r.rt) runtimes.set(job.id, r.rt);
    return job;
  });
  return { total: count.n, total_exact: count.exact, more: rows.length > q.limit, items, runtimes };
}
