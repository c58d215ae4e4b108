// Guardrails (issue 10): per-device rolling limit, per-site SMS budget with a visible queue, and
// correlated-failure detection with a burst of N devices.
import { describe, expect, it } from 'vitest';
import { checkDevice, deviceKey, deviceLimit, drainSms, emptyBudget, HOUR_MS, offerSms, pruneHistory, queueView, recordDevice, smsBudget, withdrawSms, type DeviceHistory, type QueuedSms } from '../../../hub/remediation/guardrails.js';
import { correlationConfig, emptyCorrelation, incidentText, observeTrips, releaseIncident, type Trip } from '../../../hub/remediation/correlation.js';
import { MIN, S, T0 } from './fixtures.js';

describe('per device: N remediations per rolling window, then escalate', () => {
  const limit = deviceLimit.parse({ max: 3, window_s: 3600 });
  const key = deviceKey('ar', '10007');

  it('allows three in an hour, escalates the fourth, allows again when the first leaves the window', () => {
    let h: DeviceHistory = {};
    for (const m of [0, 10, 20]) {
      expect(checkDevice(h, key, T0 + m * MIN, limit).allowed).toBe(true);
      h = recordDevice(h, key, T0 + m * MIN, limit);
    }
    const fourth = checkDevice(h, key, T0 + 30 * MIN, limit);
    expect(fourth).toEqual({ allowed: false, recent: 3, retry_at: T0 + 60 * MIN, reason: 'device limit: 3 remediations in 1 h (max 3)' });
    expect(checkDevice(h, key, T0 + 60 * MIN, limit).allowed).toBe(true);
    expect(checkDevice(h, deviceKey('ar', 'other'), T0 + 30 * MIN, limit).allowed).toBe(true);
  });

  it('pruning drops devices with nothing in the window and survives JSON', () => {
    const h = recordDevice(recordDevice({}, 'ar/a', T0, limit), 'ar/b', T0 + 50 * MIN, limit);
    expect(Object.keys(pruneHistory(JSON.parse(JSON.stringify(h)) as DeviceHistory, T0 + 70 * MIN, limit))).toEqual(['ar/b']);
  });
});

describe('per site: SMS budget per hour with a visible queue', () => {
  const cfg = smsBudget.parse({ per_hour: 3, sites: { big: 100 } });
  const sms = (key: string, over: Partial<QueuedSms> = {}): QueuedSms => ({ key, site_id: 'site-a', to: '+79990000001', parts: 1, priority: 0, queued_at: T0, label: key, ...over });

  it('releases up to the budget, queues the rest, and drains as the hour rolls', () => {
    let st = emptyBudget();
    const released: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = offerSms(st, sms(`k${i}`, { queued_at: T0 + i * S }), T0 + i * S, cfg);
      st = r.state;
      released.push(...r.release.map((q) => q.key));
    }
    expect(released).toEqual(['k0', 'k1', 'k2']);
    const view = queueView(st, T0 + 10 * S, cfg);
    expect(view).toEqual([{ site_id: 'site-a', budget_per_hour: 3, sent_last_hour: 3, queued: 2, next_slot_at: T0 + HOUR_MS, items: [expect.objectContaining({ key: 'k3' }), expect.objectContaining({ key: 'k4' })] }]);
    expect(drainSms(st, T0 + HOUR_MS - 1, cfg).release).toEqual([]);
    const later = drainSms(st, T0 + HOUR_MS, cfg);
    expect(later.release.map((q) => q.key)).toEqual(['k3']); // k0 left the hour; k1 leaves 1 s later
    expect(drainSms(later.state, T0 + HOUR_MS + S, cfg).release.map((q) => q.key)).toEqual(['k4']);
  });

  it('people notifications (higher priority) go first; multi-part SMS count each part; sites are independent', () => {
    let st = offerSms(emptyBudget(), sms('long', { parts: 3 }), T0, cfg).state; // uses the whole hour
    st = offerSms(st, sms('cmd', { queued_at: T0 + 1 }), T0 + 1, cfg).state;
    st = offerSms(st, sms('people', { priority: 10, queued_at: T0 + 2 }), T0 + 2, cfg).state;
    const other = offerSms(st, sms('elsewhere', { site_id: 'big' }), T0 + 3, cfg);
    expect(other.release.map((q) => q.key)).toEqual(['elsewhere']);
    expect(queueView(other.state, T0 + 3, cfg)[1]?.items.map((q) => q.key)).toEqual(['people', 'cmd']);
    // Longer than the whole budget: it goes alone in an empty hour, never starves.
    const first = offerSms(emptyBudget(), sms('one'), T0, cfg);
    const big = offerSms(first.state, sms('x', { parts: 4 }), T0, cfg);
    expect(big.release).toEqual([]);
    expect(queueView(big.state, T0, cfg)[0]?.queued).toBe(1);
    expect(drainSms(big.state, T0 + HOUR_MS, cfg).release.map((q) => q.key)).toEqual(['x']);
  });

  it('an offered duplicate is queued once; withdrawn messages leave the queue', () => {
    let st = offerSms(emptyBudget(), sms('a', { parts: 3 }), T0, cfg).state;
    st = offerSms(st, sms('held'), T0, cfg).state;
    st = offerSms(st, sms('held'), T0 + 1, cfg).state;
    expect(st.queue).toHaveLength(1);
    const w = withdrawSms(st, new Set(['held']));
    expect(w.removed.map((q) => q.key)).toEqual(['held']);
    expect(w.state.queue).toEqual([]);
  });
});

