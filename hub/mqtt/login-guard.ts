// What the embedded broker decides before it spends a password hash on a CONNECT (issue 18):
// - backoff per client address and per username (the API's `Backoff`: 5 free failures, then
//   1 s doubling up to 60 s), applied alike to known and unknown usernames, so throttling says
//   nothing about which usernames exist; an attempt refused as throttled counts against its
//   address too;
// - an (address, username) pair that logged in before is judged only by its own failures, so a
//   flood of wrong passwords for a site's username from elsewhere does not lock the real agent out;
// - at most `concurrency` hashes at once (the rest of libuv's pool stays free for the store's
//   file writes and DNS) and at most `queue` waiting; beyond that the CONNECT is refused as busy;
//   pairs that logged in before wait in a line of their own, served first, so a flood that
//   fills the line does not keep a known agent out;
// - a budget of hashing time spent on FAILED verifications: on average at most `hashShare` of
//   one core (a token bucket of milliseconds, `hashBurstMs` deep), so a flood of unknown
//   usernames from ever new addresses cannot take a core from the event loop; successful logins
//   are not charged (an attacker cannot make one, and the reconnect storm after a restart is all
//   successes), and pairs that logged in before are exempt, so agents still get in;
// - what the broker may decide before reading a byte of a new connection (`atAccept`): an
//   address in backoff, or any new address while no hash could start anyway, is dropped at once;
//   an address from which someone logged in before never is (the hub's own client, agents
//   behind a NAT shared with an attacker), it is judged after its CONNECT like before;
// - the pairs that logged in are given out (`knownLogins`) and taken back (`restoreKnown`), so
//   the broker keeps them across a restart (known-logins.ts) and agents are not locked out by a
//   flood that is still going when the hub comes back.
// Pure apart from the injected clock; the broker calls it around each verification.
import { availableParallelism } from 'node:os';
import { AUTH_BACKOFF, Backoff, type BackoffOptions } from '../api/throttle.js';
import { BROKER_LIMITS } from './limits.js';

export interface LoginGuardOptions {
  backoff: BackoffOptions;
  /** Password hashes running at once (strangers on the broker's nice-19 worker, known agents on libuv's pool of 4). */
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
  hashShare: BROKER_LIMITS.hash_share,
  hashBurstMs: BROKER_LIMITS.hash_burst_ms,
};

/** An (address, username) pair that logged in: address as `addressKey` gives it. */
export interface KnownLogin {
  address: string;
  username: string;
  /** When it last logged in (epoch ms). */
  at: number;
}

export type Admission = { ok: true } | { ok: false; reason: 'throttled'; retryAfterMs: number };

/** Why a new connection is dropped before its CONNECT is read, or null to read it. */
export type AcceptVerdict = 'throttled' | 'busy' | null;

export class LoginGuard {
  private readonly byAddress: Backoff;
  private readonly byUsername: Backoff;
  private readonly byPair: Backoff;
  private readonly known = new Map<string, number>();
  /** Addresses with a successful login, by how many known pairs name them. */
  private readonly knownAddresses = new Map<string, number>();
  /** Addresses the hub's own client logged in from (a handful; never forgotten). */
  private readonly trusted = new Set<string>();
  private running = 0;
  private budgetMs: number;
  /** Recent duration of one check (ms), held from the budget while a check runs. */
  private typicalMs = 50;
  private budgetAt: number;
  private readonly waiting: Array<() => void> = [];
  /** Exempt checks (pairs that logged in before) waiting: served first, a line of their own. */
  private readonly priority: Array<() => void> = [];

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

  /**
   * May a new connection from this address be read? Decided in O(1) from the address alone:
   * addresses someone logged in from are always read; others are dropped while the address
   * backs off, or while no hash could start (budget spent or waiting line full).
   */
  atAccept(address: string): AcceptVerdict {
    if (this.isKnownAddress(address)) return null;
    if (this.byAddress.retryAfterMs(address) > 0) return 'throttled';
    if (this.saturated()) return 'busy';
    return null;
  }

  /** No new (non-exempt) verification could start now. */
  saturated(): boolean {
    return this.budget() <= 0 || (this.running >= this.o.concurrency && this.waiting.length >= this.o.queue);
  }

