// Guardrail state and settings (issue 10), stored by the hub: the per-device limit and its
// history, the per-site SMS budget and its queue. The logic is in hub/remediation/guardrails.ts;
// this is only the shape. Times in epoch ms.
import { z } from 'zod';

export const deviceLimit = z.object({
  max: z.number().int().min(1).max(1000).default(3),
  window_s: z.number().int().min(60).max(30 * 86400).default(86400),
});
export type DeviceLimit = z.infer<typeof deviceLimit>;

/** Start times of recent remediations per device (`<platform>/<device key>`). */
export type DeviceHistory = Record<string, number[]>;

export const smsBudget = z.object({
  /** SMS parts per rolling hour per site. */
  per_hour: z.number().int().min(1).max(10000).default(60),
  /** Overrides per site id. */
  sites: z.record(z.string(), z.number().int().min(1).max(10000)).default({}),
});
export type SmsBudget = z.infer<typeof smsBudget>;

export interface QueuedSms {
  /** The effect key (hub/remediation/run.ts), so the shell knows what to send. */
  key: string;
  site_id: string;
  to: string;
  /** SMS parts (what the budget counts). */
  parts: number;
  /** Higher first; the same priority is first-in first-out. People notifications use 10. */
  priority: number;
  queued_at: number;
  /** Free label for the UI, e.g. "power-cycle Player 7". */
  label: string;
}

export interface BudgetState {
  /** Times of SMS parts released in the last hour, per site. */
  sent: Record<string, number[]>;
  queue: QueuedSms[];
}

export const HOUR_MS = 3600_000;

export function emptyBudget(): BudgetState {
  return { sent: {}, queue: [] };
}
