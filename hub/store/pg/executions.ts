// Executions and inbound SMS in PostgreSQL. An execution is a JSONB document with the columns the
// list filters on; the firing of a cycle (new executions + the runtimes of their jobs) is one
// transaction. Each execution row records the leadership epoch of the write that made it.
import { type Execution, isActive, isFinished } from '../../model/execution.js';
import { dispatchState } from '../../model/execution-view.js';
import type { JobRuntime } from '../../model/job.js';
import {
  assertScope,
  type ExecutionQuery,
  type ExecutionsRepo,
  type InboundRecord,
  type InboundRepo,
  type Page,
  type RetentionPolicy,
  type Scope,
  ScopeError,
  type Stored,
  type WriteOptions,
} from '../port.js';
import { unversioned } from '../port-query.js';
import type { Db, Tx } from './db.js';
import { stored, writeDoc } from './docs.js';
import { upsertRuntimes } from './jobs.js';

const CHUNK = 2000;

function execCols(e: Execution, epoch: number): Record<string, unknown> {
  return {
    job_id: e.job_id,
    device_key: e.device.key,
    state: dispatchState(e),
    phase: e.run.phase,
    outcome: e.run.outcome,
    incident_id: e.run.incident_id,
    site_ids: [...new Set(e.messages.map((m) => m.site_id))],
    active: isActive(e),
    finished: isFinished(e),
    created_at: e.created_at,
    epoch,
  };
}

async function insertExecutions(tx: Tx, scope: Scope, list: readonly Execution[]): Promise<void> {
  for (let i = 0; i < list.length; i += CHUNK) {
    const part = list.slice(i, i + CHUNK);
    const rows = part.map((e) => ({ id: e.id, doc: unversioned(e), ...execCols(e, tx.epoch) }));
    const done = await tx.query<{ id: string }>(
      `INSERT INTO executions (id, platform_id, job_id, device_key, state, phase, outcome, incident_id, site_ids, active, finished, created_at, doc, version, epoch)
       SELECT x.id, $1, x.job_id, x.device_key, x.state, x.phase, x.outcome, x.incident_id, ARRAY(SELECT jsonb_array_elements_text(x.site_ids)),
         x.active, x.finished, x.created_at, x.doc, 1, x.epoch
       FROM jsonb_to_recordset($2::jsonb) AS x(id text, job_id text, device_key text, state text, phase text, outcome text, incident_id text,
         site_ids jsonb, active boolean, finished boolean, created_at timestamptz, doc jsonb, epoch bigint)
       ON CONFLICT (id) DO UPDATE SET job_id = EXCLUDED.job_id, device_key = EXCLUDED.device_key, state = EXCLUDED.state, phase = EXCLUDED.phase,
         outcome = EXCLUDED.outcome, incident_id = EXCLUDED.incident_id, site_ids = EXCLUDED.site_ids, active = EXCLUDED.active, finished = EXCLUDED.finished,
         doc = EXCLUDED.doc, version = executions.version + 1, epoch = EXCLUDED.epoch
       WHERE executions.platform_id = EXCLUDED.platform_id
       RETURNING id`,
      [scope.platform_id, JSON.stringify(rows)],
    );
    if (done.length !== part.length) {
      const ok = new Set(done.map((r) => r.id));
      throw new ScopeError('executions', part.find((e) => !ok.has(e.id))?.id ?? '?', scope, 'another platform');
    }
  }
  if (list.length > 0) tx.changed({ aggregate: 'executions', platform_id: scope.platform_id, ids: list.length <= 100 ? list.map((e) => e.id) : null });
}

export class PgExecutions implements ExecutionsRepo {
  constructor(private readonly db: Db) {}

  async get(scope: Scope, id: string): Promise<Stored<Execution> | undefined> {
    const row = (await this.db.read<{ doc: unknown; version: number }>('SELECT doc, version FROM executions WHERE platform_id = $1 AND id = $2', [scope.platform_id, id]))[0];
    return row ? stored<Execution>(row) : undefined;
  }

  async byMessage(scope: Scope, wireId: string): Promise<Stored<Execution> | undefined> {
    // On the GIN index executions_wire_ids (migration 0003) over the messages' wire ids.
    const row = (
      await this.db.read<{ doc: unknown; version: number }>(
        "SELECT doc, version FROM executions WHERE jsonb_path_query_array(doc, '$.messages[*].wire_id') @> jsonb_build_array($2::text) AND platform_id = $1 LIMIT 1",
        [scope.platform_id, wireId],
        'executions_by_message',
      )
    )[0];
    return row ? stored<Execution>(row) : undefined;
  }

  async many(scope: Scope, ids: readonly string[]): Promise<Map<string, Stored<Execution>>> {
    if (ids.length === 0) return new Map();
    const rows = await this.db.read<{ id: string; doc: unknown; version: number }>('SELECT id, doc, version FROM executions WHERE platform_id = $1 AND id = ANY($2::text[])', [scope.platform_id, [...ids]]);
    return new Map(rows.map((r) => [r.id, stored<Execution>(r)]));
  }

