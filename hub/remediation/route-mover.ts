// Backup routes, the engine's side (issue 19; part of the one writer of executions, engine.ts):
// moves a command to the next site of its control device's route within the engine's batch (the
// old site becomes a hop, attempt + 1, a new acceptance deadline, `dispatched`), queues the job
// for the new site and a cancel for the old one (both published after the batch's write), and
// follows what an old site still reports: a late `accepted`/`sending` is answered with another
// cancel; a `sent`/`delivered` (it went out there after all) is recorded in the hop and the
// timeline and counted, never dropped. The rules of when a message may move: hub/dispatch/routes.ts.
import type { Clock } from '../common/clock.js';
import type { Logger } from '../common/log.js';
import type { Report, ReportResult } from '../dispatch/reports.js';
import { acceptByFor, type FailoverReason, firstAttemptHere, mayLeave, nextSite } from '../dispatch/routes.js';
import type { Sendable } from '../dispatch/sites.js';
import type { ControlDevice } from '../model/entities.js';
import type { Execution, MessageHop, MessageRun, MessageState } from '../model/execution.js';
import type { RemediationSettings } from '../model/remediation.js';
import type { LeaderStore } from '../store/leader-store.js';
import type { Batch } from './effects.js';

/** What the route metrics count (hub/dispatch/route-metrics.ts). */
export type RouteEvent =
  | { type: 'failover'; platform_id: string; reason: FailoverReason }
  | { type: 'cancel'; platform_id: string; reason: 'moved' | 'late_accept' }
  | { type: 'double_send'; platform_id: string };

export interface RouteMoverDeps {
  store: Pick<LeaderStore, 'controlDevice'>;
  clock: Clock;
  log: Logger;
  settings: (platformId: string) => RemediationSettings;
  batch: Batch;
  /** Whether a site can send now (the site monitor); absent: every site counts as able. */
  sendable?: (platformId: string, siteId: string) => Sendable;
  /** The engine's one place that changes a message's state (timeline, event, metrics). */
  setMessage: (exec: Execution, msg: MessageRun, state: MessageState, detail?: string) => void;
  onRoute?: (e: RouteEvent) => void;
}

type MessageReport = Extract<Report, { type: 'message' }>;

const WHY: Record<FailoverReason, string> = {
  offline: 'its agent is offline',
  modems_down: 'every modem of it is down',
  not_accepted: 'it did not accept the job in time',
  failed: 'it reported failed',
  expired: 'it reported expired',
};

const STALE: ReportResult = { ok: false, reason: 'stale' };

export class RouteMover {
  constructor(private readonly d: RouteMoverDeps) {}

  /** The dispatcher's sweep asks to move a message: re-checked here, the one writer. */
  failover(exec: Execution, msg: MessageRun, reason: FailoverReason): ReportResult {
    const to = this.target(exec, msg);
    if (!to) return STALE;
    this.move(exec, msg, to.site, to.device, reason);
    return { ok: true };
  }

  /** The current site reported failed/expired: move on at once when the route goes on (true: moved, the send step waits). */
  afterFailure(exec: Execution, msg: MessageRun): boolean {
    if (msg.state !== 'failed' && msg.state !== 'expired') return false;
    const to = this.target(exec, msg);
    if (!to) return false;
    this.move(exec, msg, to.site, to.device, msg.state);
    return true;
  }

  /** The site to move to (with the message's control device), when the message may leave its current one and the route goes on. */
  private target(exec: Execution, msg: MessageRun): { site: string; device: ControlDevice | undefined } | null {
    if (this.d.settings(exec.platform_id).failover_after_s === null || !mayLeave(msg, this.d.clock.now())) return null;
    const device = msg.control_device_id ? this.d.store.controlDevice(msg.control_device_id) : undefined;
    const site = nextSite(device, msg.site_id, (s) => this.d.sendable?.(exec.platform_id, s) ?? { ok: true });
    return site ? { site, device } : null;
  }

