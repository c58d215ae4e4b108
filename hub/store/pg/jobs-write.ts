// One job written in one statement (one round trip, no BEGIN/COMMIT): the row locked, its version
// and owner checked, updated or inserted, its runtime reset or its `enabled` copied, a create's
// Idempotency-Key record inserted, and the change announced with pg_notify, all in one implicit
// transaction. The API's creates and updates take this path; fenced writes (a leader's) keep the
// explicit transaction of db.ts.
//
// A keyed create (JobWriteOptions.idempotency): the record's INSERT ... ON CONFLICT DO NOTHING
// comes first and the job's INSERT reads its RETURNING, so the job is inserted only when this
// request took the key. A concurrent request with the same key (another hub) waits on the key's
// unique index until the first commits, then inserts neither (IdempotencyKeyTakenError). The
// job's INSERT has no ON CONFLICT there: a create racing on the same job id fails the whole
// statement, the record with it.
import type { Job } from '../../model/job.js';
import { type Change, IdempotencyKeyTakenError, type JobWriteOptions, type Scope, ScopeError, VersionConflictError } from '../port.js';
import { jobRefs, jobSearchText, unversioned } from '../port-query.js';
import { CHANNEL, type Db, isUniqueViolation, MAX_PAYLOAD, mapError } from './db.js';

// $1 id, $2 platform, $3 name, $4 enabled, $5 device key, $6 search, $7-$9 refs, $10 doc,
// $11 mode ('any': no check, 'new': must not exist, 'v': version must be $12), $12 version,
// $13 notifications (JSON texts), then with a runtime: its state, its document; then with a key:
// its hash, the request's hash, status, sealed answer, created_at.
/**
 * The jobs notification ($13[1]) carries the job as written, with its version (and the runtime
 * written with it): the working set of every hub takes it instead of reading the job back. A job
 * too big for a notification goes out bare (readers read it).
 */
const carry = (runtime: boolean) => `carried AS (
  SELECT CASE WHEN octet_length(t) <= ${MAX_PAYLOAD} THEN t ELSE ($13::text[])[1] END AS x FROM (
    SELECT (($13::text[])[1]::jsonb || jsonb_build_object('docs', jsonb_build_array($10::jsonb || jsonb_build_object('version', done.version))${runtime ? ", 'runtimes', jsonb_build_array($15::jsonb)" : ''}))::text AS t FROM done) f),`;

function statement(runtime: boolean, keyed: boolean): string {
  const k = runtime ? 16 : 14;
  const idem = keyed
    ? `idem AS (
  INSERT INTO idempotency (platform_id, key, request_hash, status, body, created_at)
  SELECT $2::text, $${k}::text, $${k + 1}::text, $${k + 2}::integer, $${k + 3}::jsonb, $${k + 4}::bigint WHERE NOT EXISTS (SELECT 1 FROM cur)
  ON CONFLICT DO NOTHING RETURNING 1),`
    : '';
  const rt = runtime
    ? `rt AS (INSERT INTO job_runtime (job_id, platform_id, state, enabled, doc, epoch) SELECT $1::text, $2::text, $14::text, $4::boolean, $15::jsonb, 0 FROM done
  ON CONFLICT (job_id) DO UPDATE SET state = EXCLUDED.state, enabled = EXCLUDED.enabled, doc = EXCLUDED.doc, epoch = EXCLUDED.epoch RETURNING 1),`
    : // The job's runtime follows its `enabled` (a state filter counts on the runtime alone).
      `rt AS (UPDATE job_runtime SET enabled = $4::boolean WHERE job_id = $1::text AND enabled <> $4::boolean AND EXISTS (SELECT 1 FROM done) RETURNING 1),`;
  return `WITH cur AS (SELECT platform_id, version FROM jobs WHERE id = $1::text FOR UPDATE),
${idem}
upd AS (
  UPDATE jobs j SET name = $3::text, enabled = $4::boolean, device_key = $5::text, search = $6::text, site_ids = $7::text[],
    control_device_ids = $8::text[], webhook_ids = $9::text[], doc = $10::jsonb, version = j.version + 1
  FROM cur WHERE j.id = $1::text AND cur.platform_id = $2::text AND ($11::text = 'any' OR ($11::text = 'v' AND cur.version = $12::integer))
  RETURNING j.version),
ins AS (
  INSERT INTO jobs (id, platform_id, name, enabled, device_key, search, site_ids, control_device_ids, webhook_ids, doc, version)
  SELECT $1::text, $2::text, $3::text, $4::boolean, $5::text, $6::text, $7::text[], $8::text[], $9::text[], $10::jsonb, 1
  WHERE NOT EXISTS (SELECT 1 FROM cur) AND $11::text <> 'v'${keyed ? ' AND EXISTS (SELECT 1 FROM idem)' : '\n  ON CONFLICT (id) DO NOTHING'} RETURNING version),
done AS (SELECT version FROM upd UNION ALL SELECT version FROM ins),
${rt}
${carry(runtime)}
note AS (SELECT pg_notify('${CHANNEL}', x) FROM (SELECT x FROM carried UNION ALL SELECT y FROM done, unnest(($13::text[])[2:]) AS y) n(x))
SELECT (SELECT version FROM done) AS version, (SELECT platform_id FROM cur) AS owner, (SELECT version FROM cur) AS current, (SELECT count(*) FROM note) AS notes`;
}

