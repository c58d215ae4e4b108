// When a correlated-failure incident ends by itself (issue 21). An open incident absorbs every
// trip of its platform, so without an end one outage would hold the platform's power-cycles for
// ever. It expires:
//   - quiet: `expire_after_s` (default 30 min) after the last trip it absorbed, or
//   - fallen back: once a correlation window has passed since it opened, when the platform's
//     devices failing now (jobs firing or without data) no longer meet the rule.
// On expiry nothing is power-cycled by itself: held executions whose device recovered are
// cancelled (nothing left to do), those still failing stay held until an operator releases or
// cancels them (release accepts an expired incident). New trips are judged afresh. Pure.
import { type CorrelationConfig, type CorrelationState, type Incident, trips } from './correlation.js';

/** Seconds after the last trip when an incident without one expires, when the config has none. */
export const DEFAULT_EXPIRE_AFTER_S = 1800;

export interface Expiry {
  state: CorrelationState;
  incident: Incident;
  reason: string;
}

export function lastTripAt(inc: Incident): number {
  return inc.last_trip_at ?? Math.max(inc.opened_at, ...inc.held.map((t) => t.at));
}

/** Whether the platform's open incident expires now, and why (null: it stays open or none is). */
export function expiryDue(inc: Incident, now: number, cfg: CorrelationConfig, failing: number, fleet: number): string | null {
  if (inc.status !== 'open') return null;
  const quietMs = (cfg.expire_after_s ?? DEFAULT_EXPIRE_AFTER_S) * 1000;
  if (now - lastTripAt(inc) >= quietMs) return `no trip for ${Math.round(quietMs / 1000)} s`;
  if (now - inc.opened_at >= cfg.window_s * 1000 && trips(failing, fleet, cfg) === null) return `${failing} of ${fleet} devices failing: below the rule`;
  return null;
}

export function expireIncident(state: CorrelationState, platform_id: string, now: number, cfg: CorrelationConfig, failing: number, fleet: number): Expiry | null {
  const open = state.incidents.find((i) => i.platform_id === platform_id && i.status === 'open');
  if (!open) return null;
  const reason = expiryDue(open, now, cfg, failing, fleet);
  if (reason === null) return null;
  const incident: Incident = { ...open, status: 'expired', expired_at: now, expired_reason: reason };
  // Its trips are forgotten with it, so the same outage does not reopen it at once.
  const heldDevices = new Set(open.held.map((t) => t.device_key));
  const recent = (state.recent[platform_id] ?? []).filter((t) => !heldDevices.has(t.device_key));
  return { state: { recent: { ...state.recent, [platform_id]: recent }, incidents: state.incidents.map((i) => (i === open ? incident : i)) }, incident, reason };
}

/** The people notification for an expired incident, in Russian and English. */
export function expiredText(inc: Incident, cancelled: number, stillHeld: number, lang: 'ru' | 'en'): string {
  return lang === 'ru'
    ? `Инцидент ${inc.id} платформы ${inc.platform_id} завершён (${inc.expired_reason ?? ''}). Отменено выполнений (устройства восстановились): ${cancelled}; ещё задержано: ${stillHeld}, их можно отпустить или отменить.`
    : `Incident ${inc.id} of platform ${inc.platform_id} ended (${inc.expired_reason ?? ''}). Executions cancelled (devices recovered): ${cancelled}; still held: ${stillHeld}, release or cancel them.`;
}
