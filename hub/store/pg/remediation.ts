// Remediation state in PostgreSQL: per-platform settings, the guardrail state (one versioned
// JSONB row per platform: device history, SMS budget and queue, correlation, incidents), modem
// uptime marks per site, the webhook delivery log and the idempotency keys of API calls.
import type { RemediationSettings } from '../../model/remediation.js';
import { markUptime, type UptimeMark } from '../../model/uptime.js';
import type { DeliveryRecord } from '../../model/delivery.js';
import {
  assertScope,
  type DeliveriesRepo,
  emptyGuardrails,
  type GuardrailState,
  IdempotencyKeyTakenError,
  type IdempotencyRecord,
  type IdempotencyRepo,
  checkSettingsVersion,
  type RemediationRepo,
  type Scope,
  type SettingsWriteOptions,
  type Stored,
  VersionConflictError,
  type WriteOptions,
} from '../port.js';
import { checkVersion, unversioned } from '../port-query.js';
import { type Db, isUniqueViolation, type Tx } from './db.js';

export class PgRemediation implements RemediationRepo {
  constructor(private readonly db: Db) {}

  async settings(scope: Scope): Promise<RemediationSettings | null> {
    return (await this.db.read<{ doc: RemediationSettings }>('SELECT doc FROM remediation_settings WHERE platform_id = $1', [scope.platform_id]))[0]?.doc ?? null;
  }
  async putSettings(scope: Scope, s: RemediationSettings, opts?: SettingsWriteOptions): Promise<void> {
    await this.db.tx(async (tx) => {
      if (opts?.ifVersion !== undefined) {
        // Serialize the platform's settings writes (a row lock cannot hold a row not yet there).
        await tx.query("SELECT pg_advisory_xact_lock(hashtext('remediation_settings'), hashtext($1))", [scope.platform_id]);
        const cur = (await tx.query<{ doc: RemediationSettings }>('SELECT doc FROM remediation_settings WHERE platform_id = $1', [scope.platform_id]))[0]?.doc ?? null;
        checkSettingsVersion(scope.platform_id, cur, opts);
      }
      await tx.query('INSERT INTO remediation_settings (platform_id, doc) VALUES ($1, $2) ON CONFLICT (platform_id) DO UPDATE SET doc = EXCLUDED.doc', [scope.platform_id, JSON.stringify(s)]);
      tx.changed({ aggregate: 'remediation', platform_id: scope.platform_id, ids: ['settings'] });
    });
  }
  async state(scope: Scope): Promise<Stored<GuardrailState>> {
    const row = (await this.db.read<{ doc: GuardrailState; version: number }>('SELECT doc, version FROM guardrail_state WHERE platform_id = $1', [scope.platform_id]))[0];
    return row ? { ...row.doc, version: row.version } : { ...emptyGuardrails(), version: 0 };
  }
  async putState(scope: Scope, s: GuardrailState, opts?: WriteOptions): Promise<Stored<GuardrailState>> {
    const doc = unversioned(s);
    const version = await this.db.tx(async (tx) => {
      const cur = (await tx.query<{ version: number }>('SELECT version FROM guardrail_state WHERE platform_id = $1 FOR UPDATE', [scope.platform_id]))[0];
      // Never written reads as version 0, so `ifVersion: 0` is the first write.
      const opt = opts?.ifVersion === 0 ? { ifVersion: null } : opts;
      checkVersion('guardrail state', scope.platform_id, cur?.version, opt);
      const v = (cur?.version ?? 0) + 1;
      try {
        await tx.query(
          `INSERT INTO guardrail_state (platform_id, doc, version, epoch) VALUES ($1, $2, $3, $4)
           ON CONFLICT (platform_id) DO UPDATE SET doc = EXCLUDED.doc, version = EXCLUDED.version, epoch = EXCLUDED.epoch`,
          [scope.platform_id, JSON.stringify(doc), v, tx.epoch],
        );
      } catch (err) {
        if (isUniqueViolation(err)) throw new VersionConflictError('guardrail state', scope.platform_id, opts?.ifVersion ?? null, 1);
        throw err;
      }
      tx.changed({ aggregate: 'remediation', platform_id: scope.platform_id, ids: ['state'] });
      return v;
    });
    return { ...(doc as GuardrailState), version };
  }
  async uptimeMarks(scope: Scope, siteId: string): Promise<UptimeMark[]> {
    return (await this.db.read<{ marks: UptimeMark[] }>('SELECT marks FROM uptime WHERE platform_id = $1 AND site_id = $2', [scope.platform_id, siteId]))[0]?.marks ?? [];
  }
  async markUptime(scope: Scope, siteId: string, at: number, up: boolean): Promise<void> {
    await this.db.tx(async (tx) => {
      await tx.query("INSERT INTO uptime (platform_id, site_id, marks) VALUES ($1, $2, '[]') ON CONFLICT DO NOTHING", [scope.platform_id, siteId]);
      const before = (await tx.query<{ marks: UptimeMark[] }>('SELECT marks FROM uptime WHERE platform_id = $1 AND site_id = $2 FOR UPDATE', [scope.platform_id, siteId]))[0]?.marks ?? [];
      const next = markUptime(before, at, up);
      if (next === before) return;
      await tx.query('UPDATE uptime SET marks = $3 WHERE platform_id = $1 AND site_id = $2', [scope.platform_id, siteId, JSON.stringify(next)]);
    });
  }
}

