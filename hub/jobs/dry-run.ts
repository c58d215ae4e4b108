// Dry run: evaluate one job now against live data and say what would happen, without firing.
import type { Catalog } from '../catalog/catalog.js';
import { stepText } from '../core/action.js';
import { evalConditions } from '../core/conditions.js';
import { advance } from '../core/machine.js';
import { selector } from '../core/promql.js';
import { inWindows } from '../core/windows.js';
import type { Platform } from '../model/entities.js';
import { initialRuntime, type Job, type JobRuntime, type JobState } from '../model/job.js';
import type { QueryFn } from '../prometheus/client.js';
import type { HubStore } from '../store/store.js';

export interface DryRunResult {
  values: Record<string, number | null>;
  /** true / false / null (no data) */
  conditions_hold: boolean | null;
  in_window: boolean;
  state: JobState;
  next_state: JobState;
  would_fire: boolean;
  reason: string;
  sms: { site_id: string; site_online: boolean | null; to: string; text: string; parts: number; encoding: string } | { error: string; field: string } | null;
  prometheus_error?: string;
}

export async function dryRun(job: Job, platform: Platform, deps: { store: HubStore; catalogs: ReadonlyMap<string, Catalog>; query: QueryFn; now: number; siteOnline?: (platformId: string, siteId: string) => boolean | null }): Promise<DryRunResult> {
  const { store, now } = deps;
  const values: Record<string, number | null> = {};
  const sample = new Map<string, number>();
  let prometheusError: string | undefined;
  const metrics = [...new Set(job.conditions.map((c) => c.metric))];
  try {
    await Promise.all(
      metrics.map(async (m) => {
        const rows = await deps.query(platform.prometheus, selector(platform.id, m, [{ label: job.device.key_type, op: '=', value: job.device.key }]));
        const row = rows.find((r) => r.metric.platform_id === platform.id);
        if (row && !Number.isNaN(row.value)) sample.set(m, row.value);
      }),
    );
  } catch (err) {
    prometheusError = (err as Error).message;
  }
  for (const m of metrics) values[m] = sample.get(m) ?? null;
  const holds = prometheusError ? undefined : evalConditions(job.conditions, job.combine, sample);
  const rt: JobRuntime = store.jobRuntime(job.id) ?? initialRuntime(now);
  const next = prometheusError ? { rt, fire: null } : advance(job, rt, holds, now);
  const step = job.steps[0];
  const device = step ? store.controlDevice(step.control_device_id) : undefined;
  let sms: DryRunResult['sms'] = null;
  if (step && device && device.platform_id === platform.id) {
    const t = stepText(step, device, deps.catalogs, { job, values });
    const siteOnline = deps.siteOnline?.(platform.id, step.site_id) ?? null;
    sms = t.ok ? { site_id: step.site_id, site_online: siteOnline, to: device.phone, text: t.text, parts: t.parts, encoding: t.encoding } : { error: t.message, field: `steps[0].${t.field}` };
  }
  const inWindow = inWindows(job.windows, now);
  let reason: string;
  if (prometheusError) reason = `Prometheus failed: nothing would fire (${prometheusError})`;
  else if (next.fire) reason = next.fire === 'no_data' ? 'no data for longer than the no-data delay: would fire' : 'conditions hold: would fire now';
  else if (!job.enabled) reason = 'job is disabled';
  else if (holds === undefined) reason = 'no data for the device';
  else if (!holds) reason = 'conditions do not hold';
  else if (!inWindow) reason = 'outside the active time windows';
  else if (next.rt.state === 'firing') reason = 'already fired for this episode';
  else if (next.rt.state === 'cooldown') reason = 'in cooldown after the last execution';
  else reason = `conditions hold, waiting for ${job.for_s} s`;
  return {
    values,
    conditions_hold: holds ?? null,
    in_window: inWindow,
    state: rt.state,
    next_state: next.rt.state,
    would_fire: job.enabled && next.fire !== null,
    reason,
    sms,
    ...(prometheusError ? { prometheus_error: prometheusError } : {}),
  };
}
