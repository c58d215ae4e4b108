// The wizard's server logic, without HTML: merging a step's form fields into the draft, and
// validating the draft with the API's own schema (jobInput) and reference checks
// (validateJobInput, as POST /api/v1/jobs/validate), reporting only the fields of the steps asked for, by form field name.
// References are read through the store port in the session's platform only (issue 20); messages
// are the issue codes' texts in the user's language (hub/api/issue-codes.ts), never zod's.
import type { ApiIssue } from '../api/errors.js';
import { issueText } from '../api/issue-codes.js';
import type { Catalog } from '../catalog/catalog.js';
import { validateJobInput } from '../jobs/service.js';
import type { JobInput } from '../model/job.js';
import { scopeOf, type StorePort } from '../store/port.js';
import { type Draft, formField, type StepNo, stepOf, toJobInput } from './draft.js';
import type { FieldErrors } from './context.js';
import { type Lang, translator } from './i18n.js';
import { issueWords, type IssueLike } from './issue-words.js';

export type Form = Record<string, string | File | (string | File)[]>;

export function one(f: Form, key: string): string | undefined {
  const v = f[key];
  const x = Array.isArray(v) ? v[0] : v;
  return typeof x === 'string' ? x : undefined;
}
export function all(f: Form, key: string): string[] {
  const v = f[key];
  return (Array.isArray(v) ? v : v === undefined ? [] : [v]).filter((x): x is string => typeof x === 'string');
}
const txt = (f: Form, key: string, fallback: string): string => one(f, key) ?? fallback;

/** Apply the fields a step's form sent to the draft. */
export function mergeStep(d: Draft, step: StepNo, f: Form): Draft {
  const n = { ...d };
  if (step === 2) {
    const chosen = all(f, 'metric');
    const kept = d.conditions.filter((c) => chosen.includes(c.metric));
    for (const m of chosen) if (!kept.some((c) => c.metric === m)) kept.push({ metric: m, op: '>', value: '' });
    n.conditions = kept.slice(0, 10);
  } else if (step === 3) {
    n.conditions = d.conditions.map((c, i) => ({
      metric: txt(f, `conditions[${i}].metric`, c.metric),
      op: txt(f, `conditions[${i}].op`, c.op),
      value: txt(f, `conditions[${i}].value`, c.value),
    }));
    n.combine = one(f, 'combine') === 'or' ? 'or' : 'and';
    n.for_min = txt(f, 'for_min', d.for_min);
    n.no_data_mode = one(f, 'no_data.mode') === 'fire' ? 'fire' : 'ignore';
    n.no_data_min = txt(f, 'no_data_min', d.no_data_min);
    n.cooldown_min = txt(f, 'cooldown_min', d.cooldown_min);
    n.windows_on = one(f, 'windows_on') === 'on';
    n.tz = txt(f, 'windows.tz', d.tz);
    n.ranges = d.ranges.map((r, i) => ({
      days: f[`windows.ranges[${i}].from`] === undefined ? r.days : all(f, `windows.ranges[${i}].days`).map(Number).filter((x) => Number.isInteger(x)),
      from: txt(f, `windows.ranges[${i}].from`, r.from),
      to: txt(f, `windows.ranges[${i}].to`, r.to),
    }));
  } else if (step === 4) {
    n.site_id = txt(f, 'steps[0].site_id', d.site_id);
    const control = txt(f, 'steps[0].control_device_id', d.control_device_id);
    const kind = txt(f, 'steps[0].command.kind', d.command_kind);
    n.command_kind = kind === 'text' ? 'text' : 'catalog';
    const commandId = txt(f, 'steps[0].command.command_id', d.command_id);
    // Another device model or command: earlier parameters no longer apply.
    const changed = control !== d.control_device_id || commandId !== d.command_id;
    n.control_device_id = control;
    n.command_id = commandId;
    const params: Record<string, string> = changed ? {} : { ...d.params };
    const prefix = 'steps[0].command.params.';
    for (const k of Object.keys(f)) if (k.startsWith(prefix) && !changed) params[k.slice(prefix.length)] = one(f, k) ?? '';
    n.params = params;
    n.text = txt(f, 'steps[0].command.text', d.text);
    const mode = one(f, 'action_mode');
    if (mode === 'command' || mode === 'power_cycle' || (mode === 'playbook' && d.kept)) n.action_mode = mode;
    // The power-cycle fields were on the page: read them (an unticked box sends nothing).
    if (f['pc.off_min'] !== undefined) {
      n.pc = {
        off_min: txt(f, 'pc.off_min', d.pc.off_min),
        long_off_min: txt(f, 'pc.long_off_min', d.pc.long_off_min),
        boot_s: txt(f, 'pc.boot_s', d.pc.boot_s),
        line: txt(f, 'pc.line', d.pc.line),
        notify_sms: one(f, 'pc.notify.sms') === 'on',
        notify_site_id: txt(f, 'pc.notify.sms.site_id', d.pc.notify_site_id),
        webhooks: all(f, 'pc.notify.webhooks').slice(0, 10),
      };
    }
    // Just switched to power-cycle: people are notified through the job's site unless told otherwise.
    if (n.action_mode === 'power_cycle' && d.action_mode !== 'power_cycle' && !n.pc.notify_site_id) n.pc = { ...n.pc, notify_site_id: n.site_id };
  } else if (step === 5) {
    n.name = txt(f, 'name', d.name);
    n.enabled = f.name !== undefined ? one(f, 'enabled') === 'on' : d.enabled;
  }
  return n;
}