/** The four statements, each prepared under its own name. */
const STATEMENTS = new Map<string, string>(
  [false, true].flatMap((runtime) => [false, true].map((keyed) => [`job_put${runtime ? '_rt' : ''}${keyed ? '_key' : ''}`, statement(runtime, keyed)] as const)),
);

interface Row {
  version: number | null;
  owner: string | null;
  current: number | null;
}

/** Write one job in one statement; returns the new version. Errors as writeDoc's, and IdempotencyKeyTakenError. */
export async function writeJob(db: Db, scope: Scope, job: Job, opts?: JobWriteOptions): Promise<number> {
  const refs = jobRefs(job);
  const ifVersion = opts?.ifVersion;
  const key = opts?.idempotency;
  if (key && ifVersion !== null) throw new Error('an idempotency record is written only with a create (ifVersion: null)');
  const mode = ifVersion === undefined ? 'any' : ifVersion === null ? 'new' : 'v';
  const changes: Change[] = [{ aggregate: 'jobs', platform_id: scope.platform_id, ids: [job.id] }];
  if (opts?.runtime) changes.push({ aggregate: 'runtime', platform_id: scope.platform_id, ids: [job.id] });
  const params: unknown[] = [
    job.id,
    scope.platform_id,
    job.name,
    job.enabled,
    job.device.key,
    jobSearchText(job),
    refs.site_ids,
    refs.control_device_ids,
    refs.webhook_ids,
    JSON.stringify(unversioned(job)),
    mode,
    typeof ifVersion === 'number' ? ifVersion : null,
    changes.map((c) => JSON.stringify(c)),
  ];
  if (opts?.runtime) params.push(opts.runtime.state, JSON.stringify(opts.runtime));
  if (key) params.push(key.key, key.request_hash, key.status, JSON.stringify(key.body ?? null), key.created_at);
  const name = `job_put${opts?.runtime ? '_rt' : ''}${key ? '_key' : ''}`;
  let row: Row | undefined;
  try {
    row = (await db.read<Row & Record<string, unknown>>(STATEMENTS.get(name) as string, params, name))[0];
  } catch (err) {
    // A keyed create has no ON CONFLICT on the job: a concurrent create of the same id lands here.
    if (key && isUniqueViolation(err)) throw new VersionConflictError('jobs', job.id, null, 1);
    throw mapError(err);
  }
  if (row?.version != null) return row.version;
  if (row?.owner != null && row.owner !== scope.platform_id) throw new ScopeError('jobs', job.id, scope, row.owner);
  if (key && row?.current == null) throw new IdempotencyKeyTakenError(scope.platform_id, key.key);
  // Stale version, an existing job on create, a deleted one on update; or a concurrent create
  // of the same id that won the race (no row read, none inserted).
  const current = row?.current ?? (mode === 'v' ? null : 1);
  throw new VersionConflictError('jobs', job.id, ifVersion ?? null, current);
}
