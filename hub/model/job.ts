// Job definition schemas: the single source of truth for the API, the store and the web form.
// A job watches one device's metrics, decides with conditions (AND/OR), `for`, a no-data policy,
// time windows and a cooldown, and runs an action. The action is a list of steps so that issue 10
// (playbooks: send, wait, verify, notify) extends it without a new shape; today one `send` step.
import { z } from 'zod';
import { coded, codedPattern } from './issue.js';
import { deviceKeyType, opaqueId, platformId, siteId } from '../common/contract/index.js';
import { condition, playbook } from './steps.js';
import { displayName } from './text.js';

export * from './steps.js';

/** The monitored device: its key label (device_id for AddReality, mac for CubicMedia) and name. */
export const deviceRef = z.object({
  key_type: deviceKeyType,
  key: z.string().min(1, 'must not be empty').max(128),
  name: z.string().max(200).default(''),
});
export type DeviceRef = z.infer<typeof deviceRef>;
/** As clients send it: the name must be clean text (issue 18); stored records keep the plain rule. */
const deviceRefInput = deviceRef.extend({ name: displayName(0, 200).default('') });

const hhmm = z.string().regex(codedPattern(/^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$/, 'time_hhmm'), 'must be HH:MM (00:00-24:00)');

// Constructing an Intl.DateTimeFormat costs about a millisecond: remembered per zone, so a store of
// 10,000 jobs with windows is checked at load in well under a second (hub/store/schemas.ts).
const knownZones = new Map<string, boolean>();
function validTimeZone(tz: string): boolean {
  const known = knownZones.get(tz);
  if (known !== undefined) return known;
  let ok: boolean;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    ok = true;
  } catch {
    ok = false;
  }
  if (knownZones.size < 1000) knownZones.set(tz, ok);
  return ok;
}

export const timeZone = z.string().min(1).refine(validTimeZone, coded('invalid_time_zone', 'must be an IANA time zone such as Europe/Moscow'));

/** Days are ISO weekdays: 1 = Monday ... 7 = Sunday. A range with from > to crosses midnight. */
export const timeRange = z.object({
  days: z.array(z.number().int().min(1).max(7)).min(1, 'must name at least one day').max(7),
  from: hhmm,
  to: hhmm,
});
export type TimeRange = z.infer<typeof timeRange>;

export const timeWindows = z.object({
  tz: timeZone,
  ranges: z.array(timeRange).min(1, 'must hold at least one range').max(20),
});
export type TimeWindows = z.infer<typeof timeWindows>;

/**
 * Missing or stale data: a gap shorter than `after_s` changes nothing (hysteresis); a longer one
 * puts the job in `no_data`, and with `fire` runs the action once for that outage.
 */
export const noDataPolicy = z.object({
  mode: z.enum(['ignore', 'fire']).default('ignore'),
  after_s: z.number().int().min(0).max(7 * 86400).default(300),
});
export type NoDataPolicy = z.infer<typeof noDataPolicy>;

const jobFields = {
  name: z.string().max(200).optional(),
  enabled: z.boolean().default(true),
  device: deviceRef,
  conditions: z.array(condition).min(1, 'must hold at least one condition').max(10),
  combine: z.enum(['and', 'or']).default('and'),
  for_s: z.number().int().min(0).max(7 * 86400).default(0),
  no_data: noDataPolicy.default({ mode: 'ignore', after_s: 300 }),
  windows: timeWindows.nullable().default(null),
  cooldown_s: z.number().int().min(0).max(30 * 86400).default(1800),
  steps: playbook,
};

/** What a client sends to create or replace a job (the platform comes from the caller). */
export const jobInput = z.object({ ...jobFields, device: deviceRefInput, name: displayName(0, 200).optional() }).strict();
export type JobInput = z.input<typeof jobInput>;
export type JobInputParsed = z.output<typeof jobInput>;

/** A stored job. */
export const job = z.object({
  ...jobFields,
  id: opaqueId,
  platform_id: platformId,
  name: z.string().min(1).max(200),
  /** True while the name is the automatic one (it follows edits of conditions / device). */
  name_auto: z.boolean(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type Job = z.infer<typeof job>;

/** Evaluation states of a job (persisted, so a restart does not re-fire). */
export const jobState = z.enum(['ok', 'pending', 'firing', 'cooldown', 'no_data']);
export type JobState = z.infer<typeof jobState>;

/** The persisted runtime of one job; times in epoch ms. */
export const jobRuntime = z.object({
  state: jobState,
  since: z.number(),
  /** When the condition started to hold without interruption. */
  cond_since: z.number().nullable(),
  /** Last time data was seen for every condition's metric. */
  data_at: z.number().nullable(),
  last_fired_at: z.number().nullable(),
  last_execution_id: z.string().nullable(),
  /** The current outage (no data) already fired. */
  nodata_fired: z.boolean(),
  /**
   * The condition was seen not holding at least once. A first trip without it was failing
   * before the job existed: it does not count towards a correlated-failure incident (issue 21).
   */
  seen_ok: z.boolean().optional(),
});
export type JobRuntime = z.infer<typeof jobRuntime>;

export function initialRuntime(now: number): JobRuntime {
  return { state: 'ok', since: now, cond_since: null, data_at: null, last_fired_at: null, last_execution_id: null, nodata_fired: false };
}

export const jobListQuery = z.object({
  enabled: z.enum(['true', 'false']).optional(),
  state: jobState.optional(),
  key: z.string().max(128).optional(),
  site_id: siteId.optional(),
  q: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  offset: z.coerce.number().int().min(0).default(0),
  /** Keyset pagination: `next_cursor` of the previous page (opaque). */
  cursor: z.string().max(2048).optional(),
});
