// The leader's housekeeping sweep every 15 s (moved out of the composition root): re-send what
// the agents have not acknowledged, move commands not accepted in time to their next site
// (backup routes, issue 19), and prune executions and inbound SMS by age and count.
import type { Clock } from '../common/clock.js';
import type { Logger } from '../common/log.js';
import type { HubConfig } from '../config.js';
import { PeriodicTask } from '../poller/task.js';
import type { LeaderStore } from '../store/leader-store.js';
import type { Dispatcher } from './dispatcher.js';

export interface HousekeepingDeps {
  dispatcher: Pick<Dispatcher, 'resendPending' | 'failover'>;
  store: Pick<LeaderStore, 'pruneExecutions'>;
  executions: HubConfig['executions'];
  clock: Clock;
  log: Logger;
  /** A write refused for a stale leadership epoch: expected after losing the lease, not logged. */
  staleEpoch: (err: unknown) => boolean;
}

export function housekeepingTask(d: HousekeepingDeps): PeriodicTask {
  return new PeriodicTask({
    intervalMs: 15_000,
    clock: d.clock,
    immediate: false,
    run: async () => {
      await d.dispatcher.resendPending();
      await d.dispatcher.failover();
      await d.store.pruneExecutions(d.clock.now(), {
        maxAgeMs: d.executions.max_age_days * 86400_000,
        maxPerPlatform: d.executions.max_per_platform,
        maxInboundPerPlatform: 1000,
      });
    },
    onError: (err) => void (d.staleEpoch(err) || d.log.error('housekeeping failed', { error: (err as Error).message })),
  });
}
