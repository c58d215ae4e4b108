// Carrier awareness in the fleet report (issue 19), pure: per site the parts each modem sent in
// a date range (the hub's own records: every message names the modem that sent it), what each
// modem reports live (parts and cost since the agent's midnight, at the price configured on the
// agent), and a daily cost estimate: the range's parts per day times each modem's price per part
// (its configured price from the status, else its cost today over its parts today). Sums per platform and currency.
import type { SmsRecord } from './aggregates.js';
import { SMS_FAILURES } from './aggregates.js';

const DAY_MS = 86_400_000;

/** What a modem's live status (agent status v2 `modems[]`) says; fields absent in v1. */
export interface ModemReading {
  id: string;
  carrier?: string | undefined;
  state?: string | undefined;
  parts_today?: number | undefined;
  cost_today?: number | undefined;
  /** The agent's configured price of one part (status v2); preferred over cost/parts. */
  price_per_part?: number | undefined;
  currency?: string | undefined;
}

export interface ModemCost {
  /** The modem's id; '' for parts whose update named no modem (agents before issue 19). */
  modem: string;
  carrier: string | null;
  /** Live state of the modem; null when the live status does not list it. */
  state: string | null;
  /** Parts sent through this modem in the range (hub records, failures excluded). */
  parts: number;
  parts_today: number | null;
  cost_today: number | null;
  currency: string | null;
  /** cost_today / parts_today; for '' the site's average price; null when unknown. */
  price_per_part: number | null;
  /** parts per day of the range times price_per_part; null without a price. */
  daily_cost_estimate: number | null;
}

export interface SiteCost {
  platform_id: string;
  site_id: string;
  /** Days of the range the estimate is over (at least one). */
  days: number;
  parts: number;
  parts_today: number | null;
  /** The currency every priced modem of the site uses; null when none says or they differ. */
  currency: string | null;
  cost_today: number | null;
  daily_cost_estimate: number | null;
  modems: ModemCost[];
}

export interface CurrencyTotal {
  currency: string;
  parts_today: number;
  cost_today: number;
  daily_cost_estimate: number;
}

export interface PlatformCost {
  platform_id: string;
  parts: number;
  parts_today: number;
  /** One total per currency (sites whose currency is unknown or mixed are left out of these). */
  currencies: CurrencyTotal[];
}

const round = (n: number) => Math.round(n * 10_000) / 10_000;

/** Days between since and until (until capped at now), at least one. */
export function rangeDays(range: { since: number; until: number }, now: number): number {
  return Math.max(1, (Math.min(range.until, now) - range.since) / DAY_MS);
}

function priceOf(m: ModemReading): number | null {
  if (m.price_per_part !== undefined) return m.price_per_part;
  return m.parts_today && m.parts_today > 0 && m.cost_today !== undefined ? m.cost_today / m.parts_today : null;
}

/**
 * One site's costs. `sms`: the site's records (any site's are filtered out); `live`: the modems of
 * its live status (empty when none is known); `range`: the report's range, `now` caps its end.
 */
