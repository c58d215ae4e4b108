// Web sessions in PostgreSQL (issue 20, table web_sessions of migration 0005): one row per
// session keyed by the hash of its cookie id, shared by every hub on the database.
import type { WebSessionDoc, WebSessionsRepo } from '../port.js';
import type { Db } from './db.js';

export class PgWebSessions implements WebSessionsRepo {
  constructor(private readonly db: Db) {}

  async get(idHash: string): Promise<WebSessionDoc | undefined> {
    const rows = await this.db.read<{ doc: WebSessionDoc; expires_at: string }>('SELECT doc, expires_at FROM web_sessions WHERE id_hash = $1', [idHash], 'web_session_get');
    const r = rows[0];
    return r ? { ...r.doc, expires_at: Number(r.expires_at) } : undefined;
  }

  async put(idHash: string, s: WebSessionDoc): Promise<void> {
    // One statement, committed on its own: a session is not part of any other write.
    await this.db.read('INSERT INTO web_sessions (id_hash, doc, expires_at) VALUES ($1, $2, $3) ON CONFLICT (id_hash) DO UPDATE SET doc = EXCLUDED.doc, expires_at = EXCLUDED.expires_at', [idHash, JSON.stringify(s), s.expires_at], 'web_session_put');
  }

  async delete(idHash: string): Promise<boolean> {
    return (await this.db.read('DELETE FROM web_sessions WHERE id_hash = $1 RETURNING id_hash', [idHash])).length > 0;
  }

  async expire(now: number): Promise<number> {
    return (await this.db.read('DELETE FROM web_sessions WHERE expires_at <= $1 RETURNING id_hash', [now])).length;
  }
}
