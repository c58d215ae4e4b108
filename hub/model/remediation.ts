// Per-platform remediation settings (issue 10): the on-call list, the site whose modem notifies
// people, the device limit, the SMS budget per site and the correlated-failure rule. The hub's
// config gives the defaults; PUT /api/v1/remediation/settings changes them per platform.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { phoneNumber, siteId } from '../common/contract/index.js';
import { correlationConfig } from './correlation.js';
import { deviceLimit, smsBudget } from './guardrails.js';
import { timeZone } from './job.js';

export const onCallEntry = z.object({
  name: z.string().max(100).default(''),
  phone: phoneNumber,
});
export type OnCallEntry = z.infer<typeof onCallEntry>;

export const remediationSettings = z.object({
  on_call: z.array(onCallEntry).max(50).default([]),
  /** The site whose modem sends incident notifications (playbook notify steps name their own). */
  notify_site_id: siteId.nullable().default(null),
  device_limit: deviceLimit.default({ max: 3, window_s: 86400 }),
  sms_budget: smsBudget.default({ per_hour: 60, sites: {} }),
  correlation: correlationConfig.default(correlationConfig.parse({})),
  /**
   * Issue 19: seconds the home site may be offline, report every modem down, or leave a job
   * unaccepted before the hub moves a command to the control device's next site (its
   * `site_ids` order: the first is home). null: never move.
   */
  failover_after_s: z.number().int().min(10).max(86400).nullable().default(120),
  /**
   * Issue 17: the IANA zone every page of the platform shows times in (and the zone a new
   * schedule starts with). null: the hub server's zone.
   */
  time_zone: timeZone.nullable().default(null),
});
export type RemediationSettings = z.infer<typeof remediationSettings>;

/** JSON with object keys sorted (PostgreSQL's jsonb does not keep the order they were written in). */
const canonical = (v: unknown): string =>
  v === null || typeof v !== 'object'
    ? JSON.stringify(v)
    : Array.isArray(v)
      ? `[${v.map(canonical).join(',')}]`
      : `{${Object.keys(v)
          .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
          .sort()
          .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
          .join(',')}}`;

/**
 * The settings' version (their ETag): a number derived from their content (the store keeps no
 * counter for them), so equal settings have equal versions, whatever their keys' order, and any
 * change a new one.
 */
export const settingsVersion = (s: RemediationSettings): number => parseInt(createHash('sha256').update(canonical(s)).digest('hex').slice(0, 12), 16);

/** PUT body: any subset of the settings, each part replaced as a whole. */
export const remediationSettingsInput = z
  .object({
    on_call: z.array(onCallEntry).max(50),
    notify_site_id: siteId.nullable(),
    device_limit: deviceLimit,
    sms_budget: smsBudget,
    correlation: correlationConfig,
    failover_after_s: z.number().int().min(10).max(86400).nullable(),
    time_zone: timeZone.nullable(),
  })
  .partial()
  .strict();

/** A stored webhook endpoint (the secret never leaves the store except once, on creation). */
export interface StoredWebhook {
  id: string;
  platform_id: string;
  url: string;
  secret: string;
  enabled: boolean;
  created_at: string;
}

export const webhookInput = z
  .object({
    url: z.string().min(1, 'must not be empty').max(2000),
    secret: z.string().min(16, 'must be at least 16 characters').max(200).optional(),
    enabled: z.boolean().default(true),
  })
  .strict();
export const webhookPatch = z
  .object({
    url: z.string().min(1, 'must not be empty').max(2000),
    secret: z.string().min(16, 'must be at least 16 characters').max(200),
    enabled: z.boolean(),
  })
  .partial()
  .strict();

export function publicWebhook(w: StoredWebhook): Omit<StoredWebhook, 'secret'> {
  const { secret: _secret, ...rest } = w;
  return rest;
}
