// Leadership among hubs sharing one PostgreSQL database: a session advisory lock held on a
// dedicated connection (pg_try_advisory_lock). Whoever takes it bumps the fencing epoch in the
// `leadership` row; the bump waits for in-flight fenced writes of the previous leader (they hold
// the row FOR SHARE), and every later write of that leader is refused. The lease is lost when the
// connection ends or errors, or a periodic check fails; PostgreSQL frees the lock when the
// connection dies, so another hub can take over.
import pg from 'pg';
import type { Lease, Leadership } from '../port.js';
import { mapError } from './db.js';

/** Arbitrary constant key of the leadership lock (per database). */
export const LEADER_LOCK = 0x67736d6c;

export interface PgLeadershipOptions {
  connectionString: string;
  holder: string;
  /** How often the held connection is checked (a silent network loss is noticed this late). */
  checkMs?: number;
  lockKey?: number;
  /** Logs why the lease ended. */
  onLost?: (reason: string) => void;
}

export class PgLeadership implements Leadership {
  private timer: NodeJS.Timeout | null = null;
  private current: { lease: Lease; lose: (reason: string) => void } | null = null;
  private ending: Promise<void> = Promise.resolve();

  constructor(private readonly opts: PgLeadershipOptions) {}

  async tryAcquire(): Promise<Lease | null> {
    if (this.current) return this.current.lease;
    const checkMs = this.opts.checkMs ?? 2000;
    const client = new pg.Client({
      connectionString: this.opts.connectionString,
      keepAlive: true,
      keepAliveInitialDelayMillis: 5000,
      connectionTimeoutMillis: 10_000,
      query_timeout: Math.max(checkMs, 5000),
      application_name: `gsmjobs-leader ${this.opts.holder}`.slice(0, 63),
    });
    let early: Error | null = null;
    client.on('error', (err) => {
      early = err;
      this.current?.lose(`connection error: ${err.message}`);
    });
    try {
      await client.connect();
      // The server notices a vanished leader host within ~15 s (not the 2 h kernel default) and
      // then frees the lock; a connection that only died on our side is caught by the check.
      await client.query('SET tcp_keepalives_idle = 5; SET tcp_keepalives_interval = 2; SET tcp_keepalives_count = 5');
      const got = (await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [this.opts.lockKey ?? LEADER_LOCK])).rows[0]?.ok === true;
      if (!got) {
        await client.end();
        return null;
      }
      const row = (await client.query<{ epoch: string }>("UPDATE leadership SET epoch = epoch + 1, holder = $1, acquired_at = now() WHERE name = 'hub' RETURNING epoch", [this.opts.holder])).rows[0];
      if (!row) throw new Error('the leadership row is missing (migrations not applied?)');
      if (early) throw early;
      let resolve!: () => void;
      const lost = new Promise<void>((r) => (resolve = r));
      const lease: Lease = { epoch: Number(row.epoch), lost };
      this.current = {
        lease,
        lose: (reason) => {
          if (this.current?.lease !== lease) return;
          this.current = null;
          this.stopTimer();
          this.ending = client.end().catch(() => undefined);
          this.opts.onLost?.(reason);
          resolve();
        },
      };
      client.on('end', () => this.current?.lose('connection ended'));
      this.timer = setInterval(() => {
        client.query('SELECT 1').catch((err: Error) => this.current?.lose(`check failed: ${err.message}`));
      }, checkMs);
      this.timer.unref();
      return lease;
    } catch (err) {
      await client.end().catch(() => undefined);
      throw mapError(err);
    }
  }

  /** Give leadership up (the connection closes, which frees the lock). */
  async release(): Promise<void> {
    this.current?.lose('released');
    await this.ending;
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
