// Jobs and their runtime in PostgreSQL: a row per job with the columns the list filters and sorts
// on (name, enabled, device key, sites, control devices, webhooks, a lower-case search text under
// a trigram index), and a row per runtime, deleted with its job.
import type { Job, JobRuntime } from '../../model/job.js';
import { assertScope, type IdempotencyRecord, type JobPage, type JobQuery, type JobRef, type JobsRepo, type JobWriteOptions, type RuntimeRepo, type Scope, ScopeError, type Stored, type WriteOptions } from '../port.js';
import { jobRefs, jobSearchText, unversioned } from '../port-query.js';
import type { Db, Tx } from './db.js';
import { deleteDoc, stored, writeDoc } from './docs.js';
import { listJobs } from './jobs-list.js';
import { writeJob } from './jobs-write.js';
import { insertKey } from './remediation.js';

const CHUNK = 5000;

function jobCols(j: Job): Record<string, unknown> {
  return { name: j.name, enabled: j.enabled, device_key: j.device.key, search: jobSearchText(j), ...jobRefs(j) };
}

export { likeContains } from './jobs-list.js';

export async function upsertRuntimes(tx: Tx, scope: Scope, runtimes: ReadonlyMap<string, JobRuntime>): Promise<void> {
  const rows = [...runtimes].map(([job_id, doc]) => ({ job_id, doc }));
  for (let i = 0; i < rows.length; i += CHUNK) {
    await tx.query(
      `INSERT INTO job_runtime (job_id, platform_id, state, enabled, doc, epoch)
       SELECT x.job_id, $1, x.doc->>'state', j.enabled, x.doc, $3 FROM jsonb_to_recordset($2::jsonb) AS x(job_id text, doc jsonb)
       JOIN jobs j ON j.id = x.job_id AND j.platform_id = $1
       ON CONFLICT (job_id) DO UPDATE SET state = EXCLUDED.state, enabled = EXCLUDED.enabled, doc = EXCLUDED.doc, epoch = EXCLUDED.epoch`,
      [scope.platform_id, JSON.stringify(rows.slice(i, i + CHUNK)), tx.epoch],
    );
  }
  if (rows.length > 0) tx.changed({ aggregate: 'runtime', platform_id: scope.platform_id, ids: rows.length <= 100 ? rows.map((r) => r.job_id) : null });
}

export class PgJobs implements JobsRepo {
  constructor(private readonly db: Db) {}

  async get(scope: Scope, id: string): Promise<Stored<Job> | undefined> {
    const row = (await this.db.read<{ doc: unknown; version: number }>('SELECT doc, version FROM jobs WHERE platform_id = $1 AND id = $2', [scope.platform_id, id], 'jobs_get'))[0];
    return row ? stored<Job>(row) : undefined;
  }

  list(scope: Scope, q: JobQuery): Promise<JobPage> {
    return listJobs(this.db, scope, q);
  }

  async all(scope: Scope): Promise<Array<Stored<Job>>> {
    return (await this.db.read<{ doc: unknown; version: number }>('SELECT doc, version FROM jobs WHERE platform_id = $1 ORDER BY name, id', [scope.platform_id])).map((r) => stored<Job>(r));
  }

  async referencing(scope: Scope, ref: JobRef): Promise<Array<Stored<Job>>> {
    const params: unknown[] = [scope.platform_id];
    const where: string[] = [];
    if (ref.site_id !== undefined) where.push(`site_ids @> ARRAY[$${params.push(ref.site_id)}::text]`);
    if (ref.control_device_id !== undefined) where.push(`control_device_ids @> ARRAY[$${params.push(ref.control_device_id)}::text]`);
    if (ref.webhook_id !== undefined) where.push(`webhook_ids @> ARRAY[$${params.push(ref.webhook_id)}::text]`);
    if (where.length === 0) return [];
    const rows = await this.db.read<{ doc: unknown; version: number }>(`SELECT doc, version FROM jobs WHERE platform_id = $1 AND ${where.join(' AND ')} ORDER BY name, id`, params);
    return rows.map((r) => stored<Job>(r));
  }

  async put(scope: Scope, job: Job, opts?: JobWriteOptions): Promise<Stored<Job>> {
    assertScope('jobs', scope, job);
    // The API's writes (unfenced): one statement. A fenced view keeps the checked transaction.
    if (this.db.fence === null) return { ...(unversioned(job) as Job), version: await writeJob(this.db, scope, job, opts) };
    if (opts?.idempotency && opts.ifVersion !== null) throw new Error('an idempotency record is written only with a create (ifVersion: null)');
    const version = await this.db.tx(async (tx) => {
      if (opts?.idempotency) await insertKey(tx, scope, opts.idempotency);
      const v = await writeDoc(tx, 'jobs', 'jobs', scope, job.id, job, opts, jobCols(job));
      await tx.query('UPDATE job_runtime SET enabled = $2 WHERE job_id = $1 AND enabled <> $2', [job.id, job.enabled]);
      if (opts?.runtime) await upsertRuntimes(tx, scope, new Map([[job.id, opts.runtime]]));
      return v;
    });
    return { ...(unversioned(job) as Job), version };
  }

