// Rate-limited log of refused broker logins (issue 18): the first `detailed` refusals of each
// interval are logged one by one, with the username and client id cut to 64 printable
// characters (client ids may be 64 KiB); the rest are only counted, and one summary line per
// interval says how many were left out and why. A flood thus writes a few lines a minute.
import type { Logger } from '../common/log.js';

export interface AuthLogOptions {
  intervalMs: number;
  /** Refusals logged in detail per interval. */
  detailed: number;
}

export const AUTH_LOG: AuthLogOptions = { intervalMs: 60_000, detailed: 10 };

const MAX_SHOWN = 64;

/** A network-supplied string made safe to log: control characters escaped, cut to 64 characters. */
export function shown(value: string | null | undefined): string | null {
  if (value == null) return null;
  // eslint-disable-next-line no-control-regex
  const clean = value.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return clean.length > MAX_SHOWN ? `${clean.slice(0, MAX_SHOWN)}…(${value.length} chars)` : clean;
}

export interface Refusal {
  reason: string;
  username: string | null | undefined;
  clientId: string | null | undefined;
  address: string | undefined;
}

export class AuthLog {
  private logged = 0;
  private readonly suppressed = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly log: Logger,
    private readonly o: AuthLogOptions = AUTH_LOG,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.flush(), this.o.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.flush();
  }

  refused(r: Refusal): void {
    if (this.logged < this.o.detailed) {
      this.logged++;
      this.log.warn('mqtt login refused', { reason: r.reason, username: shown(r.username), client: shown(r.clientId), address: r.address ?? null });
      return;
    }
    this.suppressed.set(r.reason, (this.suppressed.get(r.reason) ?? 0) + 1);
  }

  /** End the interval: one summary line if refusals were left out. */
  flush(): void {
    if (this.suppressed.size > 0) {
      let total = 0;
      for (const n of this.suppressed.values()) total += n;
      this.log.warn('mqtt logins refused, not logged one by one', { more: total, by_reason: Object.fromEntries(this.suppressed), interval_s: this.o.intervalMs / 1000 });
    }
    this.suppressed.clear();
    this.logged = 0;
  }
}
