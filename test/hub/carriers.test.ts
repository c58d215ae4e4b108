// Carrier awareness (issue 19): the fleet report's per-site cost from the modems' live prices and
// the hub's per-modem records, its platform sums, the CSV rows, and the /metrics gauges.
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createHubMetrics, type ModemSample } from '../../hub/metrics.js';
import type { SmsRecord } from '../../hub/remediation/aggregates.js';
import { carrierCsvRows, modemReadings, platformCost, rangeDays, siteCost } from '../../hub/remediation/carriers.js';

const DAY = 86_400_000;
const T0 = Date.parse('2026-12-01T00:00:00Z');
const range = { since: T0, until: T0 + 10 * DAY };
const now = T0 + 10 * DAY;
const sms = (site: string, parts: number, modem?: string, state = 'delivered', at = T0 + DAY): SmsRecord => ({ platform_id: 'a', site_id: site, at, state, parts, kind: 'command', ...(modem ? { modem } : {}) });

describe('site costs', () => {
  it('prices each modem from its cost today over its parts today and estimates a day of the range', () => {
    const live = [
      { id: 'mts', carrier: 'MTS', state: 'up', parts_today: 4, cost_today: 10, currency: 'RUB' },
      { id: 'mega', carrier: 'Megafon', state: 'down', parts_today: 2, cost_today: 3, currency: 'RUB' },
    ];
    const records = [sms('s1', 20, 'mts'), sms('s1', 10, 'mega'), sms('s1', 5, 'mts', 'failed'), sms('s2', 7, 'mts'), sms('s1', 3, 'mts', 'delivered', T0 - DAY)];
    const s = siteCost('a', 's1', records, live, range, now);
    expect(s.days).toBe(10);
    expect(s.parts).toBe(30);
    expect(s.parts_today).toBe(6);
    expect(s.currency).toBe('RUB');
    expect(s.cost_today).toBe(13);
    const [mts, mega] = s.modems;
    expect(mts).toMatchObject({ modem: 'mts', carrier: 'MTS', state: 'up', parts: 20, price_per_part: 2.5, daily_cost_estimate: 5 });
    expect(mega).toMatchObject({ modem: 'mega', parts: 10, price_per_part: 1.5, daily_cost_estimate: 1.5 });
    expect(s.daily_cost_estimate).toBe(6.5);
  });

  it('prices parts of an unnamed or vanished modem at the site average, and a modem with nothing sent today at that average too', () => {
    const live = [
      { id: 'm1', state: 'up', parts_today: 10, cost_today: 20, currency: 'RUB' },
      { id: 'm2', state: 'up', parts_today: 0, cost_today: 0, currency: 'RUB' },
    ];
    const s = siteCost('a', 's1', [sms('s1', 10), sms('s1', 20, 'm2'), sms('s1', 5, 'old')], live, range, now);
    expect(s.modems.map((m) => m.modem)).toEqual(['m1', 'm2', '', 'old']);
    expect(s.modems[1]).toMatchObject({ parts: 20, price_per_part: 2, daily_cost_estimate: 4 });
    expect(s.modems[2]).toMatchObject({ parts: 10, state: null, price_per_part: 2, daily_cost_estimate: 2 });
    expect(s.modems[3]).toMatchObject({ parts: 5, daily_cost_estimate: 1 });
    expect(s.daily_cost_estimate).toBe(7);
  });

  it('prices a modem at the price its status v2 states, also with nothing sent today', () => {
    const live = [
      { id: 'm1', state: 'up', parts_today: 10, cost_today: 20, price_per_part: 2, currency: 'RUB' },
      { id: 'm2', state: 'up', parts_today: 0, cost_today: 0, price_per_part: 3.5, currency: 'RUB' },
    ];
    const s = siteCost('a', 's1', [sms('s1', 10, 'm1'), sms('s1', 20, 'm2')], live, range, now);
    expect(s.modems[0]).toMatchObject({ modem: 'm1', price_per_part: 2, daily_cost_estimate: 2 });
    expect(s.modems[1]).toMatchObject({ modem: 'm2', price_per_part: 3.5, daily_cost_estimate: 7 });
    expect(modemReadings({ modems: live })[1]).toMatchObject({ id: 'm2', price_per_part: 3.5 });
  });

  it('says nothing it does not know: v1 status, no prices, mixed currencies', () => {
    const v1 = modemReadings({ modem: { state: 'up', operator: 'MTS RUS' } });
    expect(v1).toEqual([{ id: '', carrier: 'MTS RUS', state: 'up' }]);
    const s = siteCost('a', 's1', [sms('s1', 4)], v1, range, now);
    expect(s).toMatchObject({ parts: 4, parts_today: null, currency: null, cost_today: null, daily_cost_estimate: null });
    expect(s.modems).toHaveLength(1);
    const mixed = siteCost('a', 's1', [], [{ id: 'x', parts_today: 1, cost_today: 1, currency: 'RUB' }, { id: 'y', parts_today: 1, cost_today: 1, currency: 'KZT' }], range, now);
    expect(mixed.currency).toBeNull();
    expect(mixed.daily_cost_estimate).toBeNull();
    expect(modemReadings(null)).toEqual([]);
  });

  it('sums a platform per currency and writes one CSV row per modem', () => {
    const a = siteCost('a', 's1', [sms('s1', 10, 'm')], [{ id: 'm', parts_today: 2, cost_today: 4, currency: 'RUB' }], range, now);
    const b = siteCost('a', 's2', [sms('s2', 30, 'n')], [{ id: 'n', parts_today: 1, cost_today: 1, currency: 'RUB' }], range, now);
    const c = siteCost('a', 's3', [], [{ id: 'k', parts_today: 5, cost_today: 50, currency: 'KZT' }], range, now);
    const p = platformCost('a', [a, b, c]);
    expect(p.parts).toBe(40);
    expect(p.parts_today).toBe(8);
    expect(p.currencies).toEqual([
      { currency: 'KZT', parts_today: 5, cost_today: 50, daily_cost_estimate: 0 },
      { currency: 'RUB', parts_today: 3, cost_today: 5, daily_cost_estimate: 5 },
    ]);
    const rows = carrierCsvRows([a, b]);
    expect(rows).toHaveLength(2);
    expect(rows[1]).toMatchObject({ site_id: 's2', modem: 'n', parts: 30, price_per_part: 1, daily_cost_estimate: 3, site_daily_cost_estimate: 3 });
  });

  it('counts the range up to now, at least a day', () => {
    expect(rangeDays({ since: T0, until: T0 + 30 * DAY }, T0 + 3 * DAY)).toBe(3);
    expect(rangeDays({ since: T0, until: T0 + DAY }, T0 + 1000)).toBe(1);
  });
});

