// Plain documents of a platform in PostgreSQL (sites, control devices, webhooks) and the
// platforms themselves: a row per record with its JSONB document and version.
import type { Platform } from '../../model/entities.js';
import { type Aggregate, assertScope, type PlatformsRepo, type Scope, type ScopedRepo, ScopeError, type Stored, VersionConflictError, type WriteOptions } from '../port.js';
import { checkVersion, unversioned } from '../port-query.js';
import { type Db, isUniqueViolation, type Tx } from './db.js';
import type { TokenCache } from './token-cache.js';

export const stored = <T>(row: { doc: unknown; version: number }): Stored<T> => ({ ...(row.doc as T), version: row.version });

/**
 * Lock the row, check the version and the owner, then insert or update it. `key` columns
 * identify the row; `cols` are the derived columns written with the document.
 */
export async function writeDoc(
  tx: Tx,
  table: string,
  aggregate: Aggregate,
  scope: Scope | null,
  id: string,
  doc: object,
  opts: WriteOptions | undefined,
  cols: Record<string, unknown> = {},
): Promise<number> {
  const keyed = table === 'sites';
  const where = keyed ? 'platform_id = $1 AND id = $2' : 'id = $1';
  const params = keyed ? [scope?.platform_id, id] : [id];
  const cur = (await tx.query<{ version: number; platform_id?: string }>(`SELECT version${table === 'platforms' ? '' : ', platform_id'} FROM ${table} WHERE ${where} FOR UPDATE`, params))[0];
  if (scope && cur?.platform_id !== undefined && cur.platform_id !== scope.platform_id) throw new ScopeError(aggregate, id, scope, cur.platform_id);
  checkVersion(aggregate, id, cur?.version, opts);
  const version = (cur?.version ?? 0) + 1;
  const names = ['id', ...(table === 'platforms' ? [] : ['platform_id']), 'doc', 'version', ...Object.keys(cols)];
  const values = [id, ...(table === 'platforms' ? [] : [scope?.platform_id]), JSON.stringify(unversioned(doc)), version, ...Object.values(cols)];
  try {
    if (cur) {
      const sets = names.slice(1).map((n, i) => `${n} = $${i + 2}`);
      await tx.query(`UPDATE ${table} SET ${sets.join(', ')} WHERE ${keyed ? 'platform_id = $2 AND id = $1' : 'id = $1'}`, values);
    } else {
      await tx.query(`INSERT INTO ${table} (${names.join(', ')}) VALUES (${names.map((_, i) => `$${i + 1}`).join(', ')})`, values);
    }
  } catch (err) {
    // A concurrent create of the same id won the race.
    if (isUniqueViolation(err)) throw new VersionConflictError(aggregate, id, opts?.ifVersion ?? null, 1);
    throw err;
  }
  tx.changed({ aggregate, platform_id: scope?.platform_id ?? id, ids: [id] });
  return version;
}

export async function deleteDoc(tx: Tx, table: string, aggregate: Aggregate, scope: Scope, id: string, opts: WriteOptions | undefined): Promise<boolean> {
  const cur = (await tx.query<{ version: number }>(`SELECT version FROM ${table} WHERE platform_id = $1 AND id = $2 FOR UPDATE`, [scope.platform_id, id]))[0];
  if (opts?.ifVersion !== undefined && opts.ifVersion !== null) checkVersion(aggregate, id, cur?.version, opts);
  if (!cur) return false;
  await tx.query(`DELETE FROM ${table} WHERE platform_id = $1 AND id = $2`, [scope.platform_id, id]);
  tx.changed({ aggregate, platform_id: scope.platform_id, ids: [id] });
  return true;
}

export class PgScopedRepo<T extends { id: string; platform_id: string }> implements ScopedRepo<T> {
  constructor(
    private readonly db: Db,
    private readonly table: 'sites' | 'control_devices' | 'webhooks',
    private readonly aggregate: Aggregate,
  ) {}

  async get(scope: Scope, id: string): Promise<Stored<T> | undefined> {
    const row = (await this.db.read<{ doc: unknown; version: number }>(`SELECT doc, version FROM ${this.table} WHERE platform_id = $1 AND id = $2`, [scope.platform_id, id], `${this.table}_get`))[0];
    return row ? stored<T>(row) : undefined;
  }
  async list(scope: Scope): Promise<Array<Stored<T>>> {
    const rows = await this.db.read<{ doc: unknown; version: number }>(`SELECT doc, version FROM ${this.table} WHERE platform_id = $1 ORDER BY id`, [scope.platform_id]);
    return rows.map((r) => stored<T>(r));
  }
  async put(scope: Scope, rec: T, opts?: WriteOptions): Promise<Stored<T>> {
    assertScope(this.aggregate, scope, rec);
    const version = await this.db.tx((tx) => writeDoc(tx, this.table, this.aggregate, scope, rec.id, rec, opts));
    return { ...(unversioned(rec) as T), version };
  }
  delete(scope: Scope, id: string, opts?: WriteOptions): Promise<boolean> {
    return this.db.tx((tx) => deleteDoc(tx, this.table, this.aggregate, scope, id, opts));
  }
}

export class PgPlatforms implements PlatformsRepo {
  constructor(
    private readonly db: Db,
    /** The API's token lookups, cached while the change feed listens (token-cache.ts). */
    private readonly tokens?: TokenCache,
  ) {}

  async get(id: string): Promise<Stored<Platform> | undefined> {
    const row = (await this.db.read<{ doc: unknown; version: number }>('SELECT doc, version FROM platforms WHERE id = $1', [id]))[0];
    return row ? stored<Platform>(row) : undefined;
  }
  async list(): Promise<Array<Stored<Platform>>> {
    return (await this.db.read<{ doc: unknown; version: number }>('SELECT doc, version FROM platforms ORDER BY id')).map((r) => stored<Platform>(r));
  }
  async byTokenHash(hash: string): Promise<Stored<Platform> | undefined> {
    const cached = this.tokens?.get(hash);
    if (cached) return cached;
    const token = this.tokens?.begin();
    const row = (await this.db.read<{ doc: unknown; version: number }>('SELECT doc, version FROM platforms WHERE token_hashes @> ARRAY[$1::text] LIMIT 1', [hash], 'platform_by_token'))[0];
    const found = row ? stored<Platform>(row) : undefined;
    if (found && token !== undefined) this.tokens?.fill(hash, found, token);
    return found;
  }
  async put(p: Platform, opts?: WriteOptions): Promise<Stored<Platform>> {
    let version: number;
    try {
      version = await this.db.tx((tx) => writeDoc(tx, 'platforms', 'platforms', null, p.id, p, opts, { token_hashes: p.tokens.map((t) => t.hash) }));
    } finally {
      // Before the caller hears of it (a revoked token must fail at once on this hub), and also
      // when the outcome is unknown (the commit may have happened).
      this.tokens?.clear();
    }
    return { ...(unversioned(p) as Platform), version };
  }
}
