// Playbooks (issue 10, "Playbooks"): the proposed v2 of a job's steps. A playbook is an ordered
// list of steps, each one of: send (a catalog command or free text to a control device from a
// site), wait (a duration), verify (a condition on the monitored device that must hold within a
// deadline) and notify (people: SMS to an on-call list through a site's modem, webhooks).
// `sendStep` is reused unchanged from hub/model/job.ts, so every v1 job is a valid v2 playbook.
// Pure: schemas and templates only.
import { z } from 'zod';
import { opaqueId, phoneNumber, siteId } from '../common/contract/index.js';
import { condition, sendStep } from '../model/job.js';

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
  .refine((s) => s.sms !== null || s.webhooks.length > 0, { message: 'must name an SMS site or at least one webhook', path: ['sms'] });
export type NotifyStep = z.infer<typeof notifyStep>;

/** A step of the v2 schema (proposed replacement of `step` in hub/model/job.ts). */
export const stepV2 = z.union([sendStep, waitStep, verifyStep, notifyStep]);
export type StepV2 = z.infer<typeof stepV2>;
export type StepType = StepV2['type'];

/** Proposed v2 of `jobFields.steps`: up to 20 steps, at least one that acts. */
export const playbook = z
  .array(stepV2)
  .min(1, 'must hold at least one step')
  .max(20)
  .superRefine((steps, ctx) => {
    if (!steps.some((s) => s.type === 'send' || s.type === 'notify')) {
      ctx.addIssue({ code: 'custom', message: 'must hold a send or notify step', path: [] });
    }
    steps.forEach((s, i) => {
      if (s.type === 'verify' && !steps.slice(0, i).some((p) => p.type === 'send')) {
        ctx.addIssue({ code: 'custom', message: 'verify must follow a send step', path: [i] });
      }
    });
  });
export type Playbook = z.infer<typeof playbook>;

/** Proposed v2 of `outcome` in hub/model/execution.ts (same three values, plus the reasons). */
export const outcomeV2 = z.enum(['recovered', 'not_recovered', 'unknown']);
export type Outcome = z.infer<typeof outcomeV2>;

/** Options of the "power-cycle and verify" template. */
export interface PowerCycleOptions {
  model: 'SIMPAL_D210' | 'SIMPAL_D410';
  site_id: string;
  control_device_id: string;
  /** First power-off, minutes (default 1). */
  off_min?: number;
  /** Second, longer power-off when the first did not help (default 5). */
  long_off_min?: number;
  /** How long the player may take to boot and report online again (default 300 s). */
  boot_s?: number;
  /** D410 line: 0 = both (default), 1 or 2. Ignored for the D210 (one socket). */
  line?: 0 | 1 | 2;
  /** Metric that says the device is up (default signage_device_online == 1). */
  online_metric?: string;
  notify: { sms: { site_id: string; to: 'on_call' | string[] } | null; webhooks: string[] };
  /** Language of the people notification (default en). */
  lang?: 'ru' | 'en';
}

const NOT_RECOVERED_TEXT = {
  en: '{job}: {device} not recovered after power-cycles ({outcome})',
  ru: '{job}: {device} не восстановлен после перезагрузок питания ({outcome})',
};

function powerCycle(o: PowerCycleOptions, minutes: number): z.input<typeof sendStep>[] {
  const base = { type: 'send' as const, site_id: o.site_id, control_device_id: o.control_device_id };
  if (o.model === 'SIMPAL_D210') {
    // "#12#0#{minutes}#1#": power off for N minutes, then back on (the socket restores it).
    return [{ ...base, command: { kind: 'catalog', command_id: '12_0_minutes_1', params: { minutes } } }];
  }
  // D410 has no single off-for-N command: first "switch on in N minutes" (#11#L#1#N#), then
  // "switch off" (#02# / #02#L#). The order is deliberate: if the second SMS is lost the line
  // simply stays on; the reverse order could leave a player without power.
  const line = o.line ?? 0;
  return [
    { ...base, command: { kind: 'catalog', command_id: `11_${line}_1_minutes`, params: { minutes } } },
    { ...base, command: { kind: 'catalog', command_id: line === 0 ? '02' : `02_${line}`, params: {} } },
  ];
}

/**
 * "Power-cycle and verify" for the SimPal D210 / D410 sockets: power off for `off_min`, wait it
 * out, verify online == 1 within `boot_s`; if not recovered, power off for `long_off_min`, wait,
 * verify again; if still not recovered (or no data), notify people.
 */
export function powerCycleTemplate(o: PowerCycleOptions): Playbook {
  const off = o.off_min ?? 1;
  const longOff = o.long_off_min ?? 5;
  const boot = o.boot_s ?? 300;
  const online = { metric: o.online_metric ?? 'signage_device_online', op: '==' as const, value: 1 };
  const verify = { type: 'verify' as const, conditions: [online], within_s: boot, hold_s: 0 };
  const steps: unknown[] = [
    ...powerCycle(o, off),
    { type: 'wait', duration_s: off * 60 },
    verify,
    ...powerCycle(o, longOff),
    { type: 'wait', duration_s: longOff * 60 },
    verify,
    { type: 'notify', sms: o.notify.sms, webhooks: o.notify.webhooks, text: NOT_RECOVERED_TEXT[o.lang ?? 'en'] },
  ];
  return playbook.parse(steps);
}

/** The simple case (one command, one click in the wizard) is a one-step playbook. */
export function isSimple(p: Playbook): boolean {
  return p.length === 1 && p[0]?.type === 'send';
}
