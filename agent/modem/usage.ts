// What one modem has sent (issue 19): parts in the last hour against its `parts_per_hour`
// budget, and parts since local midnight (agent clock) with their cost at `price_per_part`.
// Pure, time passed in. Counted since the agent started (a restart begins a new hour window).
export interface UsageConfig {
  partsPerHour?: number | undefined;
  pricePerPart?: number | undefined;
  currency?: string | undefined;
}

const HOUR_MS = 3_600_000;

function dayOf(now: number): string {
  return new Date(now).toDateString();
}

export class ModemUsage {
  /** Times of parts sent in the last hour (oldest first). */
  private readonly stamps: number[] = [];
  private day = '';
  private today = 0;

  constructor(readonly config: UsageConfig = {}) {}

  record(now: number, parts = 1): void {
    for (let i = 0; i < parts; i++) this.stamps.push(now);
    this.prune(now);
    if (dayOf(now) !== this.day) {
      this.day = dayOf(now);
      this.today = 0;
    }
    this.today += parts;
  }

  private prune(now: number): void {
    while (this.stamps.length && (this.stamps[0] as number) <= now - HOUR_MS) this.stamps.shift();
  }

  partsLastHour(now: number): number {
    this.prune(now);
    return this.stamps.length;
  }

  /** Parts the budget still allows this hour (Infinity without a budget). */
  left(now: number): number {
    const b = this.config.partsPerHour;
    return b === undefined ? Infinity : Math.max(0, b - this.partsLastHour(now));
  }

  /** When the budget frees a part again (now when it has room). */
  freesAt(now: number): number {
    if (this.left(now) > 0) return now;
    return (this.stamps[0] as number) + HOUR_MS;
  }

  partsToday(now: number): number {
    return dayOf(now) === this.day ? this.today : 0;
  }

  /** Today's parts at the configured price; undefined without a price. */
  costToday(now: number): number | undefined {
    const p = this.config.pricePerPart;
    return p === undefined ? undefined : Math.round(this.partsToday(now) * p * 100) / 100;
  }
}
