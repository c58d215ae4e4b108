// A managed periodic background task: start()/stop(), never two runs at once, and after a stall
// (a slow run, a suspended machine) the next run is aligned to the schedule instead of a burst
// of catch-up runs. The clock is injected so tests drive it with fake timers.
import type { Clock, TimerHandle } from '../common/clock.js';

export interface PeriodicTaskOptions {
  intervalMs: number;
  clock: Clock;
  run: (signal: AbortSignal) => Promise<void>;
  onError?: (err: unknown) => void;
  /** Run once right after start() (default true). */
  immediate?: boolean;
}

export class PeriodicTask {
  private timer: TimerHandle | null = null;
  private soonTimer: TimerHandle | null = null;
  private running: Promise<void> | null = null;
  private controller: AbortController | null = null;
  private nextAt = 0;
  runs = 0;
  skipped = 0;

  constructor(private readonly options: PeriodicTaskOptions) {}

  /** When the next regular run is due (epoch ms); not after now while one is running. */
  get nextRunAt(): number {
    return this.nextAt;
  }

  get started(): boolean {
    return this.controller !== null;
  }

  start(): void {
    if (this.controller) return;
    this.controller = new AbortController();
    const now = this.options.clock.now();
    this.nextAt = this.options.immediate === false ? now + this.options.intervalMs : now;
    this.schedule();
  }

  async stop(): Promise<void> {
    if (this.timer) this.options.clock.clearTimeout(this.timer);
    this.timer = null;
    if (this.soonTimer) this.options.clock.clearTimeout(this.soonTimer);
    this.soonTimer = null;
    this.controller?.abort(new Error('stopped'));
    this.controller = null;
    await this.running?.catch(() => undefined);
  }

  /** Run now unless a run is in progress (then wait for it); for tests and manual triggers. */
  async runNow(): Promise<void> {
    await this.execute();
  }

  /**
   * Run once more after `delayMs` (something changed, e.g. a job was created): requests within
   * the delay coalesce into one run; a run already in progress is followed by a fresh one, since
   * it may have started before the change. The regular schedule is not moved.
   */
  soon(delayMs = 0): void {
    if (!this.controller || this.soonTimer) return;
    this.soonTimer = this.options.clock.setTimeout(() => {
      this.soonTimer = null;
      void (async () => {
        await this.running?.catch(() => undefined);
        if (this.controller) await this.execute();
      })();
    }, delayMs);
    this.soonTimer.unref?.();
  }

  private schedule(): void {
    if (!this.controller) return;
    const delay = Math.max(0, this.nextAt - this.options.clock.now());
    this.timer = this.options.clock.setTimeout(() => {
      this.timer = null;
      void this.tick();
    }, delay);
    this.timer.unref?.();
  }

  private async tick(): Promise<void> {
    await this.execute();
    if (!this.controller) return;
    const now = this.options.clock.now();
    const interval = this.options.intervalMs;
    this.nextAt += interval;
    if (this.nextAt <= now) {
      // Stalled: skip the missed slots instead of running them back to back.
      const missed = Math.floor((now - this.nextAt) / interval) + 1;
      this.skipped += missed;
      this.nextAt += missed * interval;
    }
    this.schedule();
  }

  private async execute(): Promise<void> {
    if (this.running) {
      await this.running;
      return;
    }
    const signal = this.controller?.signal ?? AbortSignal.abort();
    const p = (async () => {
      try {
        await this.options.run(signal);
      } catch (err) {
        this.options.onError?.(err);
      } finally {
        this.runs++;
      }
    })();
    this.running = p;
    try {
      await p;
    } finally {
      this.running = null;
    }
  }
}
