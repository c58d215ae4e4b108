// Executions: one run of a job's playbook. `run` is the playbook state (hub/remediation/run.ts,
// driven by the pure reducer); `messages` are the SMS it sent, each with its own dispatch state
// (a command to a control device, or a notification to people); the timeline records every
// change of both. Outcome: recovered (with the time to recovery) / not_recovered / unknown.
import { z } from 'zod';
import { deviceRef } from './job.js';
import { runState } from './run.js';
import { outcomeV2, playbook } from './steps.js';
import { AGENT_TERMINAL_STATES, executionState, failureReason, type ExecutionState } from '../common/contract/index.js';

/** Hub-side states after which nothing more happens to a send step. */
export const TERMINAL_STATES: ReadonlySet<ExecutionState> = new Set<ExecutionState>([...AGENT_TERMINAL_STATES, 'unacknowledged']);

/** States at which the agent holds the job durably, so re-sending stops. */
export const ACKNOWLEDGED_STATES: ReadonlySet<ExecutionState> = new Set(['accepted', 'sending', ...TERMINAL_STATES].filter((s) => s !== 'unacknowledged') as ExecutionState[]);

export const outcome = outcomeV2;

export const timelineEntry = z.object({
  at: z.string(),
  /** Index of the step this entry is about; null for the execution as a whole. */
  step: z.number().int().nullable(),
  state: z.string(),
  detail: z.string().optional(),
});
export type TimelineEntry = z.infer<typeof timelineEntry>;

/** A message waits in its site's SMS budget queue before it is dispatched. */
export const messageState = z.union([executionState, z.literal('queued')]);
export type MessageState = z.infer<typeof messageState>;

/** One SMS of an execution. `wire_id` is the `execution_id` the agent sees (and de-duplicates by). */
export const messageRun = z.object({
  wire_id: z.string(),
  /** The playbook step that sent it. */
  step: z.number().int(),
  kind: z.enum(['command', 'notify']),
  site_id: z.string(),
  control_device_id: z.string().nullable(),
  to: z.string(),
  text: z.string(),
  state: messageState,
  attempt: z.number().int(),
  /** Highest agent `seq` applied, to drop stale or repeated updates. */
  agent_seq: z.number().int(),
  expires_at: z.string(),
  dispatched_at: z.string().nullable(),
  reason: failureReason.optional(),
  message_refs: z.array(z.number().int()).optional(),
  parts: z.number().int().optional(),
});
export type MessageRun = z.infer<typeof messageRun>;

export const reply = z.object({ id: z.string(), from: z.string(), text: z.string(), at: z.string(), site_id: z.string() });

export const execution = z.object({
  id: z.string(),
  platform_id: z.string(),
  job_id: z.string(),
  job_name: z.string(),
  device: deviceRef,
  trigger: z.object({
    reason: z.enum(['condition', 'no_data', 'manual', 'incident']),
    values: z.record(z.string(), z.number().nullable()),
  }),
  /** Dispatch state of the latest message ('created' before the first). */
  state: executionState,
  /** Current playbook step index. */
  step: z.number().int(),
  playbook,
  messages: z.array(messageRun),
  phase: z.enum(['armed', 'running', 'held', 'done']),
  outcome: outcome.nullable(),
  ttr_ms: z.number().nullable(),
  escalated: z.boolean(),
  escalation_reason: z.string().nullable(),
  incident_id: z.string().nullable(),
  /** The playbook state machine (null for executions recorded before playbooks). */
  run: runState.nullable(),
  timeline: z.array(timelineEntry),
  replies: z.array(reply),
  /** Sequence of public events of this execution. */
  event_seq: z.number().int(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type Execution = z.infer<typeof execution>;

export const executionListQuery = z.object({
  job_id: z.string().max(64).optional(),
  key: z.string().max(128).optional(),
  site_id: z.string().max(63).optional(),
  state: executionState.optional(),
  phase: z.enum(['armed', 'running', 'held', 'done']).optional(),
  outcome: outcome.optional(),
  incident_id: z.string().max(64).optional(),
  since: z.iso.datetime({ offset: true }).optional(),
  until: z.iso.datetime({ offset: true }).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});

export function isTerminal(s: ExecutionState | MessageState): boolean {
  return TERMINAL_STATES.has(s as ExecutionState);
}

/** Nothing more will happen to this execution: its playbook is done and every message settled. */
export function isFinished(e: Execution): boolean {
  return e.phase === 'done' && e.messages.every((m) => isTerminal(m.state));
}

/** The API's view: the execution without the internal run state. */
export function publicExecution(e: Execution): Omit<Execution, 'run'> {
  const { run: _run, ...rest } = e;
  return rest;
}

/** The agent-side id of a message -> the execution id (wire ids are `<execution>` or `<execution>-<suffix>`). */
export function executionIdOf(wireId: string): string {
  const i = wireId.indexOf('-');
  return i < 0 ? wireId : wireId.slice(0, i);
}
