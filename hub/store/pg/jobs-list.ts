// The jobs list in PostgreSQL (GET /jobs): each filter on an access path that reads its matches
// in the list's order (name, id) (migration 0006), keyset pagination from the cursor (a deep page
// costs what the first one does; `offset` still works but reads every row it skips), the page's
// runtimes in the same statement, and a total that is exact up to `countCap` matches, else the
// planner's estimate. Paths: a site's rows of job_sites; a text search through its rare trigrams
// (jobs-search.ts) or, when it has none, a walk of the name index (which carries the search text
// and `enabled`); a state other than ok alone, the runtime's state index; a device key, its index.
// Statements are prepared per shape (a name derived from the text).
import { createHash } from 'node:crypto';
import type { Job, JobRuntime } from '../../model/job.js';
import pg from 'pg';
import type { JobPage, JobQuery, Scope } from '../port.js';
import type { Db } from './db.js';
import { stored } from './docs.js';
import { probeTrigrams, trigramStats } from './jobs-search.js';

/** `%needle%` for LIKE, with the pattern characters of the needle escaped. */
export const likeContains = (needle: string): string => `%${needle.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

interface Filter {
  /** The rows walked: jobs `j`, or a site's rows `s` joined with their jobs. */
  from: string;
  where: string[];
  params: unknown[];
  /** The list order's two columns on that path. */
  order: [string, string];
  /** A state other than ok and no other filter narrowing the jobs (counted on the runtime). */
  stateAlone: boolean;
  /** The state ok and no other filter narrowing the jobs (counted mostly on the runtime). */
  okAlone: boolean;
  /** A text search probed through rare trigrams (a small match set: scanned once). */
  probed: boolean;
}

function filterOf(scope: Scope, q: JobQuery, probe: string[] | null): Filter {
  const params: unknown[] = [scope.platform_id];
  const p = (v: unknown) => `$${params.push(v)}`;
  const site = q.site_id !== undefined;
  const where = site ? [`s.platform_id = $1`, `s.site_id = ${p(q.site_id)}::text COLLATE "C"`] : ['j.platform_id = $1'];
  // On a site's rows `enabled` and the search text are read beside the order (index only), and a
  // text search walks the site's rows rather than probing trigrams.
  const t = site ? 's' : 'j';
  if (q.enabled !== undefined) where.push(`${t}.enabled = ${p(q.enabled)}`);
  if (q.q) {
    if (probe && !site) where.push(`show_trgm(j.search) @> ${p(probe)}::text[]`);
    where.push(`${t}.search LIKE ${p(likeContains(q.q.toLowerCase()))}`);
  }
  if (q.key !== undefined) where.push(`j.device_key = ${p(q.key)}`);
  // A job without runtime is `ok`. With another filter narrowing the jobs, the state is probed
  // per job (index on job_runtime (job_id, state)); alone, it is a join on the state index.
  if (q.state !== undefined) {
    const narrowed = q.key !== undefined || site || !!q.q;
    // On a site's rows the probe needs no job row (its id and `enabled` are in job_sites).
    const id = site ? 's.job_id' : 'j.id';
    if (narrowed) where.push(`${t}.enabled AND coalesce((SELECT r.state FROM job_runtime r WHERE r.job_id = ${id}), 'ok') = ${p(q.state)}`);
    else if (q.state === 'ok') where.push(`j.enabled AND NOT EXISTS (SELECT 1 FROM job_runtime r WHERE r.job_id = j.id AND r.state <> 'ok')`);
    else where.push(`j.enabled AND j.id IN (SELECT r.job_id FROM job_runtime r WHERE r.platform_id = $1 AND r.state = ${p(q.state)} AND r.enabled)`);
  }
  const stateAlone = q.state !== undefined && q.state !== 'ok' && q.key === undefined && !site && !q.q && q.enabled !== false;
  const okAlone = q.state === 'ok' && q.key === undefined && !site && !q.q && q.enabled !== false;
  return {
    okAlone,
    from: !site ? 'jobs j' : where.some((w) => /\bj\./.test(w)) ? 'job_sites s JOIN jobs j ON j.id = s.job_id' : 'job_sites s',
    where,
    params,
    order: site ? ['s.name', 's.job_id'] : ['j.name', 'j.id'],
    stateAlone,
    probed: !!q.q && probe !== null && !site,
  };
}

/** A filter's SQL with its values written in as literals (the estimate plans it from text). */
function inline(sql: string, params: readonly unknown[]): string {
  return sql.replace(/\$(\d+)/g, (_m, n: string) => {
    const v = params[Number(n) - 1];
    if (Array.isArray(v)) return `ARRAY[${v.map((x) => pg.escapeLiteral(String(x))).join(', ')}]::text[]`;
    return typeof v === 'boolean' ? (v ? 'TRUE' : 'FALSE') : pg.escapeLiteral(String(v));
  });
}

/**
 * The count part of the list's one statement: a row (n, estimate). Unfiltered: the total kept by
 * triggers; a state other than ok alone: counted on the runtime's partial index; a site (with
 * `enabled` or a text search or neither): on job_sites (index only); else the matches counted, up to `countCap` + 1 when capped, and past
 * the cap the planner's estimate (jobs_count_estimate, migration 0003: EXPLAIN of the filter,
 * nothing read). A text search walked in order counts in that order (the first matches of the
 * name index, not a scan of all the rows).
 */
function countSql(q: JobQuery, f: Filter, p: (v: unknown) => string, params: readonly unknown[]): string {
  if (f.where.length === 1) return 'SELECT coalesce((SELECT n FROM job_counts WHERE platform_id = $1), 0) AS n, NULL::bigint AS estimate';
  const matches = f.stateAlone
    ? `SELECT 1 FROM job_runtime r WHERE r.platform_id = $1 AND r.state = ${p(q.state)} AND r.enabled`
    : `SELECT 1 FROM ${f.from} WHERE ${f.where.join(' AND ')}${q.q && !f.probed ? ` ORDER BY ${f.order.join(', ')}` : ''}`;
  if (q.countCap === undefined) return `SELECT count(*) AS n, NULL::bigint AS estimate FROM (${matches}) m`;
  const cap = Math.max(0, Math.floor(q.countCap));
  const estimate = `CASE WHEN n > ${cap} THEN jobs_count_estimate(${p(inline(matches, params))}) END AS estimate`;
  if (f.okAlone) {
    // The ok jobs are the enabled ones whose runtime is ok (the runtime's state index, read first)
    // and the enabled ones without a runtime (looked for only while under the cap).
    const noRuntime = `SELECT 1 FROM jobs j WHERE j.platform_id = $1 AND j.enabled AND NOT EXISTS (SELECT 1 FROM job_runtime r WHERE r.job_id = j.id)`;
    return `SELECT n, ${estimate} FROM (SELECT least(${cap + 1}, o.n + CASE WHEN o.n <= ${cap} THEN (SELECT count(*) FROM (${noRuntime} LIMIT ${cap + 1}) x) ELSE 0 END) AS n
      FROM (SELECT count(*) AS n FROM (SELECT 1 FROM job_runtime r WHERE r.platform_id = $1 AND r.state = 'ok' AND r.enabled LIMIT ${cap + 1}) m) o) c`;
  }
  return `SELECT n, ${estimate} FROM (SELECT count(*) AS n FROM (${matches} LIMIT ${cap + 1}) m) c`;
}

type ListRow = { n: string; estimate: string | null; doc: unknown | null; version: number | null; rt: JobRuntime | null };

/** One statement prepared per shape: the name is the text's digest (a shape has one text). */
function read(db: Db, sql: string, params: unknown[]): Promise<ListRow[]> {
  return db.read<ListRow>(sql, params, `jobs_list_${createHash('sha1').update(sql).digest('base64url').slice(0, 20)}`);
}

/**
 * A text search probed through rare trigrams scans once: its matches, up to the cap, are kept
 * and both counted and paged from. More matches than the cap: null (the general statement then
 * pages them and estimates the total).
 */
async function searchOnce(db: Db, q: JobQuery, f: Filter): Promise<ListRow[] | null> {
  if (!f.probed || q.countCap === undefined) return null;
  const cap = Math.max(0, Math.floor(q.countCap));
  const params = [...f.params];
  const p = (v: unknown) => `$${params.push(v)}`;
  const after = q.after ? `WHERE (m.name, m.id) > (${p(q.after.name)}::text COLLATE "C", ${p(q.after.id)}::text COLLATE "C")` : '';
  const sql = `WITH m AS MATERIALIZED (SELECT j.id, j.name FROM ${f.from} WHERE ${f.where.join(' AND ')} LIMIT ${cap + 1})
    SELECT c.n, NULL::bigint AS estimate, pgx.doc, pgx.version, pgx.rt FROM (SELECT count(*) AS n FROM m) c LEFT JOIN LATERAL (
      SELECT m.name, m.id, j.doc, j.version, r.doc AS rt FROM m JOIN jobs j ON j.id = m.id LEFT JOIN job_runtime r ON r.job_id = m.id
      ${after} ORDER BY m.name, m.id LIMIT ${p(q.limit + 1)} OFFSET ${p(q.offset)}) pgx ON c.n <= ${cap}
    ORDER BY pgx.name, pgx.id`;
  const rows = await read(db, sql, params);
  return Number(rows[0]?.n ?? 0) <= cap ? rows : null;
}

/** One statement, one round trip: the count row joined with the page (none when it is empty). */
export async function listJobs(db: Db, scope: Scope, q: JobQuery): Promise<JobPage> {
  const probe = q.q ? probeTrigrams(q.q, await trigramStats(db.pool)) : null;
  const f = filterOf(scope, q, probe);
  const searched = await searchOnce(db, q, f);
  const rows = searched ?? (await general(db, q, f));
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

/** The count (exact, capped or estimated) joined with the page, on the filter's path. */
function general(db: Db, q: JobQuery, f: Filter): Promise<ListRow[]> {
  const params = [...f.params];
  const p = (v: unknown) => `$${params.push(v)}`;
  const where = [...f.where];
  const [o1, o2] = f.order;
  if (q.after) where.push(`(${o1}, ${o2}) > (${p(q.after.name)}::text COLLATE "C", ${p(q.after.id)}::text COLLATE "C")`);
  const count = countSql(q, f, p, params);
  // The page's keys first (on the path's index, without reading the wide rows the filter
  // rejects), then their documents and runtimes. One row more than the page says whether another
  // page follows.
  const sql = `SELECT c.n, c.estimate, pgx.doc, pgx.version, pgx.rt FROM (${count}) c LEFT JOIN LATERAL (
      SELECT k.name, k.id, d.doc, d.version, r.doc AS rt FROM (
        SELECT ${o1} AS name, ${o2} AS id FROM ${f.from} WHERE ${where.join(' AND ')} ORDER BY ${o1}, ${o2} LIMIT ${p(q.limit + 1)} OFFSET ${p(q.offset)}) k
      JOIN jobs d ON d.id = k.id LEFT JOIN job_runtime r ON r.job_id = k.id) pgx ON true
    ORDER BY pgx.name, pgx.id`;
  return read(db, sql, params);
}
