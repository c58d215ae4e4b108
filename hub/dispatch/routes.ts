// Backup routes (issue 19), pure: a control device's `site_ids` is its route (the first is home,
// the others are backups in order). A command dispatched to a site that has a later site carries
// `accept_by` (dispatch time + the platform's failover_after_s - ACCEPT_SKEW_MS): an agent that gets the job after
// that refuses it. The hub moves the message on only when the current site can no longer send
// it: it reported `failed` or `expired` (it said so itself), or it never acknowledged the
// message and `accept_by` + ACCEPT_SKEW_MS has passed. A message the site acknowledged
// (`accepted`, `sending`) or that may have gone out (`uncertain`, `sent`, ...) never moves.
// So that the move still happens failover_after_s after the dispatch, `accept_by` is that moment
// minus the skew margin. The engine (hub/remediation/route-mover.ts) does the move; the
// dispatcher's sweep (after every poll cycle) finds them.
import type { ControlDevice } from '../model/entities.js';
import type { MessageHop, MessageRun } from '../model/execution.js';
import type { Sendable } from './sites.js';

/**
 * Clock-skew margin between the hub and the agents: the hub moves a message on only this long
 * after its `accept_by`, so an agent whose clock runs up to 5 s behind the hub's has refused
 * the job by then (agents keep time by NTP). `accept_by` is set this much before the
 * failover moment, so the agent has failover_after_s - 5 s (at least 5 s) to accept.
 */
export const ACCEPT_SKEW_MS = 5_000;

export type FailoverReason = MessageHop['left_because'];
export const FAILOVER_REASONS: readonly FailoverReason[] = ['offline', 'modems_down', 'not_accepted', 'failed', 'expired'];

/** The sites after `current` in the device's route (none when `current` is not on it). */
export function laterSites(device: Pick<ControlDevice, 'site_ids'> | undefined, current: string): string[] {
  if (!device) return [];
  const i = device.site_ids.indexOf(current);
  return i < 0 ? [] : device.site_ids.slice(i + 1);
}

/**
 * The `accept_by` of a dispatch to `site` at `now` (failover_after_s - ACCEPT_SKEW_MS later, so
 * the move falls failover_after_s after the dispatch): only when failover is on and the route
 * goes on after `site`.
 */
export function acceptByFor(device: Pick<ControlDevice, 'site_ids'> | undefined, site: string, failoverAfterS: number | null, now: number): string | undefined {
  if (failoverAfterS === null || laterSites(device, site).length === 0) return undefined;
  return new Date(now + failoverAfterS * 1000 - ACCEPT_SKEW_MS).toISOString();
}

/** Where to move: the first later site that can send now, else simply the next one (it sends when it comes back). */
export function nextSite(device: Pick<ControlDevice, 'site_ids'> | undefined, current: string, sendable: (site: string) => Sendable): string | null {
  const later = laterSites(device, current);
  return later.find((s) => sendable(s).ok) ?? later[0] ?? null;
}

/**
 * Where a new command starts: its step's site, unless that site has been unable to send for at
 * least failover_after_s and a later site of the route can send now; then the first such site
 * (nothing was sent to the skipped ones, so nothing can go out twice). `skipped`: why each was.
 */
export function startSite(
  device: Pick<ControlDevice, 'site_ids'> | undefined,
  site: string,
  failoverAfterS: number | null,
  now: number,
  sendable: (site: string) => Sendable,
): { site: string; skipped: Array<{ site_id: string; reason: FailoverReason; since: number }> } {
  const skipped: Array<{ site_id: string; reason: FailoverReason; since: number }> = [];
  if (failoverAfterS === null) return { site, skipped };
  const route = [site, ...laterSites(device, site)];
  for (const [i, s] of route.entries()) {
    const here = sendable(s);
    if (here.ok || now - here.since < failoverAfterS * 1000 || !route.slice(i + 1).some((t) => sendable(t).ok)) return { site: s, skipped };
    skipped.push({ site_id: s, reason: here.reason, since: here.since });
  }
  return { site, skipped: [] };
}

/** The first attempt that went to the message's current site. */
export function firstAttemptHere(msg: Pick<MessageRun, 'hops'>): number {
  const last = msg.hops?.[msg.hops.length - 1];
  return last ? last.last_attempt + 1 : 1;
}

/** Past its acceptance deadline (with the skew margin): the current site's agent refuses it now. */
function pastAcceptBy(msg: Pick<MessageRun, 'accept_by'>, now: number): boolean {
  return msg.accept_by !== undefined && now >= Date.parse(msg.accept_by) + ACCEPT_SKEW_MS;
}

/** Never acknowledged by the current site and still waiting for it (created / dispatched). */
function unacknowledged(msg: Pick<MessageRun, 'agent_seq' | 'state'>): boolean {
  return msg.agent_seq < 0 && (msg.state === 'created' || msg.state === 'dispatched');
}

/**
 * May the message leave its current site now? Only a live command (not expired), and only when
 * that site cannot send it any more: it reported failed/expired with no part sent, or it never acknowledged the
 * message and its acceptance deadline (+ skew) has passed. `uncertain` never moves.
 */
export function mayLeave(msg: MessageRun, now: number): boolean {
  if (msg.kind !== 'command' || Date.parse(msg.expires_at) <= now) return false;
  // Failed or expired with no part handed to the network (a part with a message reference left).
  if (msg.agent_seq >= 0 && (msg.state === 'failed' || msg.state === 'expired')) return !msg.message_refs?.length;
  return unacknowledged(msg) && pastAcceptBy(msg, now);
}

/**
 * The sweep's question (hub/dispatch/dispatcher.ts): is this unacknowledged message due to move,
 * and why (the current site's condition: offline, every modem down, or online but silent)?
 */
export function dueFailover(msg: MessageRun, now: number, here: Sendable): FailoverReason | null {
  if (!unacknowledged(msg) || !mayLeave(msg, now)) return null;
  return here.ok ? 'not_accepted' : here.reason;
}
