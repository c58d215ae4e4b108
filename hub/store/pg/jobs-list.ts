// The jobs list in PostgreSQL (GET /jobs): the filters as SQL on indexed columns, keyset
// pagination on (name, id) (the jobs_by_name index walks from the cursor, so a deep page costs what
// the first one does; `offset` still works but reads every row it skips), the page's runtimes in
// the same query, and a total that is exact up to `countCap` matches, else the planner's estimate.
import type { Job, JobRuntime } from '../../model/job.js';
import pg from 'pg';
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

/** A filter's SQL with its values written in as literals (the estimate plans it from text). */
function inline(sql: string, params: readonly unknown[]): string {
  return sql.replace(/\$(\d+)/g, (_m, n: string) => {
    const v = params[Number(n) - 1];
    return typeof v === 'boolean' ? (v ? 'TRUE' : 'FALSE') : pg.escapeLiteral(String(v));
  });
}

/**
 * The count part of the list's one statement: a row (n, estimate). Unfiltered: the total kept by
 * triggers; a state other than ok alone: counted on the runtime's partial index; else the
 * matches counted, up to `countCap` + 1 when capped, and past the cap the planner's estimate
 * (jobs_count_estimate, migration 0003: EXPLAIN of the filter, nothing read).
 */
function countSql(q: JobQuery, f: Filter, p: (v: unknown) => string, params: readonly unknown[]): string {
  if (f.where.length === 1) return 'SELECT coalesce((SELECT n FROM job_counts WHERE platform_id = $1), 0) AS n, NULL::bigint AS estimate';
  const matches = f.stateAlone
    ? `SELECT 1 FROM job_runtime r WHERE r.platform_id = $1 AND r.state = ${p(q.state)} AND r.enabled`
    : `SELECT 1 FROM jobs j WHERE ${f.where.join(' AND ')}`;
  if (q.countCap === undefined) return `SELECT count(*) AS n, NULL::bigint AS estimate FROM (${matches}) m`;
  const cap = Math.max(0, Math.floor(q.countCap));
  return `SELECT n, CASE WHEN n > ${cap} THEN jobs_count_estimate(${p(inline(matches, params))}) END AS estimate
    FROM (SELECT count(*) AS n FROM (${matches} LIMIT ${cap + 1}) m) c`;
}

type ListRow = { n: string; estimate: string | null; doc: unknown | null; version: number | null; rt: JobRuntime | null };

/**
 * A text search (a trigram index scan, the costly part) scans once: its matches, up to the cap,
 * are kept and both counted and paged from. More matches than the cap: null (the general
 * statement then pages them and estimates the total).
 */
async function searchOnce(db: Db, scope: Scope, q: JobQuery, f: Filter): Promise<ListRow[] | null> {
  if (!q.q || q.countCap === undefined) return null;
  const cap = Math.max(0, Math.floor(q.countCap));
  const params = [...f.params];
  const p = (v: unknown) => `$${params.push(v)}`;
  const after = q.after ? `WHERE (m.name, m.id) > (${p(q.after.name)}::text COLLATE "C", ${p(q.after.id)}::text COLLATE "C")` : '';
  const sql = `WITH m AS MATERIALIZED (SELECT j.id, j.name FROM jobs j WHERE ${f.where.join(' AND ')} LIMIT ${cap + 1})
    SELECT c.n, NULL::bigint AS estimate, pgx.doc, pgx.version, pgx.rt FROM (SELECT count(*) AS n FROM m) c LEFT JOIN LATERAL (
      SELECT m.name, m.id, j.doc, j.version, r.doc AS rt FROM m JOIN jobs j ON j.id = m.id LEFT JOIN job_runtime r ON r.job_id = m.id
      ${after} ORDER BY m.name, m.id LIMIT ${p(q.limit + 1)} OFFSET ${p(q.offset)}) pgx ON c.n <= ${cap}
    ORDER BY pgx.name, pgx.id`;
  const rows = await db.read<ListRow>(sql, params);
  return Number(rows[0]?.n ?? 0) <= cap ? rows : null;
}

/** One statement, one round trip: the count row joined with the page (none when it is empty). */
export async function listJobs(db: Db, scope: Scope, q: JobQuery): Promise<JobPage> {
  const f = filterOf(scope, q);
  const searched = await searchOnce(db, scope, q, f);
  const rows = searched ?? (await general(db, scope, q, f));
  const head = rows[0];
  const n = Number(head?.n ?? 0);
  const capped = q.countCap !== undefined && head?.estimate != null;
  const found = rows.filter((r) => r.doc !== null);
  const runtimes = new Map<string, JobRuntime>();
  const items = found.slice(0, q.limit).map((r) => {
    const job = stored<Job>({ doc: r.doc, version: r.version as number });
    if (r.rt) runtimes.set(job.id, r.rt);
    return job;
  });
  const total = capped ? Math.max((q.countCap ?? 0) + 1, Number(head?.estimate)) : n;
  return { total, total_exact: !capped, more: found.length > q.limit, items, runtimes };
}

/** The count (exact, capped or estimated) joined with the page, on the filter's indexes. */
function general(db: Db, scope: Scope, q: JobQuery, f: Filter): Promise<ListRow[]> {
  const params = [...f.params];
  const p = (v: unknown) => `$${params.push(v)}`;
  const where = [...f.where];
  if (q.after) where.push(`(j.name, j.id) > (${p(q.after.name)}::text COLLATE "C", ${p(q.after.id)}::text COLLATE "C")`);
  const count = countSql(q, f, p, params);
  // One row more than the page says whether another page follows.
  const sql = `SELECT c.n, c.estimate, pgx.doc, pgx.version, pgx.rt FROM (${count}) c LEFT JOIN LATERAL (
      SELECT j.name, j.id, j.doc, j.version, r.doc AS rt FROM jobs j LEFT JOIN job_runtime r ON r.job_id = j.id
      WHERE ${where.join(' AND ')} ORDER BY j.name, j.id LIMIT ${p(q.limit + 1)} OFFSET ${p(q.offset)}) pgx ON true
    ORDER BY pgx.name, pgx.id`;
  return db.read<ListRow>(sql, params);
}
