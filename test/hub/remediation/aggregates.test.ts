// Reporting aggregates (issue 10, "Reporting": per device and per job: remediations, recovered
// share, median time to recovery, escalations; per site: SMS sent, failures; CSV export).
import { describe, expect, it } from 'vitest';
import { byDevice, byJob, bySite, daily, fleet, median, metricOutcome, recordOf, toCsv, type RemediationRecord, type SmsRecord, markUptime, uptimeShare } from '../../../hub/remediation/aggregates.js';
import { reduceAll } from '../../../hub/remediation/reducer.js';
import { newRun, S, T0 } from './fixtures.js';
import { type Execution, storedRunOf, type TimelineEntry } from '../../../hub/model/execution.js';
import type { RunState } from '../../../hub/model/run.js';
import type { StepV2 } from '../../../hub/model/steps.js';

/** An execution record holding this run (as the engine stores it). */
function execOf(r: RunState, timeline: TimelineEntry[] = []): Execution {
  const at = new Date(r.created_at).toISOString();
  return { id: r.id, platform_id: r.platform_id, job_id: r.job_id, job_name: r.job_name, device: { key_type: 'device_id', ...r.device }, trigger: { reason: 'condition', values: {} }, playbook: r.steps, run: storedRunOf(r), messages: [], timeline, replies: [], event_seq: 0, created_at: at, updated_at: at };
}

const DAY = 86400 * S;
function rec(device_key: string, outcome: RemediationRecord['outcome'], ttr_s: number | null, over: Partial<RemediationRecord> = {}): RemediationRecord {
  return { platform_id: 'ar', job_id: `job-${device_key}`, job_name: `Job ${device_key}`, device_key, started_at: T0, outcome, ttr_ms: ttr_s === null ? null : ttr_s * S, escalated: outcome === 'not_recovered' || outcome === 'unknown', cancelled: false, ...over };
}

const records: RemediationRecord[] = [
  rec('a', 'recovered', 100),
  rec('a', 'recovered', 300),
  rec('a', 'recovered', 200),
  rec('a', 'not_recovered', null),
  rec('b', 'unknown', null),
  rec('b', null, null, { escalated: true, started_at: T0 + DAY }), // device limit: escalated without acting
  rec('c', 'recovered', 60, { platform_id: 'cm', started_at: T0 + DAY }),
];