  /** Did anyone log in from this address (a site agent, or the hub itself via `trustAddress`)? */
  isKnownAddress(address: string): boolean {
    return this.knownAddresses.has(address) || this.trusted.has(address);
  }

  /** A login that needs no guard (the hub's own client) succeeded from this address. */
  trustAddress(address: string): void {
    if (this.trusted.size < 16) this.trusted.add(address);
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

  /**
   * An attempt refused as throttled (its username backs off): it counts against its address, so
   * an address that keeps trying a throttled username soon backs off itself and is then dropped
   * before its CONNECT is read. A pair that logged in before is judged by its own failures only.
   */
  throttled(address: string, user: string): void {
    if (!this.known.has(pairKey(address, usernameKey(user)))) this.byAddress.fail(address);
  }

  /** A login succeeded; true when the pair is new (the list of known pairs changed). */
  succeeded(address: string, user: string): boolean {
    const pair = pairKey(address, usernameKey(user));
    this.byPair.succeed(pair);
    const fresh = !this.known.has(pair);
    this.remember(pair, address, this.now());
    return fresh;
  }

  /** The pairs that logged in, oldest first, with when they last did (epoch ms of `now`). */
  knownLogins(): KnownLogin[] {
    return [...this.known].map(([pair, at]) => {
      const cut = pair.indexOf('\u0000');
      return { address: pair.slice(0, cut), username: pair.slice(cut + 1), at };
    });
  }

  /** Take back pairs of an earlier run (`knownLogins()` as saved): known as if they had logged in then. */
  restoreKnown(list: readonly KnownLogin[]): void {
    for (const k of [...list].sort((a, b) => a.at - b.at)) this.remember(pairKey(k.address, usernameKey(k.username)), k.address, k.at);
  }

  private remember(pair: string, address: string, at: number): void {
    if (this.known.delete(pair)) this.forgetAddress(address);
    this.known.set(pair, at);
    this.knownAddresses.set(address, (this.knownAddresses.get(address) ?? 0) + 1);
    while (this.known.size > this.o.knownPairs) {
      const oldest = this.known.keys().next().value;
      if (oldest === undefined) break;
      this.known.delete(oldest);
      this.forgetAddress(oldest.slice(0, oldest.indexOf('\u0000')));
    }
  }

  private forgetAddress(address: string): void {
    const n = this.knownAddresses.get(address) ?? 0;
    if (n <= 1) this.knownAddresses.delete(address);
    else this.knownAddresses.set(address, n - 1);
  }

  /**
   * Run the verification `work` when a hashing slot is free; its time is charged to the budget
   * when it fails (false). Resolves to null without running it when the budget is spent (unless
   * `exempt`; checked on arrival and again when the slot is there) or the waiting line is full, and to 'throttled' when `stillAdmitted` says no once
   * the slot is there (the address or username went into backoff while it waited).
   */
  async verify(work: () => Promise<boolean>, exempt = false, stillAdmitted: () => boolean = () => true): Promise<boolean | 'throttled' | null> {
    if (this.budget() <= 0 && !exempt) return null;
    if (this.running >= this.o.concurrency) {
      const line = exempt ? this.priority : this.waiting;
      if (line.length >= this.o.queue) return null;
      await new Promise<void>((resolve) => line.push(resolve));
    } else this.running++;
    let started = -1;
    let reserved = 0;
    let ok = true;
    try {
      if (!stillAdmitted()) return 'throttled';
      // Checked again once the slot is there: the waiting line cannot overdraw the budget.
      if (!exempt && this.budget() <= 0) return null;
      // A running check holds its typical cost, so `saturated()` turns true as it starts, not
      // only when it has failed: new addresses are then dropped unread instead of queued.
      reserved = exempt ? 0 : this.typicalMs;
      this.budgetMs -= reserved;
      started = this.now();
      ok = await work();
      return ok;
    } finally {
      if (started >= 0) {
        const took = this.now() - started;
        this.budget();
        this.budgetMs = Math.min(this.o.hashBurstMs, this.budgetMs + reserved - (ok ? 0 : took));
        this.typicalMs = 0.8 * this.typicalMs + 0.2 * took;
      }
      const next = this.priority.shift() ?? this.waiting.shift();
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
