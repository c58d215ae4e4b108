// Job changes coalesce into at most one extra poll cycle per poll interval (issue 21): the first
// change after a quiet interval is evaluated within `delayMs` (a new job shows its state at
// once); further changes in the same interval wait for the extra cycle already asked for, the
// next allowed one, or the regular cycle, whichever comes first. An import of 500 jobs then costs
// one extra cycle, not hundreds. Pure; the hub calls request() and PeriodicTask.soon().
export class ExtraCycleGate {
  private lastExtraAt = -Infinity;
  private scheduledAt: number | null = null;
  /** Extra cycles asked for, and changes that needed none (for tests and logs). */
  asked = 0;
  covered = 0;

  constructor(
    private readonly intervalMs: number,
    private readonly delayMs = 1000,
  ) {}

  /**
   * A change at `now`; `nextRegularAt` is when the regular cycle is due (a value not after `now`
   * means it is running now, possibly since before the change). Returns the delay of the extra
   * cycle to ask for, or null when a cycle already due will see the change.
   */
  request(now: number, nextRegularAt: number): number | null {
    if (this.scheduledAt !== null && this.scheduledAt >= now) {
      this.covered++;
      return null;
    }
    const regular = nextRegularAt > now ? nextRegularAt : nextRegularAt + this.intervalMs;
    const at = Math.max(now + this.delayMs, this.lastExtraAt + this.intervalMs);
    if (at >= regular) {
      this.covered++;
      return null;
    }
    this.lastExtraAt = at;
    this.scheduledAt = at;
    this.asked++;
    return at - now;
  }
}
