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
  /** The dedicated connection, kept between a follower's bids (not one new connection per bid). */
  private client: pg.Client | null = null;

  constructor(private readonly opts: PgLeadershipOptions) {}

  private get checkMs(): number {
    return this.opts.checkMs ?? 2000;
  }

  /** The bidding connection: the one kept from the last bid, else a new one. */
  private async connection(): Promise<pg.Client> {
    if (this.client) return this.client;
    const client = new pg.Client({
      connectionString: this.opts.connectionString,
      keepAlive: true,
      keepAliveInitialDelayMillis: 5000,
      connectionTimeoutMillis: 10_000,
      query_timeout: Math.max(this.checkMs, 5000),
      application_name: `gsmjobs-leader ${this.opts.holder}`.slice(0, 63),
    });
    const gone = (reason: string) => {
      if (this.client !== client) return;
      this.client = null;
      this.current?.lose(reason);
      client.end().catch(() => undefined);
    };
    client.on('error', (err) => gone(`connection error: ${err.message}`));
    client.on('end', () => gone('connection ended'));
    try {
      await client.connect();
      // The server notices a vanished leader host within ~15 s (not the 2 h kernel default) and
      // then frees the lock; a connection that only died on our side is caught by the check.
      await client.query('SET tcp_keepalives_idle = 5; SET tcp_keepalives_interval = 2; SET tcp_keepalives_count = 5');
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    this.client = client;
    return client;
  }

  /** Close the kept connection (a failed query leaves it in an unknown state). */
  private drop(client: pg.Client): Promise<void> {
    if (this.client === client) this.client = null;
    return client.end().catch(() => undefined);
  }

  async tryAcquire(): Promise<Lease | null> {
    if (this.current) return this.current.lease;
    let client: pg.Client | null = null;
    try {
      client = await this.connection();
      const got = (await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [this.opts.lockKey ?? LEADER_LOCK])).rows[0]?.ok === true;
      // Another hub leads: the connection stays open, idle, for the next bid.
      if (!got) return null;
      const row = (await client.query<{ epoch: string }>("UPDATE leadership SET epoch = epoch + 1, holder = $1, acquired_at = now() WHERE name = 'hub' RETURNING epoch", [this.opts.holder])).rows[0];
      if (!row) throw new Error('the leadership row is missing (migrations not applied?)');
      if (this.client !== client) throw new Error('the leadership connection was lost while acquiring');
      const held = client;
      let resolve!: () => void;
      const lost = new Promise<void>((r) => (resolve = r));
      const lease: Lease = { epoch: Number(row.epoch), lost };
      this.current = {
        lease,
        lose: (reason) => {
          if (this.current?.lease !== lease) return;
          this.current = null;
          this.stopTimer();
          // Closing the connection frees the lock; the next bid opens a new one.
          this.ending = this.drop(held);
          this.opts.onLost?.(reason);
          resolve();
        },
      };
      this.timer = setInterval(() => {
        held.query('SELECT 1').catch((err: Error) => this.current?.lose(`check failed: ${err.message}`));
      }, this.checkMs);
      this.timer.unref();
      return lease;
    } catch (err) {
      if (client) await this.drop(client);
      throw mapError(err);
    }
  }

  /** Give leadership up (the connection closes, which frees the lock); a follower closes its idle one. */
  async release(): Promise<void> {
    this.current?.lose('released');
    await this.ending;
    if (this.client) await this.drop(this.client);
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
