// Shared parts of the store benchmarks (store-pg.bench.ts, store-lowdb.bench.ts): realistic jobs
// (one device, one condition, a send step, a notify step) and percentiles.
import type { Execution } from '../../hub/model/execution.js';
import { storedRun } from '../hub/store-contract-fixtures.js';
import type { Job, JobRuntime } from '../../hub/model/job.js';

export const METRICS = ['signage_device_online', 'signage_device_cpu_temp_celsius', 'signage_device_disk_free_bytes', 'signage_device_uptime_seconds', 'signage_device_last_seen_timestamp_seconds'];
const AT = '2026-12-01T10:00:00.000Z';

export function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
}

/** Job n of a fleet: device n / jobsPerDevice, one metric each, 40 sites, 200 control devices. */
export function benchJob(platform_id: string, n: number, jobsPerDevice = 5): Job {
  const device = Math.floor(n / jobsPerDevice);
  const metric = METRICS[n % METRICS.length] as string;
  return {
    id: `job${String(n).padStart(7, '0')}`,
    platform_id,
    name: `Player_${device} ${metric} == 0`,
    name_auto: true,
    enabled: n % 50 !== 0,
    device: { key_type: 'device_id', key: String(10000 + device), name: `Player_${device}` },
    conditions: [{ metric, op: '==', value: 0 }],
    combine: 'and',
    for_s: 60,
    no_data: { mode: 'ignore', after_s: 300 },
    windows: null,
    cooldown_s: 1800,
    steps: [
      { type: 'send', site_id: `site${device % 40}`, control_device_id: `cd${device % 200}`, command: { kind: 'catalog', command_id: 'power_cycle', params: { seconds: 30 } }, expires_s: 900 },
      { type: 'notify', sms: { site_id: `site${device % 40}`, to: 'on_call' }, webhooks: [], text: '{job}: {device} {outcome}' },
    ],
    created_at: AT,
    updated_at: AT,
  };
}

export function benchRuntime(n: number): JobRuntime {
  const states: JobRuntime['state'][] = ['ok', 'ok', 'pending', 'firing', 'cooldown', 'no_data', 'ok'];
  return { state: states[n % states.length] as JobRuntime['state'], since: 1000, cond_since: null, data_at: 1000, last_fired_at: null, last_execution_id: null, nodata_fired: false };
}

export function benchExecution(j: Job, id: string, at: string): Execution {
  return {
    id,
    platform_id: j.platform_id,
    job_id: j.id,
    job_name: j.name,
    device: j.device,
    trigger: { reason: 'condition', values: { [j.conditions[0]?.metric ?? 'm']: 0 } },
    playbook: j.steps,
    messages: [],
    run: storedRun(Date.parse(at), { phase: 'armed' }),
    timeline: [{ at, step: null, state: 'created' }],
    replies: [],
    event_seq: 0,
    created_at: at,
    updated_at: at,
  };
}
