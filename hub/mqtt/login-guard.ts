// What the embedded broker decides before it spends a password hash on a CONNECT (issue 18):
// - backoff per client address and per username (the API's `Backoff`: 5 free failures, then
//   1 s doubling up to 60 s), applied alike to known and unknown usernames, so throttling says
//   nothing about which usernames exist;
// - an (address, username) pair that logged in before is judged only by its own failures, so a
//   flood of wrong passwords for a site's username from elsewhere does not lock the real agent out;
// - at most `concurrency` hashes at once (the rest of libuv's pool stays free for the store's
//   file writes and DNS) and at most `queue` waiting; beyond that the CONNECT is refused as busy;
// - a budget of hashing time: on average at most `hashShare` of one core (a token bucket of
//   milliseconds, `hashBurstMs` deep for the reconnect storm after a restart), so a flood of
//   unknown usernames from ever new addresses cannot take a whole core from the event loop;
//   pairs that logged in before are exempt (an attacker has none), so agents still get in.
// Pure apart from the injected clock; the broker calls it around each verification.
import { availableParallelism } from 'node:os';
import { AUTH_BACKOFF, Backoff, type BackoffOptions } from '../api/throttle.js';

export interface LoginGuardOptions {
  backoff: BackoffOptions;
  /** Password hashes running at once (scrypt on libuv's pool of 4 threads). */
  concurrency: number;
  /** Verifications waiting for a slot; beyond this a CONNECT is refused as busy. */
  queue: number;
  /** (address, username) pairs remembered after a successful login. */
  knownPairs: number;
  /** Average share of one core spent hashing (0.4: 400 ms of scrypt per second). */
  hashShare: number;
  /** Hashing time that may be spent at once above the average (ms). */
  hashBurstMs: number;
}

export const LOGIN_GUARD: LoginGuardOptions = {
  backoff: AUTH_BACKOFF,
  // One core for the hub's event loop, the rest for hashing, never more than 2 of libuv's 4 threads.
  concurrency: Math.max(1, Math.min(2, availableParallelism() - 1)),
  queue: 32,
  knownPairs: 10_000,
  hashShare: 0.5,
  hashBurstMs: 10_000,
};

export type Admission = { ok: true } | { ok: false; reason: 'throttled'; retryAfterMs: number };

export class LoginGuard {
  private readonly byAddress: Backoff;
  private readonly byUsername: Backoff;
  private readonly byPair: Backoff;
  private readonly known = new Map<string, number>();
  private running = 0;
  private budgetMs: number;
  private budgetAt: number;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly now: () => number,
    private readonly o: LoginGuardOptions = LOGIN_GUARD,
  ) {
    this.byAddress = new Backoff(now, o.backoff);
    this.byUsername = new Backoff(now, o.backoff);
    this.byPair = new Backoff(now, o.backoff);
    this.budgetMs = o.hashBurstMs;
    this.budgetAt = now();
  }

  /** May this attempt be verified now? */
  admit(address: string, user: string): Admission {
    const username = usernameKey(user);
    const pair = pairKey(address, username);
    const wait = this.known.has(pair)
      ? this.byPair.retryAfterMs(pair)
      : Math.max(this.byAddress.retryAfterMs(address), this.byUsername.retryAfterMs(username));
    return wait > 0 ? { ok: false, reason: 'throttled', retryAfterMs: wait } : { ok: true };
  }

  /** Did this (address, username) log in before? */
  isKnown(address: string, user: string): boolean {
    return this.known.has(pairKey(address, usernameKey(user)));
  }

  failed(address: string, user: string): void {
    const username = usernameKey(user);
    const pair = pairKey(address, username);
    if (this.known.has(pair)) {
      this.byPair.fail(pair);
      return;
    }
    this.byAddress.fail(address);
    this.byUsername.fail(username);
  }

  succeeded(address: string, user: string): void {
    const pair = pairKey(address, usernameKey(user));
    this.byPair.succeed(pair);
    this.known.delete(pair);
    this.known.set(pair, this.now());
    while (this.known.size > this.o.knownPairs) {
      const oldest = this.known.keys().next().value;
      if (oldest === undefined) break;
      this.known.delete(oldest);
    }
  }

  /**
   * Run `work` when a hashing slot is free. Resolves to null (without running it) when the
   * waiting line is full.
   */
  async withSlot<T>(work: () => Promise<T>, exempt = false): Promise<T | null> {
    if (this.budget() <= 0 && !exempt) return null;
    if (this.running >= this.o.concurrency) {
      if (this.waiting.length >= this.o.queue) return null;
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else this.running++;
    const started = this.now();
    try {
      return await work();
    } finally {
      this.budget();
      this.budgetMs -= this.now() - started;
      const next = this.waiting.shift();
      if (next) next(); // the slot passes to the next in line
      else this.running--;
    }
  }

  /** Hashing milliseconds left, refilled at hashShare per elapsed millisecond up to hashBurstMs. */
  private budget(): number {
    const t = this.now();
    this.budgetMs = Math.min(this.o.hashBurstMs, this.budgetMs + (t - this.budgetAt) * this.o.hashShare);
    this.budgetAt = t;
    return this.budgetMs;
  }

  get inFlight(): number {
    return this.running;
  }
}

function pairKey(address: string, username: string): string {
  return `${address}\u0000${username}`;
}

/** Usernames come from the network (up to 64 KiB): keys keep at most 256 characters. */
export function usernameKey(username: string): string {
  return username.length > 256 ? username.slice(0, 256) : username;
}

/**
 * The backoff key of a peer address: IPv4 as is (also when mapped into IPv6), IPv6 by its /64,
 * which one subscriber usually holds whole.
 */
export function addressKey(address: string | undefined): string {
  if (!address) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1] as string;
  if (!address.includes(':')) return address;
  const [head = '', tail = ''] = address.split('::');
  const groups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const full = address.includes('::') ? [...groups, ...Array<string>(8 - groups.length - tailGroups.length).fill('0'), ...tailGroups] : groups;
  return `${full.slice(0, 4).map((g) => g.toLowerCase().replace(/^0+(?=.)/, '')).join(':')}::/64`;
}
