// Reporting aggregates (issue 10, "Reporting"), pure: per device and per job: remediations,
// recovered share, median time to recovery, escalations; per site: SMS sent and failures; and a
// CSV rendering. The shell feeds finished runs and SMS records; modem uptime comes from the
// agents' metrics and is not computed here.
import { localDay } from '../core/days.js';
import type { Execution } from '../model/execution.js';
import { wasCancelled } from '../model/execution-view.js';
import type { Outcome } from './playbook.js';

export interface RemediationRecord {
  platform_id: string;
  job_id: string;
  job_name: string;
  device_key: string;
  started_at: number;
  outcome: Outcome | null;
  ttr_ms: number | null;
  escalated: boolean;
  /** Stopped by an operator or an expired incident. */
  cancelled: boolean;
}

export interface SmsRecord {
  platform_id: string;
  site_id: string;
  at: number;
  /** Terminal dispatch state (hub/model/execution.ts TERMINAL_STATES). */
  state: string;
  parts: number;
  /** Command to a control device or notification to people. */
  kind: 'command' | 'notify';
  /** Issue 19: the modem of the site that sent it, when its agent said (carriers.ts). */
  modem?: string;
}

/** Dispatch states that count as a failure of the site. */
export const SMS_FAILURES: ReadonlySet<string> = new Set(['failed', 'not_delivered', 'expired', 'uncertain', 'unacknowledged']);

/** The label value of `..._remediations_total{platform_id,outcome}`. */
export type MetricOutcome = Outcome | 'escalated' | 'cancelled';

/**
 * The outcome a finished execution counts as, or null when it has none: a playbook without a
 * verify step that ran to its end (a plain delivered command) judged nothing and is neither
 * recovered nor cancelled (issue 17).
 */
export function metricOutcome(r: Pick<RemediationRecord, 'outcome' | 'escalated' | 'cancelled'>): MetricOutcome | null {
  if (r.outcome !== null) return r.outcome;
  if (r.escalated) return 'escalated';
  return r.cancelled ? 'cancelled' : null;
}

export function recordOf(e: Execution): RemediationRecord {
  const run = e.run;
  return {
    platform_id: e.platform_id,
    job_id: e.job_id,
    job_name: e.job_name,
    device_key: e.device.key,
    started_at: run.created_at,
    outcome: run.outcome,
    ttr_ms: run.ttr_ms,
    escalated: run.escalated,
    cancelled: wasCancelled(e),
  };
}

export function median(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

export interface OutcomeStats {
  remediations: number;
  recovered: number;
  not_recovered: number;
  unknown: number;
  escalations: number;
  /** recovered / runs with an outcome; null when none has one. */
  recovered_share: number | null;
  median_ttr_s: number | null;
}

export interface DeviceStats extends OutcomeStats {
  platform_id: string;
  device_key: string;
}

export interface JobStats extends OutcomeStats {
  platform_id: string;
  job_id: string;
  job_name: string;
}

export interface SiteStats {
  platform_id: string;
  site_id: string;
  sms_sent: number;
  sms_parts: number;
  sms_failed: number;
  failure_share: number | null;
  commands: number;
  notifications: number;
}

function stats(rs: readonly RemediationRecord[]): OutcomeStats {
  let recovered = 0;
  let not_recovered = 0;
  let unknown = 0;
  let escalations = 0;
  const ttr: number[] = [];
  for (const r of rs) {
    if (r.outcome === 'recovered') recovered++;
    else if (r.outcome === 'not_recovered') not_recovered++;
    else if (r.outcome === 'unknown') unknown++;
    if (r.escalated) escalations++;
    if (r.outcome === 'recovered' && r.ttr_ms !== null) ttr.push(r.ttr_ms);
  }
  const decided = recovered + not_recovered + unknown;
  const m = median(ttr);
  return { remediations: rs.length, recovered, not_recovered, unknown, escalations, recovered_share: decided ? recovered / decided : null, median_ttr_s: m === null ? null : m / 1000 };
}

function groupBy<T>(xs: readonly T[], key: (x: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const x of xs) {
    const k = key(x);
    const g = m.get(k);
    if (g) g.push(x);
    else m.set(k, [x]);
  }
  return m;
}

export interface Range {
  since?: number;
  until?: number;
}

function inRange(at: number, r: Range): boolean {
  return (r.since === undefined || at >= r.since) && (r.until === undefined || at < r.until);
}

export function byDevice(rs: readonly RemediationRecord[], range: Range = {}): DeviceStats[] {
  const g = groupBy(rs.filter((r) => inRange(r.started_at, range)), (r) => `${r.platform_id}\u0000${r.device_key}`);
  return [...g.values()].map((xs) => ({ platform_id: xs[0]?.platform_id ?? '', device_key: xs[0]?.device_key ?? '', ...stats(xs) })).sort((a, b) => b.remediations - a.remediations || a.device_key.localeCompare(b.device_key));
}

export function byJob(rs: readonly RemediationRecord[], range: Range = {}): JobStats[] {
  const g = groupBy(rs.filter((r) => inRange(r.started_at, range)), (r) => `${r.platform_id}\u0000${r.job_id}`);
  return [...g.values()].map((xs) => ({ platform_id: xs[0]?.platform_id ?? '', job_id: xs[0]?.job_id ?? '', job_name: xs.at(-1)?.job_name ?? '', ...stats(xs) })).sort((a, b) => b.remediations - a.remediations || a.job_id.localeCompare(b.job_id));
}

export function fleet(rs: readonly RemediationRecord[], range: Range = {}): OutcomeStats {
  return stats(rs.filter((r) => inRange(r.started_at, range)));
}

export function bySite(sms: readonly SmsRecord[], range: Range = {}): SiteStats[] {
  const g = groupBy(sms.filter((s) => inRange(s.at, range)), (s) => `${s.platform_id}\u0000${s.site_id}`);
  return [...g.values()]
    .map((xs) => {
      const failed = xs.filter((s) => SMS_FAILURES.has(s.state));
      const sent = xs.length - failed.length;
      return {
        platform_id: xs[0]?.platform_id ?? '',
        site_id: xs[0]?.site_id ?? '',
        sms_sent: sent,
        sms_parts: xs.filter((s) => !SMS_FAILURES.has(s.state)).reduce((n, s) => n + s.parts, 0),
        sms_failed: failed.length,
        failure_share: xs.length ? failed.length / xs.length : null,
        commands: xs.filter((s) => s.kind === 'command').length,
        notifications: xs.filter((s) => s.kind === 'notify').length,
      };
    })
    .sort((a, b) => a.site_id.localeCompare(b.site_id));
}

/** Daily buckets of outcomes, calendar days in `zone` (the platform's), for the fleet page's simple chart. */
export function daily(rs: readonly RemediationRecord[], range: Range = {}, zone = 'UTC'): Array<{ day: string } & Record<MetricOutcome, number>> {
  const g = groupBy(rs.filter((r) => inRange(r.started_at, range)), (r) => localDay(r.started_at, zone));
  return [...g.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([day, xs]) => {
      const row = { day, recovered: 0, not_recovered: 0, unknown: 0, escalated: 0, cancelled: 0 };
      for (const x of xs) {
        const o = metricOutcome(x);
        if (o) row[o]++;
      }
      return row;
    });
}

// CSV moved to hub/common/csv.ts (OWASP formula neutralising, issue 18); re-exported for callers.
export { toCsv } from '../common/csv.js';

export { markUptime, uptimeShare } from '../model/uptime.js';
export type { UptimeMark } from '../model/uptime.js';
