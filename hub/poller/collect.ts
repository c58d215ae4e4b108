// Batched metric collection: one instant query per (platform, metric, key type) in use, never
// per job, so requests per cycle grow with the distinct metrics and not with the jobs.
import type { PrometheusEndpoint } from '../model/entities.js';
import type { Job } from '../model/job.js';
import { selector } from '../core/promql.js';
import type { QueryFn } from '../prometheus/client.js';
import { addChecks, emptyChecks, metricQuery, type SampleChecks, splitChecked } from './sample-checks.js';

/** What needs data: a job's conditions on its device, or a verify step's on the execution's device. */
export type Watched = Pick<Job, 'conditions' | 'device'>;

export const deviceKey = (keyType: string, key: string) => `${keyType}=${key}`;

export interface Snapshot {
  /** device key -> metric -> value */
  samples: Map<string, Map<string, number>>;
  /** `metric|key_type` of the queries that failed (their jobs are not evaluated). */
  failed: Set<string>;
  requests: number;
  errors: string[];
  /** Stale samples and duplicate series found (only with `max_sample_age_s`; sample-checks.ts). */
  checks?: SampleChecks;
}

export function queryKey(metric: string, keyType: string): string {
  return `${metric}|${keyType}`;
}

/** The distinct (metric, key type) pairs the jobs need. */
export function neededQueries(jobs: ReadonlyArray<Watched>): Array<{ metric: string; keyType: string }> {
  const seen = new Map<string, { metric: string; keyType: string }>();
  for (const j of jobs) {
    for (const c of j.conditions) seen.set(queryKey(c.metric, j.device.key_type), { metric: c.metric, keyType: j.device.key_type });
  }
  return [...seen.values()];
}

/** `guard` wraps each selector, e.g. to leave out stale accounts (core/freshness.ts staleGuard). */
export async function collect(platformId: string, endpoint: PrometheusEndpoint, jobs: ReadonlyArray<Watched>, query: QueryFn, guard?: (selector: string) => string): Promise<Snapshot> {
  const snap: Snapshot = { samples: new Map(), failed: new Set(), requests: 0, errors: [] };
  const needed = neededQueries(jobs);
  await Promise.all(
    needed.map(async ({ metric, keyType }) => {
      snap.requests++;
      // One value per device (max over duplicates such as exporter replicas), only the labels needed.
      // With max_sample_age_s, the same request also names stale devices and duplicate series.
      const maxAge = endpoint.max_sample_age_s;
      const sel = selector(platformId, metric, [{ label: keyType, op: '!=', value: '' }]);
      const promql = metricQuery(guard ? guard(sel) : sel, keyType, maxAge);
      try {
        let result = await query(endpoint, promql);
        if (maxAge !== null && maxAge !== undefined) {
          const split = splitChecked(result, keyType);
          addChecks((snap.checks ??= emptyChecks()), metric, split);
          result = split.values;
        }
        for (const s of result) {
          // Belt and braces: never accept a series of another tenant.
          if (s.metric.platform_id !== platformId) continue;
          const key = s.metric[keyType];
          if (!key || Number.isNaN(s.value)) continue;
          const dk = deviceKey(keyType, key);
          let m = snap.samples.get(dk);
          if (!m) snap.samples.set(dk, (m = new Map()));
          if (!m.has(metric)) m.set(metric, s.value);
        }
      } catch (err) {
        snap.failed.add(queryKey(metric, keyType));
        snap.errors.push(`${metric}: ${(err as Error).message}`);
      }
    }),
  );
  return snap;
}