describe('per device / per job / fleet', () => {
  it('counts, recovered share and median time to recovery', () => {
    const d = byDevice(records);
    expect(d[0]).toEqual({ platform_id: 'ar', device_key: 'a', remediations: 4, recovered: 3, not_recovered: 1, unknown: 0, escalations: 1, recovered_share: 0.75, median_ttr_s: 200 });
    expect(d.find((x) => x.device_key === 'b')).toMatchObject({ remediations: 2, recovered_share: 0, escalations: 2, median_ttr_s: null });
    expect(byJob(records).map((j) => [j.job_id, j.remediations])).toEqual([['job-a', 4], ['job-b', 2], ['job-c', 1]]);
    expect(fleet(records)).toMatchObject({ remediations: 7, recovered: 4, recovered_share: 4 / 6, median_ttr_s: 150 });
  });

  it('a time range filters by start', () => {
    expect(fleet(records, { since: T0 + DAY }).remediations).toBe(2);
    expect(fleet(records, { until: T0 + DAY }).remediations).toBe(5);
  });

  it('median of even and odd counts; none', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNull();
  });

  it('metric outcome labels and daily chart buckets', () => {
    expect(records.map(metricOutcome)).toEqual(['recovered', 'recovered', 'recovered', 'not_recovered', 'unknown', 'escalated', 'recovered']);
    expect(daily(records)).toEqual([
      { day: '2026-11-25', recovered: 3, not_recovered: 1, unknown: 1, escalated: 0, cancelled: 0 },
      { day: '2026-11-26', recovered: 1, not_recovered: 0, unknown: 0, escalated: 1, cancelled: 0 },
    ]);
  });

  it('a finished run becomes a record', () => {
    const r = reduceAll(newRun(), [
      [{ type: 'start' }, T0],
      [{ type: 'send_result', step: 0, state: 'sent', ok: true }, T0 + 5 * S],
      [{ type: 'tick' }, T0 + 65 * S],
      [{ type: 'sample', holds: true, data_at: T0 + 125 * S }, T0 + 130 * S],
    ]).state;
    expect(recordOf(execOf(r))).toEqual({ platform_id: 'ar', job_id: 'job1', job_name: 'Player 7 offline', device_key: '10007', started_at: T0, outcome: 'recovered', ttr_ms: 120 * S, escalated: false, cancelled: false });
  });

  // Issue 17: a plain command (no verify step) that was delivered judged nothing: it is not
  // "cancelled" (nor anything else) in the fleet report or gsmjobs_hub_remediations_total.
  it('a delivered command without a verify step has no outcome; a cancelled run is cancelled', () => {
    const plain = newRun([newRun().steps[0] as StepV2]);
    const delivered = reduceAll(plain, [
      [{ type: 'start' }, T0],
      [{ type: 'send_result', step: 0, state: 'delivered', ok: true }, T0 + 5 * S],
    ]).state;
    expect(delivered.phase).toBe('done');
    const r = recordOf(execOf(delivered));
    expect(r).toMatchObject({ outcome: null, escalated: false, cancelled: false });
    expect(metricOutcome(r)).toBeNull();
    expect(daily([r])).toEqual([{ day: '2026-11-25', recovered: 0, not_recovered: 0, unknown: 0, escalated: 0, cancelled: 0 }]);
    // Calendar days of the platform's zone (issue 17): the same instant is another day in Vladivostok or Honolulu.
    const late = { ...r, started_at: Date.parse('2026-11-25T20:00:00Z') };
    expect(daily([late], {}, 'Asia/Vladivostok')[0]?.day).toBe('2026-11-26');
    expect(daily([late], {}, 'Pacific/Honolulu')[0]?.day).toBe('2026-11-25');
    expect(daily([{ ...r, started_at: Date.parse('2026-11-25T05:00:00Z') }], {}, 'Pacific/Honolulu')[0]?.day).toBe('2026-11-24');
    const cancelled = reduceAll(newRun(), [
      [{ type: 'start' }, T0],
      [{ type: 'cancel', by: 'op' }, T0 + S],
    ]).state;
    const e = execOf(cancelled, [{ at: new Date(T0 + S).toISOString(), step: null, state: 'cancelled', detail: 'op' }]);
    expect(metricOutcome(recordOf(e))).toBe('cancelled');
  });
});

describe('per site', () => {
  const sms = (site_id: string, state: string, kind: SmsRecord['kind'] = 'command', parts = 1): SmsRecord => ({ platform_id: 'ar', site_id, at: T0, state, parts, kind });
  it('SMS sent, parts, failures and their share', () => {
    const s = bySite([sms('a', 'sent'), sms('a', 'delivered', 'notify', 2), sms('a', 'failed'), sms('a', 'expired'), sms('b', 'sent')]);
    expect(s).toEqual([
      { platform_id: 'ar', site_id: 'a', sms_sent: 2, sms_parts: 3, sms_failed: 2, failure_share: 0.5, commands: 3, notifications: 1 },
      { platform_id: 'ar', site_id: 'b', sms_sent: 1, sms_parts: 1, sms_failed: 0, failure_share: 0, commands: 1, notifications: 0 },
    ]);
  });
});

describe('CSV', () => {
  it('header, CRLF, quoting, and no formula injection', () => {
    const csv = toCsv([{ name: 'Player, "7"', n: 0.333333, f: '=HYPERLINK("x")', neg: -5, none: null }], ['name', 'n', 'f', 'neg', 'none']);
    expect(csv).toBe('name,n,f,neg,none\r\n"Player, ""7""",0.333,"\'=HYPERLINK(""x"")",-5,\r\n');
  });
});

describe('modem uptime', () => {
  it('counts only the known part of the range, clipped to it; a mark that repeats the state is not added', () => {
    const marks = markUptime(markUptime(markUptime([], 100, true), 150, true), 200, false);
    expect(marks).toEqual([
      { at: 100, up: true },
      { at: 200, up: false },
    ]);
    expect(uptimeShare(marks, 0, 300)).toBe(0.5); // 0-100 unknown
    expect(uptimeShare(marks, 150, 250)).toBe(0.5);
    expect(uptimeShare(marks, 0, 50)).toBeNull();
    expect(uptimeShare([], 0, 10)).toBeNull();
  });
});
