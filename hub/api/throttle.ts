// Backoff for guessers: per key (a client address, an MQTT username), the first `free` failures
// cost nothing, each further one doubles the wait from `baseMs` up to `ceilingMs`. A key that
// stays quiet for `forgetMs` is forgotten; at most `max` keys are tracked (oldest dropped first),
// so a flood of addresses cannot grow memory. Pure: the clock is injected.
export interface BackoffOptions {
  free: number;
  baseMs: number;
  ceilingMs: number;
  forgetMs: number;
  max: number;
}

export const AUTH_BACKOFF: BackoffOptions = { free: 5, baseMs: 1_000, ceilingMs: 60_000, forgetMs: 15 * 60_000, max: 10_000 };

interface Entry {
  failures: number;
  last: number;
}

export class Backoff {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly now: () => number,
    private readonly o: BackoffOptions = AUTH_BACKOFF,
  ) {}

  /** Milliseconds the key must wait before its next attempt counts (0: go ahead). */
  retryAfterMs(key: string): number {
    const e = this.live(key);
    if (!e || e.failures < this.o.free) return 0;
    return Math.max(0, e.last + this.delay(e.failures) - this.now());
  }

  /** Record a failed attempt. */
  fail(key: string): void {
    const e = this.live(key) ?? { failures: 0, last: 0 };
    e.failures++;
    e.last = this.now();
    this.entries.delete(key); // re-insert: the map's order is the age order
    this.entries.set(key, e);
    while (this.entries.size > this.o.max) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  /** A success clears the key. */
  succeed(key: string): void {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }

  private delay(failures: number): number {
    return Math.min(this.o.ceilingMs, this.o.baseMs * 2 ** Math.min(30, failures - this.o.free));
  }

  private live(key: string): Entry | undefined {
    const e = this.entries.get(key);
    if (e && this.now() - e.last > this.o.forgetMs) {
      this.entries.delete(key);
      return undefined;
    }
    return e;
  }
}

/** The peer address of a request served by @hono/node-server (undefined for in-process calls). */
export function peerAddress(env: unknown): string | undefined {
  return (env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming?.socket?.remoteAddress;
}