export interface ValidateDeps {
  port: StorePort;
  catalogs: ReadonlyMap<string, Catalog>;
}

const MINUTE_FIELDS = new Set(['for_s', 'cooldown_s', 'no_data.after_s']);

/**
 * An issue in the user's words: its code's text, with one operator-friendly change: durations
 * entered in minutes state their bounds in minutes. A check without a known code keeps its text.
 */
export function issueMessage(i: ApiIssue, lang: Lang): string {
  const t = translator(lang);
  if (MINUTE_FIELDS.has(i.field) && i.code === 'out_of_range') {
    const max = i.params.max;
    const bound = Number(max ?? i.params.min) / 60;
    return t(max !== undefined ? 'at_most_min' : 'at_least_min', { n: Math.round(bound * 100) / 100 });
  }
  if (i.code === 'not_a_number') return t('not_a_number');
  return i.code === 'invalid' ? i.message : issueText(i.code, i.params, lang);
}

/** Catalog types of the chosen command's parameters (via the platform's control device). */
export async function paramTypes(d: Draft, deps: ValidateDeps, platformId: string): Promise<Record<string, string>> {
  const device = d.control_device_id ? await deps.port.controlDevices.get(scopeOf(platformId), d.control_device_id) : undefined;
  if (!device) return {};
  const cmd = deps.catalogs.get(device.model)?.commands.find((c) => c.id === d.command_id);
  return cmd ? Object.fromEntries(Object.entries(cmd.params).map(([k, spec]) => [k, spec.type])) : {};
}

/** The API input of a draft, with catalog parameters typed. */
export async function inputOf(d: Draft, deps: ValidateDeps, platformId: string): Promise<JobInput> {
  return toJobInput(d, await paramTypes(d, deps, platformId));
}

/** Issues of the whole draft as the API would report them, by API field path, in `lang`. */
export async function draftIssues(d: Draft, lang: Lang, platformId: string, deps: ValidateDeps): Promise<ApiIssue[]> {
  // The API's own validation (POST /jobs/validate runs the same function).
  const r = await validateJobInput(await inputOf(d, deps, platformId), platformId, deps.port, deps.catalogs);
  return r.ok ? [] : r.issues.map((i) => ({ ...i, message: issueMessage(i, lang) }));
}

/** Form errors of the steps `from`..`to` (one message per field, the first), in the user's words (issue-words.ts). */
export function stepErrors(issues: readonly IssueLike[], from: StepNo, to: StepNo, lang: Lang): FieldErrors {
  const out: FieldErrors = {};
  for (const i of issues) {
    const s = stepOf(i.field);
    if (s < from || s > to) continue;
    const name = formField(i.field);
    out[name] ??= issueWords(i, lang);
  }
  return out;
}

/** The earliest step with an error, or null. */
export function firstErrorStep(errors: FieldErrors): StepNo | null {
  let best: StepNo | null = null;
  for (const f of Object.keys(errors)) {
    const s = stepOf(f);
    if (best === null || s < best) best = s;
  }
  return best;
}
