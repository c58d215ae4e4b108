// Web-form drafts in PostgreSQL (issue 17, table web_drafts of migration 0004): shared by every
// hub on the database. A put checks the version under a row lock (or the id's absence: the
// primary key refuses a second create), then trims the owner's oldest drafts in the same
// transaction.
import { dropBeyond } from '../drafts-query.js';
import { type DraftDoc, type DraftsRepo, type Scope, type Stored, VersionConflictError, type WriteOptions } from '../port.js';
import { checkVersion } from '../port-query.js';
import { type Db, isUniqueViolation } from './db.js';

interface Row {
  id: string;
  platform_id: string;
  owner: string;
  doc: unknown;
  updated_at: string;
  version: number;
}
const fromRow = (r: Row): Stored<DraftDoc> => ({ id: r.id, platform_id: r.platform_id, owner: r.owner, data: r.doc, updated_at: Number(r.updated_at), version: r.version });

export class PgDrafts implements DraftsRepo {
  constructor(private readonly db: Db) {}

  async get(scope: Scope, owner: string, id: string): Promise<Stored<DraftDoc> | undefined> {
    const rows = await this.db.read<Row & Record<string, unknown>>('SELECT * FROM web_drafts WHERE id = $1 AND platform_id = $2 AND owner = $3', [id, scope.platform_id, owner]);
    return rows[0] ? fromRow(rows[0]) : undefined;
  }

  async put(scope: Scope, d: DraftDoc, opts?: WriteOptions & { maxPerOwner?: number }): Promise<Stored<DraftDoc>> {
    try {
      return await this.db.tx(async (tx) => {
        const cur = (await tx.query<{ platform_id: string; owner: string; version: number }>('SELECT platform_id, owner, version FROM web_drafts WHERE id = $1 FOR UPDATE', [d.id]))[0];
        if (cur && (cur.platform_id !== scope.platform_id || cur.owner !== d.owner)) throw new VersionConflictError('draft', d.id, opts?.ifVersion ?? null, null);
        checkVersion('draft', d.id, cur?.version, opts);
        const version = (cur?.version ?? 0) + 1;
        const doc = JSON.stringify(d.data ?? null);
        if (cur) await tx.query('UPDATE web_drafts SET doc = $2, updated_at = $3, version = $4 WHERE id = $1', [d.id, doc, d.updated_at, version]);
        else await tx.query('INSERT INTO web_drafts (id, platform_id, owner, doc, updated_at, version) VALUES ($1, $2, $3, $4, $5, $6)', [d.id, scope.platform_id, d.owner, doc, d.updated_at, version]);
        if (opts?.maxPerOwner !== undefined) {
          const owned = await tx.query<{ id: string; updated_at: string }>('SELECT id, updated_at FROM web_drafts WHERE platform_id = $1 AND owner = $2', [scope.platform_id, d.owner]);
          const drop = dropBeyond(
            owned.map((r) => ({ id: r.id, updated_at: Number(r.updated_at) })),
            opts.maxPerOwner,
          );
          if (drop.length > 0) await tx.query('DELETE FROM web_drafts WHERE id = ANY($1::text[])', [drop]);
        }
        return { id: d.id, platform_id: scope.platform_id, owner: d.owner, data: d.data, updated_at: d.updated_at, version };
      });
    } catch (err) {
      // Two creates of one id at once: the primary key refuses the second.
      if (isUniqueViolation(err)) throw new VersionConflictError('draft', d.id, opts?.ifVersion ?? null, 1);
      throw err;
    }
  }

  async delete(scope: Scope, owner: string, id: string): Promise<boolean> {
    return this.db.tx(async (tx) => (await tx.query('DELETE FROM web_drafts WHERE id = $1 AND platform_id = $2 AND owner = $3 RETURNING id', [id, scope.platform_id, owner])).length > 0);
  }

  async expire(before: number): Promise<number> {
    return this.db.tx(async (tx) => (await tx.query('DELETE FROM web_drafts WHERE updated_at < $1 RETURNING id', [before])).length);
  }
}