  async putMany(scope: Scope, jobs: readonly Job[], opts?: { idempotency?: IdempotencyRecord }): Promise<number> {
    for (const j of jobs) assertScope('jobs', scope, j);
    return this.db.tx(async (tx) => {
      if (opts?.idempotency) await insertKey(tx, scope, opts.idempotency);
      let n = 0;
      for (let i = 0; i < jobs.length; i += CHUNK) {
        const part = jobs.slice(i, i + CHUNK);
        const rows = part.map((j) => ({ id: j.id, doc: unversioned(j), ...jobCols(j) }));
        const done = await tx.query(
          `INSERT INTO jobs (id, platform_id, name, enabled, device_key, search, site_ids, control_device_ids, webhook_ids, doc, version)
           SELECT x.id, $1, x.name, x.enabled, x.device_key, x.search,
             ARRAY(SELECT jsonb_array_elements_text(x.site_ids)), ARRAY(SELECT jsonb_array_elements_text(x.control_device_ids)),
             ARRAY(SELECT jsonb_array_elements_text(x.webhook_ids)), x.doc, 1
           FROM jsonb_to_recordset($2::jsonb) AS x(id text, name text, enabled boolean, device_key text, search text, site_ids jsonb, control_device_ids jsonb, webhook_ids jsonb, doc jsonb)
           ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, enabled = EXCLUDED.enabled, device_key = EXCLUDED.device_key, search = EXCLUDED.search,
             site_ids = EXCLUDED.site_ids, control_device_ids = EXCLUDED.control_device_ids, webhook_ids = EXCLUDED.webhook_ids, doc = EXCLUDED.doc, version = jobs.version + 1
           WHERE jobs.platform_id = EXCLUDED.platform_id
           RETURNING id`,
          [scope.platform_id, JSON.stringify(rows)],
        );
        if (done.length !== part.length) {
          const ok = new Set(done.map((r) => r.id));
          const other = part.find((j) => !ok.has(j.id));
          throw new ScopeError('jobs', other?.id ?? '?', scope, 'another platform');
        }
        await tx.query('UPDATE job_runtime r SET enabled = j.enabled FROM jobs j WHERE j.id = r.job_id AND r.job_id = ANY($1::text[]) AND r.enabled <> j.enabled', [part.map((j) => j.id)]);
        n += done.length;
      }
      if (n > 0) tx.changed({ aggregate: 'jobs', platform_id: scope.platform_id, ids: n <= 100 ? jobs.map((j) => j.id) : null });
      return n;
    });
  }

  delete(scope: Scope, id: string, opts?: WriteOptions): Promise<boolean> {
    return this.db.tx((tx) => deleteDoc(tx, 'jobs', 'jobs', scope, id, opts));
  }
}

export class PgRuntime implements RuntimeRepo {
  constructor(private readonly db: Db) {}

  async get(scope: Scope, jobId: string): Promise<JobRuntime | undefined> {
    const row = (await this.db.read<{ doc: JobRuntime }>('SELECT doc FROM job_runtime WHERE platform_id = $1 AND job_id = $2', [scope.platform_id, jobId], 'runtime_get'))[0];
    return row?.doc;
  }
  async many(scope: Scope, jobIds: readonly string[]): Promise<Map<string, JobRuntime>> {
    if (jobIds.length === 0) return new Map();
    const rows = await this.db.read<{ job_id: string; doc: JobRuntime }>('SELECT job_id, doc FROM job_runtime WHERE platform_id = $1 AND job_id = ANY($2::text[])', [scope.platform_id, [...jobIds]]);
    return new Map(rows.map((r) => [r.job_id, r.doc]));
  }

  async all(scope: Scope): Promise<Map<string, JobRuntime>> {
    const rows = await this.db.read<{ job_id: string; doc: JobRuntime }>('SELECT job_id, doc FROM job_runtime WHERE platform_id = $1', [scope.platform_id]);
    return new Map(rows.map((r) => [r.job_id, r.doc]));
  }
  async putMany(scope: Scope, runtimes: ReadonlyMap<string, JobRuntime>): Promise<void> {
    await this.db.tx((tx) => upsertRuntimes(tx, scope, runtimes));
  }
}
