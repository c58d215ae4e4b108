// The leader's duties as an ordered list: started in order when this hub takes the lease, stopped
// in reverse order when it loses it (or stops). A duty that fails to start aborts the start (the
// ones already started are stopped again, the lease is given back by the elector). Stops never
// throw and are bounded in time: a duty waiting on an unreachable store must not keep a deposed
// hub from following (its late writes are refused by fencing anyway).
import type { Logger } from '../common/log.js';
import type { Lease } from '../store/port.js';

export interface Duty {
  readonly name: string;
  start(lease: Lease): Promise<void> | void;
  stop(): Promise<void> | void;
}

export class Duties {
  private running: Duty[] = [];

  constructor(
    private readonly list: readonly Duty[],
    private readonly log: Logger,
    private readonly stopTimeoutMs = 5000,
  ) {}

  get active(): string[] {
    return this.running.map((d) => d.name);
  }

  async start(lease: Lease): Promise<void> {
    if (this.running.length) await this.stop('restart');
    for (const d of this.list) {
      try {
        await d.start(lease);
      } catch (err) {
        await this.stop(`${d.name} failed to start`);
        throw new Error(`leader duty ${d.name}: ${(err as Error).message}`, { cause: err });
      }
      this.running.push(d);
    }
  }

  async stop(reason: string): Promise<void> {
    const running = this.running.splice(0).reverse();
    for (const d of running) {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((r) => {
        timer = setTimeout(() => r('late'), this.stopTimeoutMs);
        timer.unref();
      });
      try {
        const r = await Promise.race([Promise.resolve().then(() => d.stop()), late]);
        if (r === 'late') this.log.warn('leader duty still stopping; going on', { duty: d.name, reason, after_ms: this.stopTimeoutMs });
      } catch (err) {
        this.log.warn('leader duty failed to stop', { duty: d.name, reason, error: (err as Error).message });
      } finally {
        clearTimeout(timer);
      }
    }
  }
}
