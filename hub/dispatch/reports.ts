// What the dispatch side tells the execution's one writer (the playbook engine, issue 20): the
// dispatcher and the inbound matcher never change an execution; they report what they saw and
// the engine applies it, persists it and publishes the public event. A message is named by its
// own id (`message_id`, the `execution_id` on the wire), never parsed for its execution's id.
import type { ExecutionState, FailureReason } from '../common/contract/index.js';
import type { reply } from '../model/execution.js';
import type { FailoverReason } from './routes.js';
import type { z } from 'zod';

export type Report =
  /** An agent's update of a message (already decoded and matched to its topic's site). */
  | {
      type: 'message';
      message_id: string;
      platform_id: string;
      site_id: string;
      state: ExecutionState;
      seq: number;
      attempt: number;
      reason?: FailureReason;
      message_refs?: number[];
      parts?: number;
      /** The modem of that site that sent or tried it (issue 19). */
      modem?: string;
    }
  /** The agent never acknowledged the message before it expired. */
  | { type: 'unacknowledged'; message_id: string }
  /** Send the message again (its site came back, or it waited longer than the re-send delay). */
  | { type: 'resend'; message_id: string }
  /** Move the message to the next site of its control device's route (issue 19; the engine re-checks it may). */
  | { type: 'failover'; message_id: string; reason: FailoverReason }
  /** An inbound SMS the matcher attached to this execution (a control device's answer). */
  | { type: 'reply'; execution_id: string; reply: z.infer<typeof reply> };

/** The engine's answer: applied, or why not (counted as a refused update). */
export type ReportResult = { ok: true } | { ok: false; reason: 'unknown_execution' | 'site_mismatch' | 'stale' };

export interface ExecutionSink {
  report(r: Report): Promise<ReportResult>;
}
