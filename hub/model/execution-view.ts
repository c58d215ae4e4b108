// What an execution looks like from outside (API, pages, public events, list filters, reports):
// the stored record (execution.ts) with the fields derived from it, never stored twice (issue 20):
//   state   the dispatch state of the latest message that left the SMS budget queue ('created'
//           before any);
//   phase, step, outcome, ttr_ms, escalated, escalation_reason, incident_id   from the run.
// Pure.
import type { ExecutionState } from '../common/contract/index.js';
import type { z } from 'zod';
import type { Execution, executionViewSchema } from './execution.js';

/** The API's execution: `executionViewSchema` (execution.ts), so the OpenAPI document is the same shape. */
export type ExecutionView = z.infer<typeof executionViewSchema>;

/** Dispatch state of the latest message that left the queue ('created' before the first). */
export function dispatchState(e: Pick<Execution, 'messages'>): ExecutionState {
  for (let i = e.messages.length - 1; i >= 0; i--) {
    const s = e.messages[i]?.state;
    if (s !== undefined && s !== 'queued') return s;
  }
  return 'created';
}

export function executionView(e: Execution): ExecutionView {
  const { run, ...rest } = e;
  return {
    id: rest.id,
    platform_id: rest.platform_id,
    job_id: rest.job_id,
    job_name: rest.job_name,
    device: rest.device,
    trigger: rest.trigger,
    state: dispatchState(e),
    step: run.idx,
    playbook: rest.playbook,
    messages: rest.messages,
    phase: run.phase,
    outcome: run.outcome,
    ttr_ms: run.ttr_ms,
    escalated: run.escalated,
    escalation_reason: run.escalation_reason,
    incident_id: run.incident_id,
    timeline: rest.timeline,
    replies: rest.replies,
    event_seq: rest.event_seq,
    created_at: rest.created_at,
    updated_at: rest.updated_at,
  };
}

/** The API's view (the internal run state is not shown). */
export const publicExecution = executionView;

/** The execution was stopped by an operator or an expired incident (its timeline says `cancelled`). */
export function wasCancelled(e: Pick<Execution, 'timeline'>): boolean {
  return e.timeline.some((t) => t.step === null && t.state === 'cancelled');
}

/** Whether the playbook judges its effect (a verify step): only such executions have an outcome. */
export function hasVerify(e: Pick<Execution, 'playbook'>): boolean {
  return e.playbook.some((s) => s.type === 'verify');
}
