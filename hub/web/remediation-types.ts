// Shapes of the remediation API's answers as the pages read them (issue 10, REMEDIATION-SPEC).
// Tolerant on purpose: times may come as ISO strings or epoch ms, optional parts may be absent,
// so a page never breaks on a field it only displays.
import type { StepV2 } from '../remediation/playbook.js';
import type { daily } from '../remediation/aggregates.js';

export type When = string | number | null | undefined;

export interface MessageView {
  wire_id?: string;
  step: number;
  kind: 'command' | 'notify';
  site_id: string;
  control_device_id: string | null;
  to: string;
  text: string;
  state: string;
  attempt?: number;
  parts?: number;
  expires_at?: When;
  dispatched_at?: When;
  reason?: string;
  /** Issue 19: the modem of the current site that sent or tried it. */
  modem?: string;
  /** Issue 19: sites tried before the current one, oldest first (hub/model/execution.ts messageHop). */
  hops?: HopView[];
}

export interface HopView {
  site_id: string;
  first_attempt: number;
  last_attempt: number;
  state: string;
  modem?: string;
  left_because: string;
  left_at: When;
}

export interface TimelineView {
  at: When;
  step: number | null;
  state: string;
  detail?: string;
}

export interface ExecutionView {
  id: string;
  job_id: string;
  job_name: string;
  device: { key_type?: string; key: string; name: string };
  trigger: { reason: 'condition' | 'no_data' | 'manual' | 'incident'; values: Record<string, number | null> };
  state: string;
  phase?: 'armed' | 'running' | 'held' | 'done';
  outcome?: 'recovered' | 'not_recovered' | 'unknown' | null;
  ttr_ms?: number | null;
  escalated?: boolean;
  escalation_reason?: string | null;
  incident_id?: string | null;
  playbook?: StepV2[];
  messages?: MessageView[];
  /** Before issue 10: the send steps (one per execution). */
  steps?: Array<{ site_id: string; to: string; text: string; state?: string }>;
  timeline: TimelineView[];
  replies: Array<{ from: string; text: string; at: string }>;
  created_at: string;
}

export interface IncidentView {
  id: string;
  opened_at: When;
  held: Array<{ execution_id: string; device_key: string; at: When }>;
  fleet: number;
  rule: string;
  status: 'open' | 'released';
  released_at: When;
  released_by: string | null;
}

export interface RemediationSettings {
  on_call: Array<{ name: string; phone: string }>;
  notify_site_id: string | null;
  device_limit: { max: number; window_s: number };
  sms_budget: { per_hour: number; sites: Record<string, number> };
  correlation: { window_s: number; min_count: number | null; min_share: number | null; share_min_count: number };
  /** Issue 19: seconds before a command moves to the device's next site; null: never (absent before). */
  failover_after_s?: number | null;
  /** The platform's display zone (issue 17); null or absent: the server's. */
  time_zone?: string | null;
}

export interface WebhookView {
  id: string;
  url: string;
  enabled: boolean;
  created_at: When;
  secret?: string;
}

export interface DeliveryView {
  id: string;
  event_type: string;
  status: 'pending' | 'delivered' | 'retrying' | 'failed';
  created_at: When;
  next_at: When;
  attempts: Array<{ at: When; duration_ms: number; http_status: number | null; error: string | null }>;
}

export interface SiteQueue {
  site_id: string;
  budget_per_hour: number;
  sent_last_hour: number;
  queued: number;
  next_slot_at: When;
  items: Array<{ key: string; to: string; parts: number; priority: number; queued_at: When; label: string }>;
}

// The report rows are the hub's own aggregate types (hub/remediation/aggregates.ts), as JSON.
export type { OutcomeStats as OutcomeStatsView } from '../remediation/aggregates.js';
export type DailyRow = ReturnType<typeof daily>[number];

/** An ISO string from what the API gave (ISO or epoch ms). */
export function iso(v: When): string | null {
  if (v === null || v === undefined || v === '') return null;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}
