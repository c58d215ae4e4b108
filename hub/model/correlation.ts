// Correlated-failure state and settings (issue 10), stored by the hub (remediation.json / the
// remediation table): the rule's config, trips and incidents. The logic is in
// hub/remediation/correlation.ts; this is only the shape. Times in epoch ms.
import { z } from 'zod';

export const correlationConfig = z.object({
  window_s: z.number().int().min(10).max(3600).default(300),
  /** Trips within the window that make an incident (null: count alone never does). */
  min_count: z.number().int().min(2).max(100000).nullable().default(10),
  /** Share of the platform's devices tripping within the window (null: share alone never does). */
  min_share: z.number().gt(0).max(1).nullable().default(0.2),
  /**
   * The share rule needs at least this many trips: on a fleet of 20, 20 % is 4 devices and 3 is
   * within what independent failures give; 5 of 20 in 5 minutes is an outage (hub/README.md).
   */
  share_min_count: z.number().int().min(2).default(5),
  /**
   * An open incident ends this long after the last trip it absorbed (or earlier, once a window
   * has passed and the platform's failing devices no longer meet the rule): incident-expiry.ts.
   */
  expire_after_s: z.number().int().min(60).max(7 * 86400).default(1800),
});
export type CorrelationConfig = z.infer<typeof correlationConfig>;

export interface Trip {
  execution_id: string;
  device_key: string;
  at: number;
}

export interface Incident {
  id: string;
  platform_id: string;
  opened_at: number;
  /** Trips held by this incident (the burst and every trip while it is open). */
  held: Trip[];
  /** Devices of the platform when it opened, and the figure that tripped it. */
  fleet: number;
  rule: string;
  status: 'open' | 'released' | 'expired';
  released_at: number | null;
  released_by: string | null;
  /** The last trip it absorbed (absent in incidents stored before expiry existed). */
  last_trip_at?: number;
  /** When and why it expired (status `expired`). */
  expired_at?: number | null;
  expired_reason?: string | null;
  /** Who was told when it opened: `sms:on_call`, `webhook:<id>`; empty: nobody could be. */
  notified?: string[];
}

export interface CorrelationState {
  /** Recent trips per platform, inside the window. */
  recent: Record<string, Trip[]>;
  incidents: Incident[];
}

export function emptyCorrelation(): CorrelationState {
  return { recent: {}, incidents: [] };
}
