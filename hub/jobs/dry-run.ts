// Dry run: evaluate one job now against live data and say what would happen, without firing.
import type { Catalog } from '../catalog/catalog.js';
import { stepText } from '../core/action.js';
import { evalConditions } from '../core/conditions.js';
import { advance } from '../core/machine.js';
import { selector } from '../core/promql.js';
import { inWindows } from '../core/windows.js';
import type { Platform } from '../model/entities.js';
import { firstSend, initialRuntime, type Job, type JobRuntime, type JobState } from '../model/job.js';
import { evaluateFreshness, staleQuery, staleRuleOf } from '../core/freshness.js';
import type { Lang } from '../core/lang.js';
import type { QueryFn } from '../prometheus/client.js';
import { dryReason, type DryReason } from './dry-reasons.js';
import { scopeOf, type StorePort } from '../store/port.js';

export interface DryRunResult {
  values: Record<string, number | null>;
  /** true / false / null (no data) */
  conditions_hold: boolean | null;
  in_window: boolean;
  state: JobState;
  next_state: JobState;
  would_fire: boolean;
  /** The reason in the caller's language; `reason_detail` has its code and both languages. */
  reason: string;
  reason_detail: DryReason;
  /** The platform's source is stale (its freshness rule): values count as no data. */
  source_stale: boolean;
  /** The SMS the job would send, or why it cannot: `error` in words, `code` + `params` for the form (issue 17). */
  sms: { site_id: string; site_online: boolean | null; to: string; text: string; parts: number; encoding: string } | { error: string; field: string; code: string; params: Record<string, unknown> } | null;
  prometheus_error?: string;
}

export async function dryRun(job: Job, platform: Platform, deps: { port: StorePort; catalogs: ReadonlyMap<string, Catalog>; query: QueryFn; now: number; siteOnline?: (platformId: string, siteId: string) => boolean | null; lang?: Lang }): Promise<DryRunResult> {
  const { port, now } = deps;
  const scope = scopeOf(platform.id);
  const values: Record<string, number | null> = {};
  const sample = new Map<string, number>();
  let prometheusError: string | undefined;
  let stale = false;
  const metrics = [...new Set(job.conditions.map((c) => c.metric))];
  const rule = staleRuleOf(platform);
  try {
    await Promise.all([
      rule ? deps.query(platform.prometheus, staleQuery(platform.id, rule)).then((rows) => void (stale = evaluateFreshness(rule, platform.id, rows).stale)) : null,
      ...metrics.map(async (m) => {
        const rows = await deps.query(platform.prometheus, selector(platform.id, m, [{ label: job.device.key_type, op: '=', value: job.device.key }]));
        const row = rows.find((r) => r.metric.platform_id === platform.id);
        if (row && !Number.isNaN(row.value)) sample.set(m, row.value);
      }),
    ]);
  } catch (err) {
    prometheusError = (err as Error).message;
  }
  for (const m of metrics) values[m] = sample.get(m) ?? null;
  // A stale source's values are shown but are not evidence, as in the poller.
  const holds = prometheusError ? undefined : evalConditions(job.conditions, job.combine, stale ? new Map() : sample);
  const rt: JobRuntime = (await port.runtime.get(scope, job.id)) ?? initialRuntime(now);
  const next = prometheusError ? { rt, fire: null } : advance(job, rt, holds, now);
  const step = firstSend(job.steps);
  const device = step ? await port.controlDevices.get(scope, step.control_device_id) : undefined;
  let sms: DryRunResult['sms'] = null;
  if (step && device) {
    const t = stepText(step, device, deps.catalogs, { job, values });
    const siteOnline = deps.siteOnline?.(platform.id, step.site_id) ?? null;
    sms = t.ok ? { site_id: step.site_id, site_online: siteOnline, to: device.phone, text: t.text, parts: t.parts, encoding: t.encoding } : { error: t.message, field: `steps[0].${t.field}`, code: t.code, params: { ...t.params } };
  }
  const inWindow = inWindows(job.windows, now);
  let reason: DryReason;
  if (prometheusError) reason = dryReason('prometheus_error', { error: prometheusError });
  else if (next.fire) reason = dryReason(next.fire === 'no_data' ? 'would_fire_no_data' : 'would_fire');
  else if (!job.enabled) reason = dryReason('disabled');
  else if (holds === undefined) reason = dryReason(stale ? 'source_stale' : 'no_data');
  else if (!holds) reason = dryReason('not_hold');
  else if (!inWindow) reason = dryReason('outside_window');
  else if (next.rt.state === 'firing') reason = dryReason('already_fired');
  else if (next.rt.state === 'cooldown') reason = dryReason('cooldown');
  else reason = dryReason('pending', { for_s: job.for_s });
  return {
    values,
    conditions_hold: holds ?? null,
    in_window: inWindow,
    state: rt.state,
    next_state: next.rt.state,
    would_fire: job.enabled && next.fire !== null,
    reason: reason.text[deps.lang ?? 'ru'],
    reason_detail: reason,
    source_stale: stale,
    sms,
    ...(prometheusError ? { prometheus_error: prometheusError } : {}),
  };
}