describe('per-modem gauges', () => {
  it('exports state, parts and cost per modem with the platform label, and drops what is gone', async () => {
    const registry = new Registry();
    let samples: ModemSample[] = [
      { platform_id: 'a', site_id: 's1', modem: 'mts', up: true, parts_today: 4, cost_today: 10, currency: 'RUB' },
      { platform_id: 'a', site_id: 's1', modem: 'mega', up: false },
      { platform_id: 'b', site_id: 'x', modem: 'm', up: true, parts_today: 1, cost_today: 2.5, currency: 'KZT' },
    ];
    createHubMetrics(registry, { jobStates: () => new Map(), mqttUp: () => true, sitesOnline: () => new Map(), prometheusUp: () => true, incidentsOpen: () => new Map(), smsQueued: () => [], modems: () => samples });
    const text = await registry.metrics();
    expect(text).toContain('gsmjobs_hub_modem_up{platform_id="a",site_id="s1",modem="mts"} 1');
    expect(text).toContain('gsmjobs_hub_modem_up{platform_id="a",site_id="s1",modem="mega"} 0');
    expect(text).toContain('gsmjobs_hub_site_sms_parts_today{platform_id="a",site_id="s1",modem="mts"} 4');
    expect(text).not.toContain('gsmjobs_hub_site_sms_parts_today{platform_id="a",site_id="s1",modem="mega"}');
    expect(text).toContain('gsmjobs_hub_site_sms_cost_today{platform_id="a",site_id="s1",modem="mts",currency="RUB"} 10');
    expect(text).toContain('gsmjobs_hub_site_sms_cost_today{platform_id="b",site_id="x",modem="m",currency="KZT"} 2.5');
    samples = samples.slice(2);
    const after = await registry.metrics();
    expect(after).not.toContain('platform_id="a"');
    expect(after).toContain('gsmjobs_hub_modem_up{platform_id="b",site_id="x",modem="m"} 1');
  });
});
