// The persisted state of one playbook execution, its events and its effects. Everything is plain
// JSON (numbers are epoch ms), so the shell stores it as is and a restart rehydrates it with
// `runState.parse` and continues (issue 10: "restarts in every state").
import type { z } from 'zod';
import { playbook, type Outcome, type StepV2 } from './playbook.js';

export { phase, runState, runTimelineEntry } from '../model/run.js';
export type { Phase, RunState, RunTimelineEntry } from '../model/run.js';
import type { RunState } from '../model/run.js';

export type RunEvent =
  /** Begin; `escalate` names a guardrail that forbids acting (only notify steps run). */
  | { type: 'start'; escalate?: string }
  /** Time passed (the shell's poll cycle or a scheduled timer). */
  | { type: 'tick' }
  /** The shell durably took over the effect with this key (outbox record written). */
  | { type: 'ack'; key: string }
  /** A send step reached a terminal dispatch state (hub/model/execution.ts TERMINAL_STATES). */
  | { type: 'send_result'; step: number; state: string; ok: boolean; detail?: string }
  /** A verification sample: whether the step's conditions hold (undefined = no data), and the time of the data. */
  | { type: 'sample'; holds: boolean | undefined; data_at: number }
  | { type: 'hold'; incident_id: string }
  | { type: 'release'; by: string }
  | { type: 'cancel'; by: string }
  /** The process restarted: re-emit what is outstanding (never what was acknowledged). */
  | { type: 'restart' };

export interface NotifyContext {
  outcome: Outcome | 'escalated' | null;
  ttr_s: number | null;
}

export type Effect =
  | { type: 'dispatch_sms'; key: string; step: number; send: Extract<StepV2, { type: 'send' }> }
  | { type: 'notify_sms'; key: string; step: number; site_id: string; to: 'on_call' | string[]; text: string }
  | { type: 'webhook'; key: string; step: number; endpoint_id: string; event: WebhookEvent }
  /** Wake the machine at `at` (a hint: any later tick does the same). */
  | { type: 'timer'; at: number }
  /** Evaluate these conditions on the monitored device each cycle and feed `sample` events. */
  | { type: 'watch'; step: number; conditions: Extract<StepV2, { type: 'verify' }>['conditions']; combine: 'and' | 'or'; since: number }
  | { type: 'unwatch' }
  /** The execution ended: record metrics. */
  | { type: 'finished'; outcome: Outcome | null; ttr_ms: number | null; escalated: boolean };

/** The JSON body of a webhook about an execution (hub/remediation/webhook.ts signs it). */
export interface WebhookEvent {
  type: 'execution.escalated' | 'execution.notify';
  execution_id: string;
  platform_id: string;
  job_id: string;
  job_name: string;
  device: { key: string; name: string };
  outcome: Outcome | null;
  ttr_s: number | null;
  escalation_reason: string | null;
  step: number;
  text: string;
  at: string;
}

export interface CreateRun {
  id: string;
  platform_id: string;
  job_id: string;
  job_name: string;
  device: { key: string; name: string };
  steps: z.input<typeof playbook>;
  /** Hold the first action this long so a correlated burst is seen first (default 0). */
  settle_ms?: number;
}

export function createRun(c: CreateRun, now: number): RunState {
  return {
    id: c.id,
    platform_id: c.platform_id,
    job_id: c.job_id,
    job_name: c.job_name,
    device: c.device,
    steps: playbook.parse(c.steps),
    phase: 'armed',
    created_at: now,
    act_at: now + (c.settle_ms ?? 0),
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
    timeline: [{ at: now, step: null, state: 'created' }],
  };
}

/** Whether the run still needs events (not done). */
export function isActive(s: RunState): boolean {
  return s.phase !== 'done';
}
