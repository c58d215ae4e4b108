// This hub's bid for leadership over the store port (issue 20): every hub bids; the one holding
// the lease runs the leader's duties (poller, re-sends, playbooks, webhooks, housekeeping), the
// others serve the API, the web form and /metrics and bid again every `retryMs`. A lost lease
// (connection gone, the store restarted, a write refused as stale) stops the duties at once; the
// hub then bids like any follower. Lead and follow transitions never overlap. A bid that fails
// (the store unreachable) marks the store down for /readyz until a later bid succeeds.
import type { Logger } from '../common/log.js';
import type { Lease, Leadership } from '../store/port.js';

export interface LeaderStatus {
  leader: boolean;
  /** The lease's epoch while leading; the store's last seen epoch while following (0: unknown). */
  epoch: number;
  holder: string;
  /** false while the last bid or epoch read failed (the store unreachable). */
  storeUp: boolean;
  storeError: string | null;
  /** Epoch ms of the last change of `leader`. */
  since: number;
}

export interface ElectorOptions {
  leadership: Leadership;
  holder: string;
  /** The store's current epoch (followers read it at each bid, so /readyz shows it). */
  epoch: () => Promise<number>;
  /** Between bids of a follower, and after a lost lease (default 2000). */
  retryMs?: number;
  now: () => number;
  log: Logger;
  /** Start the leader's duties under this lease; a throw gives the lease back (bid again later). */
  lead: (lease: Lease) => Promise<void>;
  /** Stop them (idempotent). */
  follow: (reason: string) => Promise<void>;
  /** Every change of leadership (metrics). */
  onChange?: (s: LeaderStatus) => void;
}

export class LeaderElector {
  private status: LeaderStatus;
  private timer: NodeJS.Timeout | null = null;
  private stopped = true;
  private lease: Lease | null = null;
  /** Lead/follow transitions, one after the other. */
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly o: ElectorOptions) {
    this.status = { leader: false, epoch: 0, holder: o.holder, storeUp: true, storeError: null, since: o.now() };
  }

  get state(): LeaderStatus {
    return { ...this.status };
  }

  /** Bid once (resolves after the first bid and, when it won, after the duties started), then keep bidding. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.bid();
  }

  /** Stop bidding, stop the duties, give the lease back. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.chain;
    await this.step(() => this.demote('stopping'));
    await this.o.leadership.release().catch((err: Error) => this.o.log.warn('leadership release failed', { error: err.message }));
  }

  /**
   * A write was refused as stale (another hub took over while this one still acted): give the
   * lease up now rather than at the next connection check.
   */
  deposed(reason: string): void {
    if (!this.status.leader) return;
    this.o.log.warn('deposed: this hub no longer leads', { reason });
    void this.o.leadership.release().catch(() => undefined);
  }

  private step(fn: () => Promise<void>): Promise<void> {
    const p = this.chain.then(fn);
    this.chain = p.catch(() => undefined);
    return p;
  }

  private schedule(ms = this.o.retryMs ?? 2000): void {
    if (this.stopped || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.bid();
    }, ms);
    this.timer.unref();
  }

  private bid(): Promise<void> {
    return this.step(async () => {
      if (this.stopped || this.lease) return;
      let lease: Lease | null;
      try {
        lease = await this.o.leadership.tryAcquire();
        if (!lease) this.status.epoch = await this.o.epoch();
        this.storeUp(true, null);
      } catch (err) {
        this.storeUp(false, (err as Error).message);
        this.schedule();
        return;
      }
      if (!lease) return this.schedule();
      await this.promote(lease);
    });
  }

  private async promote(lease: Lease): Promise<void> {
    this.lease = lease;
    this.set({ leader: true, epoch: lease.epoch });
    this.o.log.info('leading', { holder: this.o.holder, epoch: lease.epoch });
    void lease.lost.then(() => this.step(() => this.demote('lease lost')).then(() => this.schedule()));
    try {
      await this.o.lead(lease);
    } catch (err) {
      this.o.log.error('leader start failed; giving the lease back', { error: (err as Error).message });
      // The lease's `lost` then demotes (queued after this step) and the next bid follows.
      await this.o.leadership.release().catch(() => undefined);
    }
  }

  private async demote(reason: string): Promise<void> {
    if (!this.lease) return;
    this.lease = null;
    this.set({ leader: false });
    this.o.log.warn('following', { holder: this.o.holder, reason });
    try {
      await this.o.follow(reason);
    } catch (err) {
      this.o.log.error('leader duties did not stop cleanly', { error: (err as Error).message });
    }
  }

  private set(p: Partial<LeaderStatus>): void {
    this.status = { ...this.status, ...p, since: p.leader !== undefined && p.leader !== this.status.leader ? this.o.now() : this.status.since };
    this.o.onChange?.(this.state);
  }

  private storeUp(up: boolean, error: string | null): void {
    if (up !== this.status.storeUp) {
      if (up) this.o.log.info('store reachable again');
      else this.o.log.error('store unreachable', { error });
    }
    this.status.storeUp = up;
    this.status.storeError = error;
  }
}