export function siteCost(platformId: string, siteId: string, sms: readonly SmsRecord[], live: readonly ModemReading[], range: { since: number; until: number }, now: number): SiteCost {
  const days = rangeDays(range, now);
  const sent = new Map<string, number>();
  for (const s of sms) {
    if (s.platform_id !== platformId || s.site_id !== siteId || SMS_FAILURES.has(s.state) || s.at < range.since || s.at >= range.until) continue;
    const k = s.modem ?? '';
    sent.set(k, (sent.get(k) ?? 0) + s.parts);
  }
  const currencies = new Set(live.filter((m) => m.currency).map((m) => m.currency as string));
  const currency = currencies.size === 1 ? ([...currencies][0] as string) : null;
  const priced = live.filter((m) => m.currency === currency && priceOf(m) !== null);
  const pricedParts = priced.reduce((n, m) => n + (m.parts_today ?? 0), 0);
  const average = currency && pricedParts > 0 ? priced.reduce((n, m) => n + (m.cost_today ?? 0), 0) / pricedParts : null;
  const rows: ModemCost[] = live.map((m) => {
    const parts = sent.get(m.id) ?? 0;
    sent.delete(m.id);
    const price = currency && m.currency === currency ? (priceOf(m) ?? average) : priceOf(m);
    return {
      modem: m.id,
      carrier: m.carrier ?? null,
      state: m.state ?? null,
      parts,
      parts_today: m.parts_today ?? null,
      cost_today: m.cost_today ?? null,
      currency: m.currency ?? null,
      price_per_part: price === null ? null : round(price),
      daily_cost_estimate: price === null ? null : round((parts / days) * price),
    };
  });
  // Parts through modems the live status does not list (gone, or not named by the agent).
  for (const [modem, parts] of [...sent].sort(([a], [b]) => a.localeCompare(b))) {
    rows.push({ modem, carrier: null, state: null, parts, parts_today: null, cost_today: null, currency, price_per_part: average === null ? null : round(average), daily_cost_estimate: average === null ? null : round((parts / days) * average) });
  }
  const inCurrency = rows.filter((r) => currency !== null && r.currency === currency);
  const known = live.filter((m) => m.parts_today !== undefined);
  const estimates = inCurrency.filter((r) => r.daily_cost_estimate !== null);
  return {
    platform_id: platformId,
    site_id: siteId,
    days: round(days),
    parts: rows.reduce((n, r) => n + r.parts, 0),
    parts_today: known.length ? known.reduce((n, m) => n + (m.parts_today ?? 0), 0) : null,
    currency,
    cost_today: currency ? round(live.filter((m) => m.currency === currency).reduce((n, m) => n + (m.cost_today ?? 0), 0)) : null,
    daily_cost_estimate: estimates.length ? round(estimates.reduce((n, r) => n + (r.daily_cost_estimate ?? 0), 0)) : null,
    modems: rows,
  };
}

/** The platform's sum: parts, and per currency the cost today and the daily estimate. */
export function platformCost(platformId: string, sites: readonly SiteCost[]): PlatformCost {
  const by = new Map<string, CurrencyTotal>();
  for (const s of sites) {
    if (!s.currency) continue;
    const t = by.get(s.currency) ?? { currency: s.currency, parts_today: 0, cost_today: 0, daily_cost_estimate: 0 };
    t.parts_today += s.parts_today ?? 0;
    t.cost_today = round(t.cost_today + (s.cost_today ?? 0));
    t.daily_cost_estimate = round(t.daily_cost_estimate + (s.daily_cost_estimate ?? 0));
    by.set(s.currency, t);
  }
  return {
    platform_id: platformId,
    parts: sites.reduce((n, s) => n + s.parts, 0),
    parts_today: sites.reduce((n, s) => n + (s.parts_today ?? 0), 0),
    currencies: [...by.values()].sort((a, b) => a.currency.localeCompare(b.currency)),
  };
}

/** CSV rows: one per modem of each site, with the site's own estimate beside. */
export function carrierCsvRows(sites: readonly SiteCost[]): Array<Record<string, string | number | null>> {
  return sites.flatMap((s) =>
    s.modems.map((m) => ({
      platform_id: s.platform_id,
      site_id: s.site_id,
      modem: m.modem,
      carrier: m.carrier,
      state: m.state,
      parts: m.parts,
      parts_today: m.parts_today,
      cost_today: m.cost_today,
      currency: m.currency,
      price_per_part: m.price_per_part,
      daily_cost_estimate: m.daily_cost_estimate,
      site_daily_cost_estimate: s.daily_cost_estimate,
    })),
  );
}

export const CARRIER_CSV_COLUMNS = ['platform_id', 'site_id', 'modem', 'carrier', 'state', 'parts', 'parts_today', 'cost_today', 'currency', 'price_per_part', 'daily_cost_estimate', 'site_daily_cost_estimate'] as const;

/** The modems of a live status: v2 `modems[]`; a v1 status's one `modem` as id ''. */
export function modemReadings(status: { modem?: { state: string; operator?: string | undefined } | undefined; modems?: ReadonlyArray<ModemReading & { state: string }> | undefined } | null | undefined): ModemReading[] {
  if (!status) return [];
  if (status.modems) return status.modems.map((m) => ({ id: m.id, carrier: m.carrier, state: m.state, parts_today: m.parts_today, cost_today: m.cost_today, price_per_part: m.price_per_part, currency: m.currency }));
  return status.modem ? [{ id: '', carrier: status.modem.operator, state: status.modem.state }] : [];
}
