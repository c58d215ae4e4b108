// Dispatch: follows the agents' updates of the messages of executions (matched by the message's
// own id, the wire `execution_id`), re-sends messages the agent has not acknowledged when the
// site comes back or the re-send delay passed (attempt + 1), and marks them unacknowledged at
// expiry, and asks to move a command to its control device's next site when its current site
// did not accept it in time (backup routes, issue 19: hub/dispatch/routes.ts). It reads the store
// and reports to the execution's one writer (ExecutionSink, the playbook engine), which applies,
// persists and publishes (hub/dispatch/publisher.ts).
import type { Clock } from '../common/clock.js';
import type { ExecutionUpdate } from '../common/contract/index.js';
import type { Logger } from '../common/log.js';
import type { LeaderStore } from '../store/leader-store.js';
import type { OnRejected } from './refusals.js';
import type { ExecutionSink } from './reports.js';
import { dueFailover } from './routes.js';
import type { Sendable } from './sites.js';

export interface DispatcherDeps {
  /** Read only: the engine writes executions. */
  store: Pick<LeaderStore, 'executionList' | 'activeExecutions'>;
  sink: ExecutionSink;
  clock: Clock;
  log: Logger;
  isSiteOnline: (platformId: string, siteId: string) => boolean;
  /** Re-send an unacknowledged job to an online site after this long. */
  resendAfterMs: number;
  /** An agent update was refused (counted in /metrics). */
  onRejected?: OnRejected;
  /** Whether a site can send now, and since when not (backup routes); absent: no failover sweep. */
  sendable?: (platformId: string, siteId: string) => Sendable;
}

export class Dispatcher {
  rejectedUpdates = 0;

  constructor(private readonly deps: DispatcherDeps) {}

  /** Count and log a refused update. */
  refuse(u: Pick<ExecutionUpdate, 'platform_id' | 'site_id' | 'execution_id'>, reason: 'unknown_execution' | 'site_mismatch' | 'stale'): void {
    this.rejectedUpdates++;
    this.deps.onRejected?.({ platform_id: u.platform_id, site_id: u.site_id }, 'update', reason);
    if (reason !== 'stale') this.deps.log.warn('update refused', { platform_id: u.platform_id, site_id: u.site_id, execution_id: u.execution_id, reason });
  }

  /** An agent update (decoded, its site matching its topic); stale, unknown or foreign updates are dropped. */
  async handleUpdate(u: ExecutionUpdate): Promise<boolean> {
    const r = await this.deps.sink.report({
      type: 'message',
      message_id: u.execution_id,
      platform_id: u.platform_id,
      site_id: u.site_id,
      state: u.state,
      seq: u.seq,
      attempt: u.attempt,
      ...(u.reason ? { reason: u.reason } : {}),
      ...(u.message_refs ? { message_refs: u.message_refs } : {}),
      ...(u.parts ? { parts: u.parts } : {}),
      ...(u.modem ? { modem: u.modem } : {}),
    });
    if (!r.ok) this.refuse(u, r.reason);
    return r.ok;
  }

  /**
   * Backup routes (issue 19): ask the engine to move every command whose current site has not
   * acknowledged it by its acceptance deadline (+ skew) to the next site of its route. Runs after
   * every poll cycle and in the housekeeping sweep. Returns how many moved.
   */
  async failover(platformId?: string): Promise<number> {
    const sendable = this.deps.sendable;
    if (!sendable) return 0;
    const now = this.deps.clock.now();
    let moved = 0;
    // A command waiting for its site belongs to a run waiting for its result: an active one.
    for (const exec of this.deps.store.activeExecutions()) {
      if (platformId !== undefined && exec.platform_id !== platformId) continue;
      for (const msg of exec.messages) {
        const reason = dueFailover(msg, now, sendable(exec.platform_id, msg.site_id));
        if (reason && (await this.deps.sink.report({ type: 'failover', message_id: msg.wire_id, reason })).ok) moved++;
      }
    }
    return moved;
  }

  /** Re-send what the agent of a site has not acknowledged (site came back, or periodic sweep). */
  async resendPending(platformId?: string, siteId?: string, force = false): Promise<number> {
    const now = this.deps.clock.now();
    let sent = 0;
    for (const exec of this.deps.store.executionList(platformId)) {
      for (const msg of exec.messages) {
        if (msg.agent_seq >= 0 || (siteId !== undefined && msg.site_id !== siteId)) continue;
        if (msg.state !== 'created' && msg.state !== 'dispatched') continue;
        if (Date.parse(msg.expires_at) <= now) {
          await this.deps.sink.report({ type: 'unacknowledged', message_id: msg.wire_id });
          continue;
        }
        if (!this.deps.isSiteOnline(exec.platform_id, msg.site_id)) continue;
        const last = msg.dispatched_at ? Date.parse(msg.dispatched_at) : Date.parse(exec.created_at);
        if (!force && now - last < this.deps.resendAfterMs) continue;
        if ((await this.deps.sink.report({ type: 'resend', message_id: msg.wire_id })).ok) sent++;
      }
    }
    return sent;
  }
}
