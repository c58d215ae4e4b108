// Correlated-failure detection (issue 10, "Guardrails"): when many devices of one platform trip
// at once (a platform or network outage, the AddReality API down, Prometheus gaps), power-cycling
// them all is wrong. Above a configurable count or share of the platform's devices within a short
// window, the trips are held, one incident is raised (people are notified instead) and one call
// releases them. Pure; state is plain JSON, times in epoch ms.
import type { CorrelationConfig, CorrelationState, Incident, Trip } from '../model/correlation.js';

export { correlationConfig, emptyCorrelation } from '../model/correlation.js';
export type { CorrelationConfig, CorrelationState, Incident, Trip } from '../model/correlation.js';

export interface Observed {
  state: CorrelationState;
  /** Execution ids that may act now. */
  proceed: string[];
  /** Execution ids to hold (the new trips and, when an incident opens, the earlier ones of the burst). */
  hold: string[];
  /** The incident these trips were held by. */
  incident: Incident | null;
  /** The incident was opened by this call: notify people once. */
  opened: boolean;
}

/** Which rule the figures trip, or null. */
export function trips(count: number, fleet: number, cfg: Pick<CorrelationConfig, 'window_s' | 'min_count' | 'min_share' | 'share_min_count'>): string | null {
  if (cfg.min_count !== null && count >= cfg.min_count) return `${count} devices within ${cfg.window_s} s (count >= ${cfg.min_count})`;
  if (cfg.min_share !== null && fleet > 0 && count >= cfg.share_min_count && count / fleet >= cfg.min_share) {
    return `${count} of ${fleet} devices within ${cfg.window_s} s (share >= ${Math.round(cfg.min_share * 100)} %)`;
  }
  return null;
}

export function openIncident(state: CorrelationState, platform_id: string): Incident | undefined {
  return state.incidents.find((i) => i.platform_id === platform_id && i.status === 'open');
}

/**
 * Observe the trips of one platform in one cycle, all at once (so a burst seen in one poll is
 * judged as a whole before anything acts). `fleet` is the platform's device count now;
 * `newId` names the incident if one opens.
 */
export function observeTrips(state: CorrelationState, platform_id: string, batch: readonly Trip[], fleet: number, now: number, cfg: CorrelationConfig, newId: string): Observed {
  const from = now - cfg.window_s * 1000;
  const known = new Set(batch.map((t) => t.device_key));
  // One device counts once: a repeat trip replaces its older one.
  const recent = [...(state.recent[platform_id] ?? []).filter((t) => t.at > from && !known.has(t.device_key)), ...batch];
  const open = openIncident(state, platform_id);
  if (open) {
    const joined: Incident = { ...open, held: [...open.held, ...batch], last_trip_at: now };
    const incidents = state.incidents.map((i) => (i === open ? joined : i));
    return { state: { recent: { ...state.recent, [platform_id]: recent }, incidents }, proceed: [], hold: batch.map((t) => t.execution_id), incident: joined, opened: false };
  }
  const rule = trips(recent.length, fleet, cfg);
  if (rule === null) {
    return { state: { ...state, recent: { ...state.recent, [platform_id]: recent } }, proceed: batch.map((t) => t.execution_id), hold: [], incident: null, opened: false };
  }
  const incident: Incident = { id: newId, platform_id, opened_at: now, held: recent, fleet, rule, status: 'open', released_at: null, released_by: null, last_trip_at: now };
  return {
    state: { recent: { ...state.recent, [platform_id]: recent }, incidents: [...state.incidents, incident] },
    proceed: [],
    hold: recent.map((t) => t.execution_id),
    incident,
    opened: true,
  };
}

/**
 * Release an incident by one call: the held executions resume (the caller sends them `release`).
 * The burst's trips are forgotten so the same burst does not open a new incident at once.
 */
export function releaseIncident(state: CorrelationState, id: string, by: string, now: number): { state: CorrelationState; resume: string[] } | { error: string } {
  const inc = state.incidents.find((i) => i.id === id);
  if (!inc) return { error: `incident ${id} does not exist` };
  if (inc.status === 'released') return { error: `incident ${id} is already released` };
  const released: Incident = { ...inc, status: 'released', released_at: now, released_by: by };
  const heldDevices = new Set(inc.held.map((t) => t.device_key));
  const recent = (state.recent[inc.platform_id] ?? []).filter((t) => !heldDevices.has(t.device_key));
  return {
    state: { recent: { ...state.recent, [inc.platform_id]: recent }, incidents: state.incidents.map((i) => (i.id === id ? released : i)) },
    resume: inc.held.map((t) => t.execution_id),
  };
}

/** The people notification for a new incident, in Russian and English. */
export function incidentText(inc: Incident, lang: 'ru' | 'en'): string {
  const n = new Set(inc.held.map((t) => t.device_key)).size;
  return lang === 'ru'
    ? `Инцидент ${inc.id}: ${n} из ${inc.fleet} устройств платформы ${inc.platform_id} отказали одновременно. Перезагрузки приостановлены до решения оператора.`
    : `Incident ${inc.id}: ${n} of ${inc.fleet} devices of platform ${inc.platform_id} failed at once. Power-cycles are held until an operator releases them.`;
}
