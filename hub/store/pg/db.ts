// The PostgreSQL adapter's connection shell: a pool, transactions with the fencing check and the
// change notifications inside them, and the mapping of driver errors to the port's error classes.
import pg from 'pg';
import { type Change, StaleEpochError, StoreError, StoreUnavailableError } from '../port.js';

export const CHANNEL = 'gsmjobs_changes';
/** pg_notify payloads must stay under 8000 bytes. */
/** Bytes of a notification's payload we send at most (PostgreSQL's limit is 8000). */
export const MAX_PAYLOAD = 7000;

export type Row = Record<string, unknown>;
export interface Tx {
  query<R extends Row = Row>(sql: string, params?: unknown[]): Promise<R[]>;
  /** Announce a change; sent with pg_notify inside the transaction, delivered after COMMIT. */
  changed(c: Change): void;
  /** The epoch this transaction is fenced with (0 when not fenced). */
  readonly epoch: number;
}

const CONNECTION_CODES = new Set(['57P01', '57P02', '57P03', '08000', '08003', '08006', '08001', '08004', '53300']);

/** Driver errors to the port's classes: connection trouble is StoreUnavailableError. */
export function mapError(err: unknown): unknown {
  if (err instanceof StoreError) return err;
  const e = err as Error & { code?: string };
  if ((e.code && CONNECTION_CODES.has(e.code)) || /ECONNREFUSED|ECONNRESET|Connection terminated|timeout exceeded when trying to connect/i.test(e.message ?? '')) {
    return new StoreUnavailableError(`PostgreSQL unavailable: ${e.message}`, { cause: err });
  }
  return err;
}

export const isUniqueViolation = (err: unknown): boolean => (err as { code?: string }).code === '23505';

/** Merge the changes of one transaction: one notification per aggregate and platform. */
export function mergeChanges(changes: readonly Change[]): Change[] {
  const by = new Map<string, Change>();
  for (const c of changes) {
    const k = `${c.aggregate}\u0000${c.platform_id}`;
    const cur = by.get(k);
    if (!cur) by.set(k, { ...c, ids: c.ids ? [...c.ids] : null });
    else if (cur.ids && c.ids) cur.ids.push(...c.ids);
    else cur.ids = null;
  }
  for (const c of by.values()) {
    if (c.ids) c.ids = [...new Set(c.ids)];
    if (c.ids && JSON.stringify(c).length > MAX_PAYLOAD) c.ids = null;
  }
  return [...by.values()];
}

export class Db {
  constructor(
    readonly pool: pg.Pool,
    /** null: writes are not fenced. */
    readonly fence: number | null = null,
  ) {}

  withFence(epoch: number): Db {
    return new Db(this.pool, epoch);
  }

  /**
   * One statement outside a transaction. A `name` makes it a prepared statement on each pooled
   * connection (parsed and planned once there): for the hot point reads and writes, whose text
   * never changes under that name.
   */
  async read<R extends Row = Row>(sql: string, params: unknown[] = [], name?: string): Promise<R[]> {
    try {
      return (name === undefined ? await this.pool.query<R>(sql, params) : await this.pool.query<R>({ name, text: sql, values: params })).rows;
    } catch (err) {
      throw mapError(err);
    }
  }

  async tx<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw mapError(err);
    }
    const changes: Change[] = [];
    let broken: Error | undefined;
    const epoch = this.fence ?? 0;
    try {
      if (this.fence === null) await client.query('BEGIN');
      else {
        // One round trip: begin, then hold the leadership row shared until COMMIT, so a new
        // leader's epoch bump waits for this write and every later write sees the new epoch.
        const res = (await client.query("BEGIN; SELECT epoch FROM leadership WHERE name = 'hub' FOR SHARE")) as unknown as pg.QueryResult[];
        const current = Number(res[1]?.rows[0]?.epoch ?? 0);
        if (current !== this.fence) throw new StaleEpochError(this.fence, current);
      }
      const tx: Tx = {
        epoch,
        query: async <R extends Row>(sql: string, params?: unknown[]) => (await client.query<R>(sql, params)).rows,
        changed: (c) => changes.push(c),
      };
      const out = await fn(tx);
      const merged = mergeChanges(changes);
      // The notifications and COMMIT in one round trip (a simple query: literals escaped).
      const notify = merged.map((c) => `SELECT pg_notify('${CHANNEL}', ${pg.escapeLiteral(JSON.stringify(c))}); `).join('');
      await client.query(`${notify}COMMIT`);
      return out;
    } catch (err) {
      await client.query('ROLLBACK').catch((e: Error) => {
        broken = e;
      });
      throw mapError(err);
    } finally {
      client.release(broken);
    }
  }
}