export class PgDeliveries implements DeliveriesRepo {
  constructor(private readonly db: Db) {}

  async list(scope: Scope): Promise<DeliveryRecord[]> {
    return (await this.db.read<{ doc: DeliveryRecord }>('SELECT doc FROM deliveries WHERE platform_id = $1 ORDER BY seq', [scope.platform_id])).map((r) => r.doc);
  }
  async byKey(scope: Scope, key: string, endpointId: string): Promise<DeliveryRecord | undefined> {
    const rows = await this.db.read<{ doc: DeliveryRecord }>('SELECT doc FROM deliveries WHERE platform_id = $1 AND key = $2 AND endpoint_id = $3 ORDER BY seq LIMIT 1', [
      scope.platform_id,
      key,
      endpointId,
    ]);
    return rows[0]?.doc;
  }
  async due(scope: Scope, now: number): Promise<DeliveryRecord[]> {
    const rows = await this.db.read<{ doc: DeliveryRecord }>('SELECT doc FROM deliveries WHERE platform_id = $1 AND next_at IS NOT NULL AND next_at <= $2 ORDER BY next_at, seq', [
      scope.platform_id,
      now,
    ]);
    return rows.map((r) => r.doc);
  }
  async put(scope: Scope, rec: DeliveryRecord, max = 5000): Promise<void> {
    assertScope('deliveries', scope, rec);
    await this.db.tx(async (tx) => {
      const settled = rec.status === 'delivered' || rec.status === 'failed';
      await tx.query(
        `INSERT INTO deliveries (id, platform_id, key, endpoint_id, settled, next_at, doc) VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (id) DO UPDATE SET key = EXCLUDED.key, endpoint_id = EXCLUDED.endpoint_id, settled = EXCLUDED.settled, next_at = EXCLUDED.next_at, doc = EXCLUDED.doc
         WHERE deliveries.platform_id = EXCLUDED.platform_id`,
        [rec.id, scope.platform_id, rec.key, rec.endpoint_id, settled, rec.next_at, JSON.stringify(rec)],
      );
      const n = Number((await tx.query<{ n: string }>('SELECT count(*) AS n FROM deliveries WHERE platform_id = $1', [scope.platform_id]))[0]?.n ?? 0);
      if (n > max) {
        await tx.query('DELETE FROM deliveries WHERE id IN (SELECT id FROM deliveries WHERE platform_id = $1 AND settled ORDER BY seq LIMIT $2)', [scope.platform_id, n - max]);
      }
      tx.changed({ aggregate: 'deliveries', platform_id: scope.platform_id, ids: [rec.id] });
    });
  }
}

const INSERT_KEY = 'INSERT INTO idempotency (platform_id, key, request_hash, status, body, created_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING key';
const keyParams = (scope: Scope, rec: IdempotencyRecord) => [scope.platform_id, rec.key, rec.request_hash, rec.status, JSON.stringify(rec.body ?? null), rec.created_at];

/**
 * A create's record inside the create's transaction (JobWriteOptions.idempotency): first, so a
 * concurrent request with the same key waits here for this transaction, then finds the key taken.
 * Throws IdempotencyKeyTakenError (the caller's transaction rolls back) when the key is taken.
 */
export async function insertKey(tx: Tx, scope: Scope, rec: IdempotencyRecord): Promise<void> {
  if ((await tx.query(INSERT_KEY, keyParams(scope, rec))).length === 0) throw new IdempotencyKeyTakenError(scope.platform_id, rec.key);
}

export class PgIdempotency implements IdempotencyRepo {
  constructor(private readonly db: Db) {}

  async get(scope: Scope, key: string): Promise<IdempotencyRecord | undefined> {
    const row = (
      await this.db.read<{ key: string; request_hash: string; status: number; body: unknown; created_at: string }>(
        'SELECT key, request_hash, status, body, created_at FROM idempotency WHERE platform_id = $1 AND key = $2',
        [scope.platform_id, key],
        'idempotency_get',
      )
    )[0];
    return row ? { ...row, created_at: Number(row.created_at) } : undefined;
  }
  async put(scope: Scope, rec: IdempotencyRecord): Promise<IdempotencyRecord> {
    const inserted = await this.db.read<{ key: string }>(INSERT_KEY, keyParams(scope, rec), 'idempotency_put');
    if (inserted.length > 0) return rec;
    return (await this.get(scope, rec.key)) ?? rec;
  }
  async prune(before: number): Promise<number> {
    return (await this.db.read<{ key: string }>('DELETE FROM idempotency WHERE created_at < $1 RETURNING key', [before])).length;
  }
}
