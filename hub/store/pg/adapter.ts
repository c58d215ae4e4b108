// The PostgreSQL adapter of the store port (issue 20): `PgStore.open()` connects a pool, applies
// the migrations and returns the port; `fenced(epoch)` is a view sharing the pool whose writes
// check the leadership epoch; `subscribe()` LISTENs on a dedicated connection (re-connected after
// a loss, then announcing `all` since changes may have been missed).
import pg from 'pg';
import type { ControlDevice, Site } from '../../model/entities.js';
import type { StoredWebhook } from '../../model/remediation.js';
import type { Change, Leadership, StorePort, Unsubscribe } from '../port.js';
import { CHANNEL, Db, mapError } from './db.js';
import { PgPlatforms, PgScopedRepo } from './docs.js';
import { PgExecutions, PgInbound } from './executions.js';
import { PgJobs, PgRuntime } from './jobs.js';
import { PgLeadership } from './leadership.js';
import { migrate } from './migrate.js';
import { PgDeliveries, PgIdempotency, PgRemediation } from './remediation.js';
import { PgDrafts } from './drafts.js';
import { PgWebSessions } from './web-sessions.js';
import { type FeedState, TokenCache } from './token-cache.js';

export interface PgStoreOptions {
  connectionString: string;
  /** Pool size (default 10). */
  max?: number;
  /** Apply pending migrations on open (default true). */
  migrate?: boolean;
  /** How long a call waits for a connection before failing (default 5 s). */
  connectTimeoutMs?: number;
  /** Leadership connection check interval. */
  leaderCheckMs?: number;
  /** Server-side limit of one statement, ms (default: the server's). */
  statementTimeoutMs?: number;
  /** Errors of idle connections and of the change feed (logged by the caller). */
  onError?: (err: Error) => void;
}

class Feed implements FeedState {
  private client: pg.Client | null = null;
  /** Counts connections and losses; `listening` once LISTEN is in place on the current one. */
  private serial = 0;
  private listening = false;
  /** Cleared on every platform change, feed loss or resync (the API's token lookups). */
  readonly tokens = new TokenCache(this);
  private readonly listeners = new Set<(c: Change) => void>();
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly opts: PgStoreOptions,
    private readonly retryMs = 1000,
  ) {}

  async add(fn: (c: Change) => void): Promise<Unsubscribe> {
    this.listeners.add(fn);
    if (!this.client) await this.connect(false);
    return async () => {
      this.listeners.delete(fn);
      if (this.listeners.size === 0) await this.close();
    };
  }

  liveSerial(): number | null {
    return this.listening ? this.serial : null;
  }

  private emit(c: Change): void {
    if (c.aggregate === 'platforms' || c.aggregate === 'all') this.tokens.clear();
    for (const fn of this.listeners) {
      try {
        fn(c);
      } catch (err) {
        this.opts.onError?.(err as Error);
      }
    }
  }

  private async connect(resync: boolean): Promise<void> {
    this.closed = false;
    const client = new pg.Client({ connectionString: this.opts.connectionString, keepAlive: true, application_name: 'gsmjobs-feed' });
    const lost = (err?: Error) => {
      if (this.client !== client) return;
      this.client = null;
      this.stopped();
      if (err) this.opts.onError?.(err);
      client.end().catch(() => undefined);
      this.retry();
    };
    client.on('error', lost);
    client.on('end', () => lost());
    client.on('notification', (m) => {
      if (m.channel !== CHANNEL || !m.payload) return;
      try {
        this.emit(JSON.parse(m.payload) as Change);
      } catch (err) {
        this.opts.onError?.(err as Error);
      }
    });
    this.client = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
      if (this.client === client) {
        this.serial++;
        this.listening = true;
      }
    } catch (err) {
      if (!resync) {
        this.client = null;
        await client.end().catch(() => undefined);
        throw err;
      }
      lost(err as Error);
      return;
    }
    if (resync) this.emit({ aggregate: 'all', platform_id: '*', ids: null });
  }

  /** Not listening any more: nothing cached can be trusted. */
  private stopped(): void {
    this.serial++;
    this.listening = false;
    this.tokens.clear();
  }

  private retry(): void {
    if (this.closed || this.timer || this.listeners.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      if (!this.closed) void this.connect(true);
    }, this.retryMs);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const c = this.client;
    this.client = null;
    this.stopped();
    if (c) await c.end().catch(() => undefined);
  }
}

