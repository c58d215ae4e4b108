// Freshness of a platform's data source. The gsmjobs exporter keeps serving its cache while the
// AddReality API is down and marks it with signage_exporter_account_up{platform_id,account} = 0;
// while that holds, that account's device series are stale and count as "no data" (jobs with
// the no-data policy `ignore` stay quiet, jobs that fire after N minutes of no data do).
//
// Per account: the exporter's device series carry the same `account` label, so the metric
// queries leave out the series of stale accounts (staleGuard), and a CubicMedia outage does not
// blank the AddReality devices of the same platform. A stale series without an `account` label
// (another source's health metric), or every account stale, makes the whole platform stale.
// Pure: the rule, the queries it needs and the evaluation of the answer.
import { z } from 'zod';
import { selector } from './promql.js';

export const staleRule = z
  .object({
    /** A metric of the platform's source health, e.g. the exporter's account_up. */
    metric: z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, 'must be a Prometheus metric name'),
    /** The data is stale while any series of the metric (of the platform) has this value. */
    equals: z.number(),
  })
  .strict();
export type StaleRule = z.infer<typeof staleRule>;

/** Default for every platform: series from the gsmjobs exporter. Absent metric = never stale. */
export const DEFAULT_STALE_RULE: StaleRule = { metric: 'signage_exporter_account_up', equals: 0 };

/** The platform's rule: undefined means the default, null means "no freshness check". */
export function staleRuleOf(platform: { stale_when?: StaleRule | null | undefined }): StaleRule | null {
  return platform.stale_when === undefined ? DEFAULT_STALE_RULE : platform.stale_when;
}

/** One instant query per platform and cycle: the rule's metric, scoped to the platform. */
export function staleQuery(platformId: string, rule: StaleRule): string {
  return selector(platformId, rule.metric);
}

export interface Freshness {
  /** The whole platform is stale: every device counts as no data. */
  stale: boolean;
  /** Accounts whose series are stale; their devices count as no data (staleGuard), the others not. */
  stale_accounts: string[];
  /** Series of the rule's metric seen for the platform, and how many of them say "stale". */
  series: number;
  matching: number;
  /** Label sets (without platform_id/__name__) of the stale series, e.g. {account: "main"}. */
  stale_sources: Array<Record<string, string>>;
}

/** Evaluate the rule's answer. Series of another platform are ignored; no series = fresh. */
export function evaluateFreshness(rule: StaleRule, platformId: string, rows: ReadonlyArray<{ metric: Record<string, string>; value: number }>): Freshness {
  const own = rows.filter((r) => r.metric.platform_id === platformId && !Number.isNaN(r.value));
  const matching = own.filter((r) => r.value === rule.equals);
  const perAccount = matching.every((r) => !!r.metric.account) && matching.length < own.length;
  return {
    stale: matching.length > 0 && !perAccount,
    stale_accounts: [...new Set(matching.map((r) => r.metric.account ?? '').filter(Boolean))].sort(),
    series: own.length,
    matching: matching.length,
    stale_sources: matching.map((r) => {
      const { __name__: _n, platform_id: _p, ...rest } = r.metric;
      return rest;
    }),
  };
}

/**
 * Wrap a metric selector of the platform so that series of stale accounts are left out: a
 * series is dropped when its `account` label names an account whose health series has the
 * stale value. Evaluated by Prometheus in the same query, so no cycle can see a stale
 * account's values between the probe and the metric query. Undefined: no rule, no guard.
 */
export function staleGuard(platformId: string, rule: StaleRule | null): ((selector: string) => string) | undefined {
  if (!rule) return undefined;
  return (sel) => `${sel} unless on (account) (${staleQuery(platformId, rule)} == ${rule.equals})`;
}
