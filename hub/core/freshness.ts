// Freshness of a platform's data source. The gsmjobs exporter keeps serving its cache while the
// AddReality API is down and marks it with signage_exporter_account_up{platform_id,account} = 0;
// while that holds, the platform's device series are stale and count as "no data" (jobs with
// the no-data policy `ignore` stay quiet, jobs that fire after N minutes of no data do).
// Pure: the rule, the query it needs and the evaluation of the answer.
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
  stale: boolean;
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
  return {
    stale: matching.length > 0,
    series: own.length,
    matching: matching.length,
    stale_sources: matching.map((r) => {
      const { __name__: _n, platform_id: _p, ...rest } = r.metric;
      return rest;
    }),
  };
}
