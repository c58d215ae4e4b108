// Step schemas of a job's action (a playbook): send / wait / verify / notify. Kept apart from
// job.ts so that hub/remediation can build on them without an import cycle.
import { z } from 'zod';
import { coded, codedPattern } from './issue.js';
import { opaqueId, phoneNumber, siteId } from '../common/contract/index.js';

/** Prometheus metric name (no label matchers, no PromQL). */
export const metricName = z.string().regex(codedPattern(/^[a-zA-Z_:][a-zA-Z0-9_:]{0,199}$/, 'metric_name'), 'must be a Prometheus metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)');

export const operator = z.enum(['>', '>=', '<', '<=', '==', '!=']);
export type Operator = z.infer<typeof operator>;

export const condition = z.object({
  metric: metricName,
  op: operator,
  value: z.number().refine(Number.isFinite, coded('not_finite', 'must be a finite number')),
});
export type Condition = z.infer<typeof condition>;

/** A command from the control device model's catalog with its typed parameters. */
export const catalogCommand = z.object({
  kind: z.literal('catalog'),
  command_id: z.string().min(1).max(100),
  params: z.record(z.string(), z.union([z.string(), z.number()])).default({}),
});

/** Free text; {device}, {device_key}, {metric}, {value}, {threshold}, {job} are replaced. */
export const freeText = z.object({
  kind: z.literal('text'),
  text: z.string().min(1, 'must not be empty').max(1530),
});
export const command = z.discriminatedUnion('kind', [catalogCommand, freeText]);
export type Command = z.infer<typeof command>;

/** Step `send`: one SMS to a control device through a site's modem. */
export const sendStep = z.object({
  type: z.literal('send'),
  site_id: siteId,
  control_device_id: opaqueId,
  command,
  /** How long the hub keeps re-sending an unacknowledged job before giving up. */
  expires_s: z.number().int().min(30).max(86400).default(900),
});
export type SendStep = z.infer<typeof sendStep>;

/** Step `wait`: do nothing for `duration_s` (e.g. while a socket holds the power off). */
export const waitStep = z.object({
  type: z.literal('wait'),
  duration_s: z.number().int().min(1).max(86400),
});
export type WaitStep = z.infer<typeof waitStep>;

/**
 * Step `verify`: the conditions on the monitored device must hold within `within_s`, without
 * interruption for `hold_s` (a flapping player is not "recovered" by one good sample). Only data
 * newer than the start of the step counts. What happens on each outcome:
 *   recovered     -> the execution ends (the remaining steps are the fallback);
 *   not_recovered -> the next step runs (e.g. a longer power-off, then people);
 *   unknown       -> `on_unknown`: `notify_only` runs only the remaining notify steps (no blind
 *                    power-cycle on a Prometheus gap), `continue` runs the next step, `stop` ends.
 */
export const verifyStep = z.object({
  type: z.literal('verify'),
  conditions: z.array(condition).min(1, 'must hold at least one condition').max(10),
  combine: z.enum(['and', 'or']).default('and'),
  within_s: z.number().int().min(10).max(86400),
  hold_s: z.number().int().min(0).max(3600).default(0),
  on_unknown: z.enum(['notify_only', 'continue', 'stop']).default('notify_only'),
});
export type VerifyStep = z.infer<typeof verifyStep>;

/** Who a notify SMS goes to: the platform's on-call list, or explicit numbers. */
export const smsRecipients = z.union([z.literal('on_call'), z.array(phoneNumber).min(1).max(20)]);

/**
 * Step `notify`: SMS through a site's modem and/or webhooks. Never blocks the playbook: the step
 * ends once the messages are handed to the outbox (a failing webhook is retried on its own).
 * `text` placeholders: {device}, {device_key}, {job}, {outcome}, {ttr_s}, {step}.
 */
export const notifyStep = z
  .object({
    type: z.literal('notify'),
    sms: z.object({ site_id: siteId, to: smsRecipients }).nullable().default(null),
    webhooks: z.array(opaqueId).max(10).default([]),
    text: z.string().min(1).max(459).default('{job}: {device} {outcome}'),
  })
  .refine((s) => s.sms !== null || s.webhooks.length > 0, { ...coded('notify_target', 'must name an SMS site or at least one webhook'), path: ['sms'] });
export type NotifyStep = z.infer<typeof notifyStep>;

/** A step of a playbook. */
export const stepV2 = z.union([sendStep, waitStep, verifyStep, notifyStep]);
export type StepV2 = z.infer<typeof stepV2>;
export type StepType = StepV2['type'];

/** A job's action: up to 20 steps, at least one that acts (one `send` is the simple case). */
export const playbook = z
  .array(stepV2)
  .min(1, 'must hold at least one step')
  .max(20)
  .superRefine((steps, ctx) => {
    if (!steps.some((s) => s.type === 'send' || s.type === 'notify')) {
      ctx.addIssue({ code: 'custom', ...coded('steps_need_action', 'must hold a send or notify step'), path: [] });
    }
    steps.forEach((s, i) => {
      if (s.type === 'verify' && !steps.slice(0, i).some((p) => p.type === 'send')) {
        ctx.addIssue({ code: 'custom', ...coded('verify_after_send', 'verify must follow a send step'), path: [i] });
      }
    });
  });
export type Playbook = z.infer<typeof playbook>;

/** How a playbook execution ended. */
export const outcomeV2 = z.enum(['recovered', 'not_recovered', 'unknown']);
export type Outcome = z.infer<typeof outcomeV2>;



/** The send steps of a playbook, with their indexes. */
export function sendSteps(steps: readonly StepV2[]): Array<SendStep & { index: number }> {
  const out: Array<SendStep & { index: number }> = [];
  steps.forEach((s, index) => {
    if (s.type === 'send') out.push({ ...s, index });
  });
  return out;
}

/** Every site a playbook sends from (commands and notification SMS). */
export function stepSites(steps: readonly StepV2[]): string[] {
  const out = new Set<string>();
  for (const s of steps) {
    if (s.type === 'send') out.add(s.site_id);
    if (s.type === 'notify' && s.sms) out.add(s.sms.site_id);
  }
  return [...out];
}

/** The first send step (the one-command case and the wizard's simple path). */
export function firstSend(steps: readonly StepV2[]): SendStep | undefined {
  return steps.find((s): s is SendStep => s.type === 'send');
}
