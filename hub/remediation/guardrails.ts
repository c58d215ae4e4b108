// Guardrails (issue 10, "Guardrails"), pure:
//   - per device: at most N remediations per rolling window, then escalate instead of acting;
//   - per site: a budget of SMS (parts) per hour, with a visible queue.
// Correlated-failure detection is in correlation.ts. All state is plain JSON; times in epoch ms.
import { type BudgetState, type DeviceHistory, type DeviceLimit, HOUR_MS, type QueuedSms, type SmsBudget } from '../model/guardrails.js';

export { deviceLimit, emptyBudget, HOUR_MS, smsBudget } from '../model/guardrails.js';
export type { BudgetState, DeviceHistory, DeviceLimit, QueuedSms, SmsBudget } from '../model/guardrails.js';

export interface DeviceCheck {
  allowed: boolean;
  /** Remediations inside the window. */
  recent: number;
  /** When the next remediation will be allowed (null when allowed now). */
  retry_at: number | null;
  /** Why not, for the escalation (English; the UI translates by `recent` / `window_s`). */
  reason: string | null;
}

export function deviceKey(platform_id: string, device: string): string {
  return `${platform_id}/${device}`;
}

function inWindow(times: readonly number[] | undefined, now: number, window_s: number): number[] {
  const from = now - window_s * 1000;
  return (times ?? []).filter((t) => t > from && t <= now);
}

/** May this device be remediated now? */
export function checkDevice(history: DeviceHistory, key: string, now: number, limit: DeviceLimit): DeviceCheck {
  const recent = inWindow(history[key], now, limit.window_s);
  if (recent.length < limit.max) return { allowed: true, recent: recent.length, retry_at: null, reason: null };
  const oldest = Math.min(...recent);
  const hours = Math.round((limit.window_s / 3600) * 10) / 10;
  return {
    allowed: false,
    recent: recent.length,
    retry_at: oldest + limit.window_s * 1000,
    reason: `device limit: ${recent.length} remediations in ${hours} h (max ${limit.max})`,
  };
}

/** Record a remediation that acts (escalations do not count), pruning what left the window. */
export function recordDevice(history: DeviceHistory, key: string, now: number, limit: DeviceLimit): DeviceHistory {
  return { ...history, [key]: [...inWindow(history[key], now, limit.window_s), now] };
}

/** Drop devices with nothing in the window (keeps the persisted history small). */
export function pruneHistory(history: DeviceHistory, now: number, limit: DeviceLimit): DeviceHistory {
  const out: DeviceHistory = {};
  for (const [k, v] of Object.entries(history)) {
    const kept = inWindow(v, now, limit.window_s);
    if (kept.length > 0) out[k] = kept;
  }
  return out;
}

// --- SMS budget per site ---------------------------------------------------------------------

function limitOf(cfg: SmsBudget, site: string): number {
  return cfg.sites[site] ?? cfg.per_hour;
}

function byPriority(a: QueuedSms, b: QueuedSms): number {
  return b.priority - a.priority || a.queued_at - b.queued_at;
}

/**
 * Release what the budget allows now, highest priority first. Strict order per site: a message
 * that does not fit blocks the ones after it (a long one is never starved by short ones).
 */
export function drainSms(state: BudgetState, now: number, cfg: SmsBudget): { state: BudgetState; release: QueuedSms[] } {
  const sent: Record<string, number[]> = {};
  for (const [site, times] of Object.entries(state.sent)) sent[site] = times.filter((t) => t > now - HOUR_MS);
  const blocked = new Set<string>();
  const release: QueuedSms[] = [];
  const queue: QueuedSms[] = [];
  for (const q of [...state.queue].sort(byPriority)) {
    const used = sent[q.site_id] ?? [];
    const limit = limitOf(cfg, q.site_id);
    // A message longer than the whole budget goes alone in an empty hour rather than never.
    const fits = used.length + q.parts <= limit || (used.length === 0 && q.parts > limit);
    if (!blocked.has(q.site_id) && fits) {
      sent[q.site_id] = [...used, ...Array.from({ length: q.parts }, () => now)];
      release.push(q);
    } else {
      blocked.add(q.site_id);
      queue.push(q);
    }
  }
  return { state: { sent, queue }, release };
}

/** Queue one SMS and release what fits. */
export function offerSms(state: BudgetState, sms: QueuedSms, now: number, cfg: SmsBudget): { state: BudgetState; release: QueuedSms[] } {
  if (state.queue.some((q) => q.key === sms.key && q.to === sms.to)) return drainSms(state, now, cfg);
  return drainSms({ ...state, queue: [...state.queue, sms] }, now, cfg);
}

/** Remove queued messages (e.g. of executions held by an incident); returns what was removed. */
export function withdrawSms(state: BudgetState, keys: ReadonlySet<string>): { state: BudgetState; removed: QueuedSms[] } {
  const removed = state.queue.filter((q) => keys.has(q.key));
  return { state: { ...state, queue: state.queue.filter((q) => !keys.has(q.key)) }, removed };
}

export interface SiteQueueView {
  site_id: string;
  budget_per_hour: number;
  sent_last_hour: number;
  queued: number;
  /** When the next part frees up (null when the budget is not exhausted). */
  next_slot_at: number | null;
  items: QueuedSms[];
}

/** What the web form shows: per site, the budget, its use and the queue in release order. */
export function queueView(state: BudgetState, now: number, cfg: SmsBudget): SiteQueueView[] {
  const sites = new Set([...Object.keys(state.sent), ...state.queue.map((q) => q.site_id)]);
  return [...sites].sort().map((site_id) => {
    const used = (state.sent[site_id] ?? []).filter((t) => t > now - HOUR_MS).sort((a, b) => a - b);
    const budget = limitOf(cfg, site_id);
    const items = state.queue.filter((q) => q.site_id === site_id).sort(byPriority);
    const full = used.length >= budget;
    return { site_id, budget_per_hour: budget, sent_last_hour: used.length, queued: items.length, next_slot_at: full ? (used[used.length - budget] ?? now) + HOUR_MS : null, items };
  });
}
