// Schema migrations of the PostgreSQL adapter: hub/store/pg/migrations/NNNN_name.sql applied in
// order, all pending ones in one transaction, recorded in schema_migrations with a checksum.
// Hubs starting together serialize on a transaction-level advisory lock. A migration file that
// changed after it was applied, or a database newer than this hub, is refused.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type pg from 'pg';
import { StoreError } from '../port.js';
import { EMBEDDED_MIGRATIONS } from './migrations-embedded.js';

export const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));
/** Arbitrary constant key of the migration lock (pg_advisory_xact_lock). */
const MIGRATION_LOCK = 0x67736d6a;

export interface MigrationFile {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

export class MigrationError extends StoreError {
  override name = 'MigrationError';
}

/**
 * The migrations in order; names must be NNNN_words.sql and numbered 1, 2, 3... Without a
 * directory: the ones embedded in the bundle, else the files beside this module.
 */
export function readMigrations(dir?: string): MigrationFile[] {
  const texts =
    dir === undefined && EMBEDDED_MIGRATIONS
      ? [...EMBEDDED_MIGRATIONS]
      : readdirSync(dir ?? MIGRATIONS_DIR)
          .filter((f) => f.endsWith('.sql'))
          .sort()
          .map((f) => ({ name: f, sql: readFileSync(join(dir ?? MIGRATIONS_DIR, f), 'utf8') }));
  return texts.map(({ name: f, sql }, i) => {
    const m = /^(\d{4})_[a-z0-9_]+\.sql$/.exec(f);
    if (!m || Number(m[1]) !== i + 1) throw new MigrationError(`migration file ${f}: expected ${String(i + 1).padStart(4, '0')}_<name>.sql`);
    return { version: i + 1, name: f, sql, checksum: createHash('sha256').update(sql).digest('hex') };
  });
}

/** Apply what is pending; returns the versions applied. */
export async function migrate(pool: pg.Pool, files: readonly MigrationFile[] = readMigrations()): Promise<number[]> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const applied = (await client.query<{ version: number; name: string; checksum: string }>('SELECT version, name, checksum FROM schema_migrations ORDER BY version')).rows;
    for (const a of applied) {
      const f = files[a.version - 1];
      if (!f) throw new MigrationError(`database schema version ${a.version} (${a.name}) is newer than this hub understands (${files.length})`);
      if (f.checksum !== a.checksum) throw new MigrationError(`migration ${a.name} changed after it was applied; add a new migration instead`);
    }
    const done: number[] = [];
    for (const f of files.slice(applied.length)) {
      await client.query(f.sql);
      await client.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [f.version, f.name, f.checksum]);
      done.push(f.version);
    }
    await client.query('COMMIT');
    return done;
  } catch (err) {
    await client.query('ROLLBACK').catch((e: Error) => {
      broken = e;
    });
    throw err;
  } finally {
    client.release(broken);
  }
}
