// Pacing: at least `perDestinationMs` between two messages to one number (control devices
// drop commands that come too fast) and `perModemMs` between two messages through the modem
// (operators block SIMs that flood). Pure, time passed in.
export class Pacer {
  private modemLast = -Infinity;
  private readonly destLast = new Map<string, number>();

  constructor(
    private readonly perDestinationMs: number,
    private readonly perModemMs: number,
  ) {}

  /** Earliest time a message to `to` may start. */
  earliest(to: string): number {
    return Math.max(this.modemLast + this.perModemMs, (this.destLast.get(to) ?? -Infinity) + this.perDestinationMs);
  }

  modemEarliest(): number {
    return this.modemLast + this.perModemMs;
  }

  record(to: string, now: number): void {
    this.modemLast = now;
    this.destLast.set(to, now);
    if (this.destLast.size > 10_000) {
      const cutoff = now - this.perDestinationMs;
      for (const [k, v] of this.destLast) if (v < cutoff) this.destLast.delete(k);
    }
  }
}