  private move(exec: Execution, msg: MessageRun, to: string, device: ControlDevice | undefined, reason: FailoverReason): void {
    const now = this.d.clock.now();
    const at = new Date(now).toISOString();
    const from = msg.site_id;
    const last = msg.attempt;
    const hop: MessageHop = { site_id: from, first_attempt: firstAttemptHere(msg), last_attempt: last, state: msg.state, ...(msg.modem ? { modem: msg.modem } : {}), left_because: reason, left_at: at };
    msg.hops = [...(msg.hops ?? []), hop];
    msg.site_id = to;
    msg.attempt = last + 1;
    msg.agent_seq = -1;
    delete msg.modem;
    delete msg.reason;
    delete msg.message_refs;
    delete msg.parts;
    const acceptBy = acceptByFor(device, to, this.d.settings(exec.platform_id).failover_after_s, now);
    if (acceptBy) msg.accept_by = acceptBy;
    else delete msg.accept_by;
    msg.dispatched_at = at;
    this.d.setMessage(exec, msg, 'dispatched', `moved from site ${from} to site ${to}: ${WHY[reason]}; attempt ${msg.attempt}`);
    this.d.batch.outbox.push({ exec, msg });
    this.d.batch.cancels.push({ exec, msg, site_id: from, attempt: last, reason: `moved to site ${to}: ${WHY[reason]}` });
    this.d.log.info('message moved to a backup site', { execution_id: exec.id, message_id: msg.wire_id, from, to, reason, attempt: msg.attempt });
    this.d.onRoute?.({ type: 'failover', platform_id: exec.platform_id, reason });
    this.d.onRoute?.({ type: 'cancel', platform_id: exec.platform_id, reason: 'moved' });
  }

  /**
   * An update from a site the message was moved away from (null: that site is not one of its
   * hops). Recorded in the hop and the timeline; a late acceptance is cancelled again.
   */
  oldHop(exec: Execution, msg: MessageRun, r: MessageReport): ReportResult | null {
    const hop = [...(msg.hops ?? [])].reverse().find((h) => h.site_id === r.site_id);
    if (!hop) return null;
    if (r.attempt > hop.last_attempt) return STALE;
    const prev = hop.state;
    if (r.modem) hop.modem = r.modem;
    hop.state = r.state;
    const where = `site ${r.site_id}${r.modem ? `, modem ${r.modem}` : ''}`;
    if (r.state === 'accepted' || r.state === 'sending') {
      this.d.batch.cancels.push({ exec, msg, site_id: r.site_id, attempt: hop.last_attempt, reason: `moved to site ${msg.site_id}` });
      this.d.onRoute?.({ type: 'cancel', platform_id: exec.platform_id, reason: 'late_accept' });
      this.note(exec, msg, 'route_cancel', `${where} reported ${r.state} (attempt ${r.attempt}) after the move to site ${msg.site_id}: cancelled again`);
    } else if (r.state === 'sent' || r.state === 'delivered') {
      const first = prev !== 'sent' && prev !== 'delivered';
      if (first) {
        this.d.onRoute?.({ type: 'double_send', platform_id: exec.platform_id });
        this.d.log.warn('a site the message was moved away from sent it too', { execution_id: exec.id, message_id: msg.wire_id, site_id: r.site_id, modem: r.modem, attempt: r.attempt, current_site: msg.site_id });
      }
      this.note(exec, msg, first ? 'double_send' : 'old_route', `${r.state} by ${where} (attempt ${r.attempt}) after the move to site ${msg.site_id}`);
    } else {
      this.note(exec, msg, 'old_route', `${where}: ${r.state}${r.reason ? ` (${r.reason.code})` : ''}, attempt ${r.attempt}`);
    }
    return { ok: true };
  }

  private note(exec: Execution, msg: MessageRun, state: string, detail: string): void {
    const at = new Date(this.d.clock.now()).toISOString();
    exec.timeline.push({ at, step: msg.step, state, detail: `${msg.to}: ${detail}` });
    exec.updated_at = at;
    this.d.batch.dirty = true;
  }
}
