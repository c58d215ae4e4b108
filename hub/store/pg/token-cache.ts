// The platform behind an API token, cached in the hub's memory (issue 20: a token lookup is a
// PostgreSQL round trip in front of every API request). A cached answer is served only while the
// change feed (LISTEN) is connected and has been since the answer was read: a platform write by
// any hub announces itself on the feed and clears the cache, and so does this process's own write
// (before it returns), a lost feed connection, and the `all` a re-connected feed announces. So a
// revoked token stops working on every hub as soon as the revocation's notification arrives; with
// the feed down nothing is cached and every request reads the store. `ttlMs` bounds the age of an
// answer for writes that bypass the hub (a manual UPDATE sends no notification).
// Wrong tokens are never cached (they are throttled per address by the API instead).
import type { Platform } from '../../model/entities.js';
import type { Stored } from '../port.js';

export const TOKEN_CACHE_TTL_MS = 5000;
export const TOKEN_CACHE_MAX = 1024;

/** What the cache needs of the change feed: the serial of its current connection, or null. */
export interface FeedState {
  /** Changes with every (re)connection and loss; null while not listening. */
  liveSerial(): number | null;
}

interface Entry {
  platform: Stored<Platform>;
  at: number;
  serial: number;
}

export class TokenCache {
  private readonly entries = new Map<string, Entry>();
  /** Bumped by every clear(): a lookup that began before it must not fill the cache. */
  private generation = 0;

  constructor(
    private readonly feed: FeedState,
    private readonly now: () => number = Date.now,
    private readonly ttlMs = TOKEN_CACHE_TTL_MS,
    private readonly max = TOKEN_CACHE_MAX,
  ) {}

  /** The cached platform (a copy: callers may change it), or undefined. */
  get(hash: string): Stored<Platform> | undefined {
    const e = this.entries.get(hash);
    if (!e) return undefined;
    const serial = this.feed.liveSerial();
    if (serial === null || serial !== e.serial || this.now() - e.at >= this.ttlMs) {
      this.entries.delete(hash);
      return undefined;
    }
    return structuredClone(e.platform);
  }

  /** A token for fill(): taken before the store is read. */
  begin(): number {
    return this.generation;
  }

  /** Keep what the store answered, unless the cache was cleared since begin() or the feed is down. */
  fill(hash: string, platform: Stored<Platform>, token: number): void {
    const serial = this.feed.liveSerial();
    if (token !== this.generation || serial === null) return;
    if (this.entries.size >= this.max) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(hash, { platform: structuredClone(platform), at: this.now(), serial });
  }

  clear(): void {
    this.generation++;
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
