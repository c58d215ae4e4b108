// The persisted state of one playbook execution's state machine (issue 10): plain JSON, numbers
// are epoch ms, so the store keeps it as is and a restart rehydrates it with `runState.parse`.
// The reducer that drives it is hub/remediation/reducer.ts (events and effects: run.ts there).
import { z } from 'zod';
import { outcomeV2, playbook } from './steps.js';

export const phase = z.enum([
  /** Created, waiting for `start` (or for the correlation settle delay). */
  'armed',
  /** Running step `idx`. */
  'running',
  /** Held by a correlated-failure incident; nothing is sent until `release`. */
  'held',
  'done',
]);
export type Phase = z.infer<typeof phase>;

export const runTimelineEntry = z.object({
  at: z.number(),
  step: z.number().int().nullable(),
  state: z.string(),
  detail: z.string().optional(),
});
export type RunTimelineEntry = z.infer<typeof runTimelineEntry>;

export const runState = z.object({
  id: z.string(),
  platform_id: z.string(),
  job_id: z.string(),
  job_name: z.string(),
  device: z.object({ key: z.string(), name: z.string() }),
  steps: playbook,
  phase,
  created_at: z.number(),
  /** Earliest time the first step may act (correlation settle delay). */
  act_at: z.number(),
  idx: z.number().int(),
  /** When the current step began. */
  step_at: z.number().nullable(),
  /** Deadline of the current step (wait end, verify deadline, send expiry). */
  deadline_at: z.number().nullable(),
  /** Effect keys handed to the shell and not yet acknowledged (the outbox). */
  pending: z.array(z.string()),
  /** Effect keys acknowledged: never emitted again. */
  acked: z.array(z.string()),
  /** Send step: the terminal state reported by the dispatcher. */
  send_state: z.string().nullable(),
  /** Verify step: whether any data newer than the step was seen, and since when it holds. */
  verify_seen: z.boolean(),
  verify_holds_since: z.number().nullable(),
  /** When the last command was dispatched (time to recovery counts from it). */
  last_send_at: z.number().nullable(),
  outcome: outcomeV2.nullable(),
  ttr_ms: z.number().nullable(),
  /** Only notify steps run from now on (escalation). */
  notify_only: z.boolean(),
  escalated: z.boolean(),
  escalation_reason: z.string().nullable(),
  incident_id: z.string().nullable(),
  timeline: z.array(runTimelineEntry),
});
export type RunState = z.infer<typeof runState>;
