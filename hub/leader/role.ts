// The hub's leader role: the duties only the leader runs, in start order (the working set fenced
// and reloaded, playbooks, webhooks, resuming unfinished playbooks, the MQTT leader session, the
// poller, housekeeping), the
// elector that bids for the lease over the store port, and what a write refused by fencing
// does (counted, logged, the lease given up). The hub builds it in its constructor and starts
// it once the store port is open.
import type { Logger } from '../common/log.js';
import type { StorePort } from '../store/port.js';
import { Duties } from './duties.js';
import { LeaderElector, type LeaderStatus } from './elector.js';
import { staleEpochOf } from './fencing.js';

interface Startable {
  start(): void;
  stop(): Promise<void>;
}

export interface LeaderParts {
  hubId: string;
  log: Logger;
  now: () => number;
  engine: Startable & { restart(): Promise<number> };
  remediation: { resumeArmed(): Promise<number> };
  webhooks: Startable;
  pollTask: Startable;
  housekeeping: Startable;
  mqtt: { lead(): Promise<void>; follow(): Promise<void> };
  /** PostgreSQL mode: the leader's working set, fenced with the lease's epoch and reloaded (the previous leader wrote since). */
  workingSet: { setEpoch(epoch: number): void; reload(): Promise<void> } | null;
  metrics: { leadershipChanges: { inc(l: { to: string }): void }; staleEpochRefusals: { inc(): void } };
}

export class LeaderRole {
  readonly duties: Duties;
  private elector: LeaderElector | null = null;

  readonly hubId: string;

  constructor(private readonly p: LeaderParts) {
    this.hubId = p.hubId;
    this.duties = new Duties(
      [
        { name: 'working set', start: (lease) => this.fence(lease.epoch), stop: () => undefined },
        { name: 'playbooks', start: () => p.engine.start(), stop: () => p.engine.stop() },
        { name: 'webhooks', start: () => p.webhooks.start(), stop: () => p.webhooks.stop() },
        { name: 'resume', start: () => this.resume(), stop: () => undefined },
        { name: 'mqtt leader session', start: () => p.mqtt.lead(), stop: () => p.mqtt.follow() },
        { name: 'poller', start: () => p.pollTask.start(), stop: () => p.pollTask.stop() },
        { name: 'housekeeping', start: () => p.housekeeping.start(), stop: () => p.housekeeping.stop() },
      ],
      p.log,
    );
  }

  get leading(): boolean {
    return this.elector?.state.leader ?? false;
  }

  get state(): LeaderStatus {
    return this.elector?.state ?? { leader: false, epoch: 0, holder: this.p.hubId, storeUp: true, storeError: null, since: 0 };
  }

  /** Bid (resolves after the first bid, and after the duties started when it won). */
  async start(port: StorePort, retryMs = 2000): Promise<void> {
    this.elector = new LeaderElector({
      leadership: port.leadership(this.p.hubId),
      holder: this.p.hubId,
      epoch: () => port.epoch(),
      retryMs,
      now: this.p.now,
      log: this.p.log,
      lead: (lease) => this.duties.start(lease),
      follow: (reason) => this.duties.stop(reason),
      onChange: (s) => this.p.metrics.leadershipChanges.inc({ to: s.leader ? 'leader' : 'follower' }),
    });
    await this.elector.start();
  }

  /** Every write of this leader from now on carries its epoch; what it keeps in memory is read again. */
  private async fence(epoch: number): Promise<void> {
    const ws = this.p.workingSet;
    if (!ws) return;
    ws.setEpoch(epoch);
    await ws.reload();
  }

  /** Playbooks left unfinished (by the previous leader, or this hub before a restart) go on. */
  private async resume(): Promise<void> {
    const resumed = await this.p.engine.restart();
    if (resumed) this.p.log.info('playbooks resumed', { executions: resumed });
    // Recorded but never started (a leader died right after the firing was stored): start them now.
    const armed = await this.p.remediation.resumeArmed();
    if (armed) this.p.log.info('recorded executions started', { executions: armed });
  }

  /** Stop the duties (reverse order) and give the lease back. */
  async stop(): Promise<void> {
    await this.elector?.stop();
  }

  /** Refusals already counted (the working set reports one, then its caller may too). */
  private readonly counted = new WeakSet<object>();

  /** A write refused by fencing: counted once, logged, the lease given up; true when it was one. */
  staleEpoch(err: unknown): boolean {
    const refusal = staleEpochOf(err);
    if (!refusal) return false;
    if (this.counted.has(refusal)) return true;
    this.counted.add(refusal);
    this.p.metrics.staleEpochRefusals.inc();
    this.p.log.warn('write refused: another hub leads now', { error: (err as Error).message });
    this.elector?.deposed((err as Error).message);
    return true;
  }
}
