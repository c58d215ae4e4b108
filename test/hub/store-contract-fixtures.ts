// Records for the store port's contract suite (test/hub/store-contract.ts): valid jobs,
// executions, sites, control devices, webhooks and deliveries of a given platform.
import type { ControlDevice, Platform, Site } from '../../hub/model/entities.js';
import type { Execution, ExecutionView, StoredRun } from '../../hub/model/execution.js';
import type { Job, JobRuntime } from '../../hub/model/job.js';
import type { StoredWebhook } from '../../hub/model/remediation.js';
import type { DeliveryRecord } from '../../hub/remediation/webhook.js';
import { type Leadership, scopeOf, type StorePort } from '../../hub/store/port.js';

export const AT = '2026-12-01T10:00:00.000Z';

export function platform(id: string, tokenHash = `${id.padEnd(8, '0')}`.repeat(8).slice(0, 64)): Platform {
  return {
    id,
    name: `Platform ${id}`,
    prometheus: { url: 'http://127.0.0.1:9090', headers: {} },
    created_at: AT,
    tokens: [{ id: `t-${id}`, hash: tokenHash, label: 'api', created_at: AT }],
    events_password: null,
  };
}

export function site(platform_id: string, id: string): Site {
  return { id, platform_id, name: `Site ${id}`, mqtt_password: null, created_at: AT };
}

export function controlDevice(platform_id: string, id: string, site_ids = ['s1']): ControlDevice {
  return { id, platform_id, name: `Socket ${id}`, phone: '+79990000001', model: 'generic', site_ids, created_at: AT, updated_at: AT };
}

export function webhook(platform_id: string, id: string): StoredWebhook {
  return { id, platform_id, url: 'https://example.invalid/hook', secret: 'x'.repeat(20), enabled: true, created_at: AT };
}

export interface JobSpec {
  name?: string;
  key?: string;
  deviceName?: string;
  enabled?: boolean;
  site?: string;
  controlDevice?: string;
  webhook?: string;
}

export function job(platform_id: string, id: string, s: JobSpec = {}): Job {
  const steps: Job['steps'] = [
    { type: 'send', site_id: s.site ?? 's1', control_device_id: s.controlDevice ?? 'cd1', command: { kind: 'text', text: 'RESET' }, expires_s: 900 },
  ];
  if (s.webhook) steps.push({ type: 'notify', sms: null, webhooks: [s.webhook], text: '{job}' });
  return {
    id,
    platform_id,
    name: s.name ?? `job ${id}`,
    name_auto: false,
    enabled: s.enabled ?? true,
    device: { key_type: 'device_id', key: s.key ?? `dev-${id}`, name: s.deviceName ?? '' },
    conditions: [{ metric: 'signage_player_up', op: '==', value: 0 }],
    combine: 'and',
    for_s: 0,
    no_data: { mode: 'ignore', after_s: 300 },
    windows: null,
    cooldown_s: 1800,
    steps,
    created_at: AT,
    updated_at: AT,
  };
}

export function runtime(state: JobRuntime['state'], at = 1000, last_execution_id: string | null = null): JobRuntime {
  return { state, since: at, cond_since: null, data_at: at, last_fired_at: last_execution_id ? at : null, last_execution_id, nodata_fired: false };
}

export interface ExecSpec {
  job?: string;
  key?: string;
  site?: string;
  state?: ExecutionView['state'];
  phase?: ExecutionView['phase'];
  outcome?: ExecutionView['outcome'];
  incident?: string | null;
  created_at?: string;
}

/** A stored run (the state machine's part of an execution), finished unless told otherwise. */
export function storedRun(at: number, over: Partial<StoredRun> = {}): StoredRun {
  return {
    phase: 'done',
    created_at: at,
    act_at: at,
    idx: 0,
    step_at: null,
    deadline_at: null,
    pending: [],
    acked: [],
    send_state: null,
    verify_seen: false,
    verify_holds_since: null,
    last_send_at: null,
    outcome: null,
    ttr_ms: null,
    notify_only: false,
    escalated: false,
    escalation_reason: null,
    incident_id: null,
    ...over,
  };
}

export function execution(platform_id: string, id: string, s: ExecSpec = {}): Execution {
  const at = s.created_at ?? AT;
  const state = s.state ?? 'delivered';
  return {
    id,
    platform_id,
    job_id: s.job ?? 'j1',
    job_name: 'job',
    device: { key_type: 'device_id', key: s.key ?? 'dev-1', name: '' },
    trigger: { reason: 'condition', values: { signage_player_up: 0 } },
    playbook: [],
    messages: [{ wire_id: id, step: 0, kind: 'command', site_id: s.site ?? 's1', control_device_id: 'cd1', to: '+79990000001', text: 'RESET', state, attempt: 1, agent_seq: 0, expires_at: at, dispatched_at: at }],
    run: storedRun(Date.parse(at), { phase: s.phase ?? 'done', outcome: s.outcome ?? null, incident_id: s.incident ?? null }),
    timeline: [{ at, step: null, state: 'created' }],
    replies: [],
    event_seq: 0,
    created_at: at,
    updated_at: at,
  };
}

export function delivery(platform_id: string, id: string, status: DeliveryRecord['status'], next_at: number | null, key = `k-${id}`): DeliveryRecord {
  return { id, endpoint_id: 'w1', platform_id, key, event_type: 'execution.finished', body: '{}', status, created_at: 1000, next_at, attempts: [] } as DeliveryRecord;
}

// The harness each adapter's test file gives the contract suite.
export interface ContractHarness {
  /** A fresh, empty store. */
  open(): Promise<StorePort>;
  /** Another hub's port on the same data (PostgreSQL: its own pool; lowdb: the same process). */
  peer(port: StorePort): Promise<StorePort>;
  /** End a lease the hard way (PostgreSQL: pg_terminate_backend of its connection). */
  kill(port: StorePort, holder: string, l: Leadership): Promise<void>;
  close(port: StorePort): Promise<void>;
}

export const A = scopeOf('alpha');
export const B = scopeOf('beta');

export async function waitFor(cond: () => Promise<boolean> | boolean, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Run a test body on a fresh store of the harness, closed afterwards. */
export function withStoreOf(h: ContractHarness) {
  return (fn: (s: StorePort) => Promise<void>) => async () => {
    const s = await h.open();
    try {
      await fn(s);
    } finally {
      await h.close(s);
    }
  };
}
