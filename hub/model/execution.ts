// Executions: one run of a job's playbook, one record with one writer (the playbook engine,
// hub/remediation/engine.ts; issue 20). `run` is the state machine's own part (phase, step,
// outcome, time to recovery, escalation, incident: stored once, there); the header (ids, job,
// device, playbook) is stored once beside it and joined back by `runOf`. `messages` are the SMS
// it sent, each with its own id (`wire_id`, the `execution_id` the agent sees) and dispatch
// state; the timeline records every change of both. What the API and the pages show (latest
// dispatch state, phase, outcome, ...) is derived by `executionView` (execution-view.ts).
import { z } from 'zod';
import { deviceRef } from './job.js';
import { phase, runState, type RunState } from './run.js';
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

/**
 * Issue 19: a site a message was dispatched to before the hub moved it on (backup routes). The
 * message's own `site_id` is always the current site; `hops` holds the earlier ones, oldest first.
 */
export const messageHop = z.object({
  site_id: z.string(),
  /** Attempts from `first_attempt` to `last_attempt` went to this site. */
  first_attempt: z.number().int(),
  last_attempt: z.number().int(),
  /** The last state this site reported (or the hub's own: queued/dispatched/unacknowledged). */
  state: messageState,
  /** Modem of that site that tried it, when it said. */
  modem: z.string().optional(),
  /** Why the hub moved on: the site's agent offline, every modem down, not accepted in time, or it failed/expired. */
  left_because: z.enum(['offline', 'modems_down', 'not_accepted', 'failed', 'expired']),
  left_at: z.string(),
});
export type MessageHop = z.infer<typeof messageHop>;

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
  /** Issue 19: the modem of the current site that sent or tried it (from the agent's update). */
  modem: z.string().optional(),
  /** Issue 19: the attempt's deadline for acceptance sent to the agent (`accept_by`), when set. */
  accept_by: z.string().optional(),
  /** Issue 19: sites tried before the current one (backup routes), oldest first. */
  hops: z.array(messageHop).optional(),
});
export type MessageRun = z.infer<typeof messageRun>;

export const reply = z.object({ id: z.string(), from: z.string(), text: z.string(), at: z.string(), site_id: z.string() });

/** The run state as stored in its execution: without the header the execution already holds. */
export const storedRun = runState.omit({ id: true, platform_id: true, job_id: true, job_name: true, device: true, steps: true, timeline: true });
export type StoredRun = z.infer<typeof storedRun>;

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
  playbook,
  /** The playbook state machine (phase, step, outcome, ttr, escalation, incident). */
  run: storedRun,
  messages: z.array(messageRun),
  timeline: z.array(timelineEntry),
  replies: z.array(reply),
  /** Sequence of public events of this execution. */
  event_seq: z.number().int(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type Execution = z.infer<typeof execution>;

/** What the API shows (derived by execution-view.ts): the record without `run`, with what follows from it. */
export const executionViewSchema = execution.omit({ run: true }).extend({
  /** Dispatch state of the latest message that left the queue ('created' before the first). */
  state: executionState,
  /** Current playbook step index. */
  step: z.number().int(),
  phase,
  outcome: outcome.nullable(),
  ttr_ms: z.number().nullable(),
  escalated: z.boolean(),
  escalation_reason: z.string().nullable(),
  incident_id: z.string().nullable(),
});

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
  return e.run.phase === 'done' && e.messages.every((m) => isTerminal(m.state));
}

/** The playbook has not ended (restart, each cycle). */
export function isActive(e: Execution): boolean {
  return e.run.phase !== 'done';
}

/** The reducer's input: the stored run joined with the execution's header (its timeline is new entries only). */
export function runOf(e: Execution): RunState {
  return { ...e.run, id: e.id, platform_id: e.platform_id, job_id: e.job_id, job_name: e.job_name, device: { key: e.device.key, name: e.device.name }, steps: e.playbook, timeline: [] };
}

/** What of a run is stored in its execution (the header and the timeline live in the execution). */
export function storedRunOf(r: RunState): StoredRun {
  const { id: _i, platform_id: _p, job_id: _j, job_name: _n, device: _d, steps: _s, timeline: _t, ...rest } = r;
  return rest;
}

export { executionView, publicExecution, type ExecutionView } from './execution-view.js';
