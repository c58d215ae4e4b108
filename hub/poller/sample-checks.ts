// Sample checks of a platform's answers (issue 21): with `prometheus.max_sample_age_s` set, the
// per-metric query also returns, in the same request, the devices whose freshest sample is older
// than that (they count as no data: an answer an hour old is not the current state) and the
// devices with more than one series (duplicates such as two exporter replicas or a double
// scrape; the value used stays the max, the cycle reports them). Without the setting the query
// is the plain one and nothing is checked. Pure, plus the two gauges the hub exposes.
import { Gauge, type Registry } from 'prom-client';
import type { VectorSample } from '../prometheus/client.js';

export const CHECK_LABEL = 'gsmjobs_check';

/** The plain per-metric query, or the checked one when `maxAgeS` is set. */
export function metricQuery(sel: string, keyType: string, maxAgeS: number | null | undefined): string {
  const by = `by (platform_id, ${keyType})`;
  const plain = `max ${by} (${sel})`;
  if (maxAgeS === null || maxAgeS === undefined) return plain;
  return [
    plain,
    `label_replace(min ${by} (time() - timestamp(${sel})) > ${maxAgeS}, "${CHECK_LABEL}", "stale", "", "")`,
    `label_replace(count ${by} (${sel}) > 1, "${CHECK_LABEL}", "duplicates", "", "")`,
  ].join(' or ');
}

export interface SplitResult {
  values: VectorSample[];
  /** Device key label value -> age of its freshest sample, seconds. */
  stale: Map<string, number>;
  /** Device key label value -> series count. */
  duplicates: Map<string, number>;
}

/** Separate the values from the check series; stale devices are dropped from the values. */
export function splitChecked(result: readonly VectorSample[], keyType: string): SplitResult {
  const out: SplitResult = { values: [], stale: new Map(), duplicates: new Map() };
  for (const s of result) {
    const check = s.metric[CHECK_LABEL];
    const key = s.metric[keyType] ?? '';
    if (check === 'stale') out.stale.set(key, s.value);
    else if (check === 'duplicates') out.duplicates.set(key, s.value);
    else if (check === undefined) out.values.push(s);
  }
  if (out.stale.size) out.values = out.values.filter((s) => !out.stale.has(s.metric[keyType] ?? ''));
  return out;
}

/** One platform's findings in one cycle. */
export interface SampleChecks {
  stale_samples: number;
  duplicate_series: number;
  /** A few `metric device` examples of each, for the log. */
  stale_examples: string[];
  duplicate_examples: string[];
}

export function emptyChecks(): SampleChecks {
  return { stale_samples: 0, duplicate_series: 0, stale_examples: [], duplicate_examples: [] };
}

export function addChecks(into: SampleChecks, metric: string, split: SplitResult, keep = 5): void {
  into.stale_samples += split.stale.size;
  into.duplicate_series += split.duplicates.size;
  for (const [k, age] of split.stale) if (into.stale_examples.length < keep) into.stale_examples.push(`${metric} ${k} (${Math.round(age)} s old)`);
  for (const [k, n] of split.duplicates) if (into.duplicate_examples.length < keep) into.duplicate_examples.push(`${metric} ${k} (${n} series)`);
}

export interface SampleMetrics {
  set(platformId: string, c: SampleChecks): void;
}

/** `gsmjobs_hub_stale_samples{platform_id}` and `gsmjobs_hub_duplicate_series{platform_id}`, per the last cycle. */
export function registerSampleMetrics(registry: Registry): SampleMetrics {
  const stale = new Gauge({ name: 'gsmjobs_hub_stale_samples', help: 'Device samples older than the platform\'s max_sample_age_s in the last cycle (counted as no data).', labelNames: ['platform_id'], registers: [registry] });
  const dups = new Gauge({ name: 'gsmjobs_hub_duplicate_series', help: 'Devices answered with more than one series for a metric in the last cycle (the max is used).', labelNames: ['platform_id'], registers: [registry] });
  return {
    set(platformId, c) {
      stale.set({ platform_id: platformId }, c.stale_samples);
      dups.set({ platform_id: platformId }, c.duplicate_series);
    },
  };
}
