// Executions: one run of a job's steps. Each step has its own state; the timeline records every
// change (issue 10 adds steps wait/verify/notify and the outcome recovered / not_recovered /
// unknown, which fit here without a new shape).
import { z } from 'zod';
import { deviceRef } from './job.js';
import { AGENT_TERMINAL_STATES, executionState, failureReason, type ExecutionState } from '../common/contract/index.js';

/** Hub-side states after which nothing more happens to a send step. */
export const TERMINAL_STATES: ReadonlySet<ExecutionState> = new Set<ExecutionState>([...AGENT_TERMINAL_STATES, 'unacknowledged']);

/** States at which the agent holds the job durably, so re-sending stops. */
export const ACKNOWLEDGED_STATES: ReadonlySet<ExecutionState> = new Set(['accepted', 'sending', ...TERMINAL_STATES].filter((s) => s !== 'unacknowledged') as ExecutionState[]);

export const outcome = z.enum(['recovered', 'not_recovered', 'unknown']);

export const timelineEntry = z.object({
  at: z.string(),
  /** Index of the step this entry is about; null for the execution as a whole. */
  step: z.number().int().nullable(),
  state: z.string(),
  detail: z.string().optional(),
});
export type TimelineEntry = z.infer<typeof timelineEntry>;

export const sendStepRun = z.object({
  type: z.literal('send'),
  site_id: z.string(),
  control_device_id: z.string(),
  to: z.string(),
  text: z.string(),
  state: executionState,
  attempt: z.number().int(),
  /** Highest agent `seq` applied, to drop stale or repeated updates. */
  agent_seq: z.number().int(),
  expires_at: z.string(),
  dispatched_at: z.string().nullable(),
  reason: failureReason.optional(),
  message_refs: z.array(z.number().int()).optional(),
  parts: z.number().int().optional(),
});
export type SendStepRun = z.infer<typeof sendStepRun>;

export const reply = z.object({ id: z.string(), from: z.string(), text: z.string(), at: z.string(), site_id: z.string() });

export const execution = z.object({
  id: z.string(),
  platform_id: z.string(),
  job_id: z.string(),
  job_name: z.string(),
  device: deviceRef,
  trigger: z.object({
    reason: z.enum(['condition', 'no_data', 'manual']),
    values: z.record(z.string(), z.number().nullable()),
  }),
  /** State of the execution: the state of its current step (one step today). */
  state: executionState,
  /** Current step index. */
  step: z.number().int(),
  steps: z.array(sendStepRun),
  outcome: outcome.nullable(),
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
  since: z.iso.datetime({ offset: true }).optional(),
  until: z.iso.datetime({ offset: true }).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});

export function isTerminal(s: ExecutionState): boolean {
  return TERMINAL_STATES.has(s);
}
