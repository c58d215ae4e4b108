// Playbooks (issue 10, "Playbooks"): the proposed v2 of a job's steps. A playbook is an ordered
// list of steps, each one of: send (a catalog command or free text to a control device from a
// site), wait (a duration), verify (a condition on the monitored device that must hold within a
// deadline) and notify (people: SMS to an on-call list through a site's modem, webhooks).
// `sendStep` is reused unchanged from hub/model/job.ts, so every v1 job is a valid v2 playbook.
// Pure: schemas and templates only.
import type { z } from 'zod';
import { playbook, type Playbook, type sendStep } from '../model/steps.js';

// The step schemas live in hub/model/steps.ts (the job model uses them); re-exported here.
export { notifyStep, outcomeV2, playbook, smsRecipients, stepV2, verifyStep, waitStep } from '../model/steps.js';
export type { NotifyStep, Outcome, Playbook, StepType, StepV2, VerifyStep, WaitStep } from '../model/steps.js';

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
