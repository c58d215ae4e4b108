// Pacing: at least `perDestinationMs` between two messages to one number (control devices
// drop commands that come too fast) and `perModemMs` between two messages through one modem
// (operators block SIMs that flood; each modem of an agent is paced on its own). Pure, time passed in.
export class Pacer {
  private readonly modemLast = new Map<string, number>();
  private readonly destLast = new Map<string, number>();

  constructor(
    private readonly perDestinationMs: number,
    private readonly perModemMs: number,
  ) {}

  /** Earliest time a message to `to` may start through `modem`. */
  earliest(to: string, modem = 'modem'): number {
    return Math.max(this.modemEarliest(modem), (this.destLast.get(to) ?? -Infinity) + this.perDestinationMs);
  }

  modemEarliest(modem = 'modem'): number {
    return (this.modemLast.get(modem) ?? -Infinity) + this.perModemMs;
  }

  record(to: string, now: number, modem = 'modem'): void {
    this.modemLast.set(modem, now);
    this.destLast.set(to, now);
    if (this.destLast.size > 10_000) {
      const cutoff = now - this.perDestinationMs;
      for (const [k, v] of this.destLast) if (v < cutoff) this.destLast.delete(k);
    }
  }
}