describe('correlated failure: a burst of N devices raises one incident', () => {
  const cfg = correlationConfig.parse({ window_s: 300, min_count: 10, min_share: 0.2, share_min_count: 3 });
  const trip = (i: number, at = T0): Trip => ({ execution_id: `ex${i}`, device_key: `d${i}`, at });

  it('50 devices in one cycle: all held, one incident, nothing proceeds', () => {
    const burst = Array.from({ length: 50 }, (_, i) => trip(i));
    const r = observeTrips(emptyCorrelation(), 'ar', burst, 2000, T0, cfg, 'inc1');
    expect(r.opened).toBe(true);
    expect(r.proceed).toEqual([]);
    expect(r.hold).toHaveLength(50);
    expect(r.state.incidents).toHaveLength(1);
    expect(r.incident?.rule).toBe('50 devices within 300 s (count >= 10)');
    expect(incidentText(r.incident!, 'en')).toBe('Incident inc1: 50 of 2000 devices of platform ar failed at once. Power-cycles are held until an operator releases them.');
    expect(incidentText(r.incident!, 'ru')).toContain('50 из 2000');
  });

  it('trips spread over cycles: the one that crosses the count opens the incident and holds the earlier ones; later trips join it', () => {
    let st = emptyCorrelation();
    const proceeded: string[] = [];
    for (let i = 0; i < 9; i++) {
      const r = observeTrips(st, 'ar', [trip(i, T0 + i * 10 * S)], 2000, T0 + i * 10 * S, cfg, `inc${i}`);
      st = r.state;
      proceeded.push(...r.proceed);
    }
    expect(proceeded).toHaveLength(9);
    const tenth = observeTrips(st, 'ar', [trip(9, T0 + 95 * S)], 2000, T0 + 95 * S, cfg, 'incX');
    expect(tenth.opened).toBe(true);
    expect(tenth.hold).toEqual(Array.from({ length: 10 }, (_, i) => `ex${i}`));
    const late = observeTrips(tenth.state, 'ar', [trip(10, T0 + 20 * MIN)], 2000, T0 + 20 * MIN, cfg, 'incY');
    expect(late).toMatchObject({ opened: false, hold: ['ex10'], proceed: [] });
    expect(late.incident?.held).toHaveLength(11);
    expect(late.state.incidents).toHaveLength(1);
    // Another platform is independent.
    expect(observeTrips(late.state, 'cm', [trip(99)], 10, T0, cfg, 'z').proceed).toEqual(['ex99']);
  });

  it('trips outside the window do not add up; the same device counts once', () => {
    let st = emptyCorrelation();
    for (let i = 0; i < 9; i++) st = observeTrips(st, 'ar', [trip(i, T0)], 2000, T0, cfg, 'a').state;
    expect(observeTrips(st, 'ar', [trip(9, T0 + 301 * S)], 2000, T0 + 301 * S, cfg, 'b').opened).toBe(false);
    let st2 = emptyCorrelation();
    for (let k = 0; k < 12; k++) st2 = observeTrips(st2, 'ar', [{ execution_id: `e${k}`, device_key: 'flappy', at: T0 + k * S }], 2000, T0 + k * S, cfg, 'c').state;
    expect(st2.incidents).toEqual([]);
  });

  it('share rule: 3 of 12 devices (25 %) trips it, 2 of 5 does not (share_min_count)', () => {
    expect(observeTrips(emptyCorrelation(), 'cm', [0, 1, 2].map((i) => trip(i)), 12, T0, cfg, 'i').incident?.rule).toBe('3 of 12 devices within 300 s (share >= 20 %)');
    expect(observeTrips(emptyCorrelation(), 'cm', [0, 1].map((i) => trip(i)), 5, T0, cfg, 'i').opened).toBe(false);
  });

  it('one call releases every held execution; the same burst does not reopen it', () => {
    const r = observeTrips(emptyCorrelation(), 'ar', Array.from({ length: 12 }, (_, i) => trip(i)), 2000, T0, cfg, 'inc1');
    const rel = releaseIncident(r.state, 'inc1', 'ops@example', T0 + 5 * MIN);
    if ('error' in rel) throw new Error(rel.error);
    expect(rel.resume).toHaveLength(12);
    expect(rel.state.incidents[0]).toMatchObject({ status: 'released', released_by: 'ops@example', released_at: T0 + 5 * MIN });
    expect(observeTrips(rel.state, 'ar', [trip(50, T0 + 5 * MIN)], 2000, T0 + 5 * MIN, cfg, 'inc2').proceed).toEqual(['ex50']);
    expect(releaseIncident(rel.state, 'inc1', 'x', T0)).toEqual({ error: 'incident inc1 is already released' });
    expect(releaseIncident(rel.state, 'nope', 'x', T0)).toEqual({ error: 'incident nope does not exist' });
  });
});
