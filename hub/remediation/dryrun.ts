// Dry run (issue 10, "Guardrails": "A dry run of a playbook says exactly what would be sent to
// whom, without sending"). Pure: renders every SMS with the same code the dispatcher uses
// (hub/core/action.ts) and every notification with the reducer's own code, resolves the on-call
// list and the webhook endpoints, says which guardrail would stop it, and reports what the
// current data says about each verify step. Nothing is sent, nothing is stored.
import type { Catalog } from '../catalog/catalog.js';
import { planSms } from '../common/sms/index.js';
import { stepText, type TextContext } from '../core/action.js';
import { evalConditions } from '../core/conditions.js';
import type { ControlDevice } from '../model/entities.js';
import type { Incident } from './correlation.js';
import type { DeviceCheck } from './guardrails.js';
import type { Playbook } from './playbook.js';
import { notifyEffects } from './reducer.js';
import { createRun } from './run.js';
import { validateWebhookUrl, type UrlPolicy, type WebhookEndpoint } from './webhook.js';

export interface DryRunContext extends TextContext {
  id?: string;
  platform_id: string;
  job_id: string;
  controlDevices: ReadonlyMap<string, ControlDevice>;
  catalogs: ReadonlyMap<string, Catalog>;
  /** The platform's on-call numbers. */
  onCall: readonly string[];
  endpoints: ReadonlyMap<string, Pick<WebhookEndpoint, 'id' | 'url' | 'enabled'>>;
  urlPolicy: UrlPolicy;
  /** Guardrail checks at this moment, when the caller has them. */
  device_check?: DeviceCheck;
  incident?: Incident;
  now: number;
}

export interface DrySms {
  channel: 'sms';
  /** The site whose modem sends it. */
  site_id: string;
  to: string;
  /** Who `to` is: a control device's name or "on-call". */
  to_name: string;
  text: string;
  parts: number;
  encoding: 'gsm7' | 'ucs2';
}

export interface DryWebhook {
  channel: 'webhook';
  endpoint_id: string;
  url: string;
  body: string;
}

export interface DryStep {
  index: number;
  type: Playbook[number]['type'];
  /** null: runs unconditionally; otherwise the verify step whose failure makes it run. */
  runs_if_not_recovered_at: number | null;
  messages: Array<DrySms | DryWebhook>;
  /** wait: seconds; verify: the deadline in seconds. */
  duration_s?: number;
  /** verify: what the current data says (true / false / null = no data). */
  holds_now?: boolean | null;
  errors: Array<{ field: string; message: string }>;
}

export interface DryRun {
  /** What would happen now: act, escalate (device limit: only notify steps), hold (incident). */
  decision: 'act' | 'escalate' | 'hold';
  reason: string | null;
  steps: DryStep[];
  /** Every error, with the field path relative to the playbook (e.g. `steps[0].command.params.minutes`). */
  errors: Array<{ field: string; message: string }>;
}

function sample(values: Readonly<Record<string, number | null>>): Map<string, number> {
  const m = new Map<string, number>();
  for (const [k, v] of Object.entries(values)) if (v !== null) m.set(k, v);
  return m;
}

function smsStep(i: number, s: Extract<Playbook[number], { type: 'send' }>, ctx: DryRunContext, out: DryStep): void {
  const dev = ctx.controlDevices.get(s.control_device_id);
  if (!dev) return void out.errors.push({ field: `steps[${i}].control_device_id`, message: 'no such control device' });
  if (!dev.site_ids.includes(s.site_id)) out.errors.push({ field: `steps[${i}].site_id`, message: `${dev.name} does not obey site ${s.site_id}` });
  const t = stepText(s, dev, ctx.catalogs, ctx);
  if (!t.ok) return void out.errors.push({ field: `steps[${i}].${t.field}`, message: t.message });
  out.messages.push({ channel: 'sms', site_id: s.site_id, to: dev.phone, to_name: dev.name, text: t.text, parts: t.parts, encoding: t.encoding });
}

export function dryRun(steps: Playbook, ctx: DryRunContext): DryRun {
  let decision: DryRun['decision'] = 'act';
  let reason: string | null = null;
  if (ctx.incident?.status === 'open') {
    decision = 'hold';
    reason = `incident ${ctx.incident.id}: ${ctx.incident.rule}`;
  } else if (ctx.device_check && !ctx.device_check.allowed) {
    decision = 'escalate';
    reason = ctx.device_check.reason;
  }
  // The notifications as the reducer would render them after a failed verify (or an escalation).
  const run = createRun({ id: ctx.id ?? 'dry-run', platform_id: ctx.platform_id, job_id: ctx.job_id, job_name: ctx.job.name, device: { key: ctx.job.device.key, name: ctx.job.device.name }, steps }, ctx.now);
  run.escalated = true;
  run.escalation_reason = decision === 'escalate' ? reason : null;
  run.outcome = decision === 'escalate' ? null : steps.some((s) => s.type === 'verify') ? 'not_recovered' : null;

  const now = sample(ctx.values);
  let lastVerify: number | null = null;
  const out: DryStep[] = steps.map((s, i) => {
    const d: DryStep = { index: i, type: s.type, runs_if_not_recovered_at: lastVerify, messages: [], errors: [] };
    if (decision !== 'act' && s.type !== 'notify') return d;
    if (s.type === 'send') smsStep(i, s, ctx, d);
    else if (s.type === 'wait') d.duration_s = s.duration_s;
    else if (s.type === 'verify') {
      d.duration_s = s.within_s;
      d.holds_now = evalConditions(s.conditions, s.combine, now) ?? null;
      lastVerify = i;
    } else {
      for (const e of notifyEffects(run, i, s, ctx.now)) {
        if (e.type === 'notify_sms') {
          const to = e.to === 'on_call' ? ctx.onCall : e.to;
          if (to.length === 0) d.errors.push({ field: `steps[${i}].sms.to`, message: 'the platform has no on-call list' });
          const plan = planSms(e.text);
          for (const n of to) d.messages.push({ channel: 'sms', site_id: e.site_id, to: n, to_name: e.to === 'on_call' ? 'on-call' : n, text: e.text, parts: plan.parts.length, encoding: plan.encoding });
        } else if (e.type === 'webhook') {
          const ep = ctx.endpoints.get(e.endpoint_id);
          const field = `steps[${i}].webhooks`;
          if (!ep) d.errors.push({ field, message: `no such webhook endpoint ${e.endpoint_id}` });
          else if (!ep.enabled) d.errors.push({ field, message: `webhook endpoint ${e.endpoint_id} is disabled` });
          else {
            const v = validateWebhookUrl(ep.url, ctx.urlPolicy);
            if (!v.ok) d.errors.push({ field, message: `${e.endpoint_id}: ${v.message}` });
            else d.messages.push({ channel: 'webhook', endpoint_id: ep.id, url: v.url, body: JSON.stringify({ delivery_id: '(assigned when sent)', ...e.event }) });
          }
        }
      }
    }
    return d;
  });
  return { decision, reason, steps: out, errors: out.flatMap((d) => d.errors) };
}