  async list(scope: Scope, q: ExecutionQuery): Promise<Page<Stored<Execution>>> {
    const params: unknown[] = [scope.platform_id];
    const where = ['platform_id = $1'];
    const p = (v: unknown) => `$${params.push(v)}`;
    if (q.job_id !== undefined) where.push(`job_id = ${p(q.job_id)}`);
    if (q.key !== undefined) where.push(`device_key = ${p(q.key)}`);
    if (q.site_id !== undefined) where.push(`site_ids @> ARRAY[${p(q.site_id)}::text]`);
    if (q.state !== undefined) where.push(`state = ${p(q.state)}`);
    if (q.phase !== undefined) where.push(`phase = ${p(q.phase)}`);
    if (q.outcome !== undefined) where.push(`outcome = ${p(q.outcome)}`);
    if (q.incident_id !== undefined) where.push(`incident_id = ${p(q.incident_id)}`);
    if (q.since !== undefined) where.push(`created_at >= ${p(q.since)}::timestamptz`);
    if (q.until !== undefined) where.push(`created_at <= ${p(q.until)}::timestamptz`);
    const from = `FROM executions WHERE ${where.join(' AND ')}`;
    const [count, rows] = await Promise.all([
      this.db.read<{ n: string }>(`SELECT count(*) AS n ${from}`, [...params]),
      this.db.read<{ doc: unknown; version: number }>(`SELECT doc, version ${from} ORDER BY created_at DESC, id DESC LIMIT ${p(q.limit)} OFFSET ${p(q.offset)}`, params),
    ]);
    return { total: Number(count[0]?.n ?? 0), items: rows.map((r) => stored<Execution>(r)) };
  }

  async active(scope: Scope): Promise<Array<Stored<Execution>>> {
    const rows = await this.db.read<{ doc: unknown; version: number }>('SELECT doc, version FROM executions WHERE platform_id = $1 AND active ORDER BY created_at, id', [scope.platform_id]);
    return rows.map((r) => stored<Execution>(r));
  }

  async put(scope: Scope, e: Execution, opts?: WriteOptions): Promise<Stored<Execution>> {
    assertScope('executions', scope, e);
    const version = await this.db.tx((tx) => writeDoc(tx, 'executions', 'executions', scope, e.id, e, opts, execCols(e, tx.epoch)));
    return { ...(unversioned(e) as Execution), version };
  }

  async commitFiring(scope: Scope, list: readonly Execution[], runtimes: ReadonlyMap<string, JobRuntime>): Promise<void> {
    for (const e of list) assertScope('executions', scope, e);
    await this.db.tx(async (tx) => {
      await insertExecutions(tx, scope, list);
      await upsertRuntimes(tx, scope, runtimes);
    });
  }

  async prune(scope: Scope, now: number, policy: RetentionPolicy): Promise<number> {
    return this.db.tx(async (tx) => {
      const rows = await tx.query<{ id: string; at: string; finished: boolean }>(
        'SELECT id, (extract(epoch FROM created_at) * 1000)::bigint AS at, finished FROM executions WHERE platform_id = $1 ORDER BY created_at, id FOR UPDATE',
        [scope.platform_id],
      );
      let excess = rows.length - policy.maxPerPlatform;
      const drop: string[] = [];
      for (const r of rows) {
        const old = now - Number(r.at) > policy.maxAgeMs;
        if (r.finished && (old || excess > 0)) {
          drop.push(r.id);
          excess--;
        }
      }
      if (drop.length > 0) {
        await tx.query('DELETE FROM executions WHERE platform_id = $1 AND id = ANY($2::text[])', [scope.platform_id, drop]);
        tx.changed({ aggregate: 'executions', platform_id: scope.platform_id, ids: drop.length <= 100 ? drop : null });
      }
      return drop.length;
    });
  }
}

export class PgInbound implements InboundRepo {
  constructor(private readonly db: Db) {}

  async list(scope: Scope, limit: number): Promise<InboundRecord[]> {
    const rows = await this.db.read<{ doc: InboundRecord }>('SELECT doc FROM inbound WHERE platform_id = $1 ORDER BY seq DESC LIMIT $2', [scope.platform_id, limit]);
    return rows.map((r) => r.doc);
  }
  async add(scope: Scope, r: InboundRecord, maxPerPlatform: number): Promise<void> {
    assertScope('inbound', scope, r);
    await this.db.tx(async (tx) => {
      await tx.query('INSERT INTO inbound (platform_id, doc) VALUES ($1, $2)', [scope.platform_id, JSON.stringify(r)]);
      await tx.query(
        'DELETE FROM inbound WHERE platform_id = $1 AND seq <= (SELECT seq FROM inbound WHERE platform_id = $1 ORDER BY seq DESC OFFSET $2 LIMIT 1)',
        [scope.platform_id, maxPerPlatform],
      );
      tx.changed({ aggregate: 'inbound', platform_id: scope.platform_id, ids: [r.id] });
    });
  }
}