export class PgStore implements StorePort {
  readonly platforms: PgPlatforms;
  readonly sites: PgScopedRepo<Site>;
  readonly controlDevices: PgScopedRepo<ControlDevice>;
  readonly webhooks: PgScopedRepo<StoredWebhook>;
  readonly jobs: PgJobs;
  readonly runtime: PgRuntime;
  readonly executions: PgExecutions;
  readonly inbound: PgInbound;
  readonly remediation: PgRemediation;
  readonly deliveries: PgDeliveries;
  readonly idempotency: PgIdempotency;
  readonly drafts: PgDrafts;
  readonly webSessions: PgWebSessions;

  private constructor(
    private readonly db: Db,
    private readonly opts: PgStoreOptions,
    private readonly feed: Feed,
    /** The unfenced store owns the pool; fenced views share it. */
    private readonly owner: boolean,
  ) {
    this.platforms = new PgPlatforms(db, feed.tokens);
    this.sites = new PgScopedRepo<Site>(db, 'sites', 'sites');
    this.controlDevices = new PgScopedRepo<ControlDevice>(db, 'control_devices', 'control_devices');
    this.webhooks = new PgScopedRepo<StoredWebhook>(db, 'webhooks', 'webhooks');
    this.jobs = new PgJobs(db);
    this.runtime = new PgRuntime(db);
    this.executions = new PgExecutions(db);
    this.inbound = new PgInbound(db);
    this.remediation = new PgRemediation(db);
    this.deliveries = new PgDeliveries(db);
    this.idempotency = new PgIdempotency(db);
    this.drafts = new PgDrafts(db);
    this.webSessions = new PgWebSessions(db);
  }

  static async open(opts: PgStoreOptions): Promise<PgStore> {
    const store = PgStore.create(opts);
    try {
      if (opts.migrate !== false) await store.migrate();
    } catch (err) {
      await store.close().catch(() => undefined);
      throw err;
    }
    return store;
  }

  /**
   * The port without touching the server yet (a hub builds its parts before it starts); call
   * migrate() before the first use. Connections are made on demand.
   */
  static create(opts: PgStoreOptions): PgStore {
    const pool = new pg.Pool({
      connectionString: opts.connectionString,
      max: opts.max ?? 10,
      keepAlive: true,
      // Idle connections stay 5 min (node-pg's default is 10 s): a new one pays its connect, its
      // prepared statements and the triggers' compilation again, at some request's expense.
      idleTimeoutMillis: 300_000,
      application_name: 'gsmjobs-hub',
      // Never wait forever for a connection: a call fails with StoreUnavailableError instead.
      connectionTimeoutMillis: opts.connectTimeoutMs ?? 5000,
      ...(opts.statementTimeoutMs ? { statement_timeout: opts.statementTimeoutMs } : {}),
    });
    // An idle connection cut by the server (restart, pg_terminate_backend) must not crash the hub.
    pool.on('error', (err) => opts.onError?.(err));
    return new PgStore(new Db(pool), opts, new Feed(opts), true);
  }

  /** Apply the pending migrations (connection trouble: StoreUnavailableError). */
  async migrate(): Promise<number[]> {
    try {
      return await migrate(this.db.pool);
    } catch (err) {
      throw mapError(err);
    }
  }

  /** The pool, for tests and benchmarks that look under the port. */
  get pool(): pg.Pool {
    return this.db.pool;
  }

  fenced(epoch: number): PgStore {
    return new PgStore(this.db.withFence(epoch), this.opts, this.feed, false);
  }

  async epoch(): Promise<number> {
    return Number((await this.db.read<{ epoch: string }>("SELECT epoch FROM leadership WHERE name = 'hub'"))[0]?.epoch ?? 0);
  }

  leadership(holder: string): Leadership {
    return new PgLeadership({ connectionString: this.opts.connectionString, holder, checkMs: this.opts.leaderCheckMs });
  }

  subscribe(onChange: (c: Change) => void): Promise<Unsubscribe> {
    return this.feed.add(onChange);
  }

  async close(): Promise<void> {
    if (!this.owner) return;
    await this.feed.close();
    await this.db.pool.end();
  }
}
