// The wizard's draft: what the operator has entered so far, kept as typed (strings) in a hidden
// field between steps, turned into the API's JobInput for validation and saving. Durations are
// entered in minutes and sent in seconds. Field names in the form are the API's field paths
// (conditions[0].value, steps[0].command.text ...) except the minute fields, mapped below.
import { z } from 'zod';
import type { Job, JobInput } from '../model/job.js';
import { firstSend } from '../model/steps.js';

export interface DraftCondition {
  metric: string;
  op: string;
  value: string;
}
export interface DraftRange {
  days: number[];
  from: string;
  to: string;
}

export interface Draft {
  edit_id: string | null;
  device: { key_type: string; key: string; name: string } | null;
  conditions: DraftCondition[];
  combine: 'and' | 'or';
  for_min: string;
  no_data_mode: 'ignore' | 'fire';
  no_data_min: string;
  windows_on: boolean;
  tz: string;
  ranges: DraftRange[];
  cooldown_min: string;
  site_id: string;
  control_device_id: string;
  command_kind: 'catalog' | 'text';
  command_id: string;
  params: Record<string, string>;
  text: string;
  expires_s: number | null;
  name: string;
  enabled: boolean;
}

export const STEPS = [1, 2, 3, 4, 5] as const;
export type StepNo = (typeof STEPS)[number];

export function emptyDraft(): Draft {
  return {
    edit_id: null,
    device: null,
    conditions: [],
    combine: 'and',
    for_min: '5',
    no_data_mode: 'ignore',
    no_data_min: '5',
    windows_on: false,
    tz: 'Europe/Moscow',
    ranges: [{ days: [1, 2, 3, 4, 5], from: '08:00', to: '20:00' }],
    cooldown_min: '30',
    site_id: '',
    control_device_id: '',
    command_kind: 'catalog',
    command_id: '',
    params: {},
    text: '',
    expires_s: null,
    name: '',
    enabled: true,
  };
}

const minutes = (s: number) => String(Math.round((s / 60) * 100) / 100);

/** A draft from a stored job (edit), or a copy of it (clone: no id, automatic name). */
export function draftFromJob(job: Job, clone: boolean): Draft {
  const step = firstSend(job.steps);
  const cmd = step?.command;
  return {
    ...emptyDraft(),
    edit_id: clone ? null : job.id,
    device: { key_type: job.device.key_type, key: job.device.key, name: job.device.name },
    conditions: job.conditions.map((c) => ({ metric: c.metric, op: c.op, value: String(c.value) })),
    combine: job.combine,
    for_min: minutes(job.for_s),
    no_data_mode: job.no_data.mode,
    no_data_min: minutes(job.no_data.after_s),
    windows_on: job.windows !== null,
    tz: job.windows?.tz ?? 'Europe/Moscow',
    ranges: job.windows?.ranges.map((r) => ({ days: [...r.days], from: r.from, to: r.to })) ?? emptyDraft().ranges,
    cooldown_min: minutes(job.cooldown_s),
    site_id: step?.site_id ?? '',
    control_device_id: step?.control_device_id ?? '',
    command_kind: cmd?.kind ?? 'catalog',
    command_id: cmd?.kind === 'catalog' ? cmd.command_id : '',
    params: cmd?.kind === 'catalog' ? Object.fromEntries(Object.entries(cmd.params).map(([k, v]) => [k, String(v)])) : {},
    text: cmd?.kind === 'text' ? cmd.text : '',
    expires_s: step?.expires_s ?? null,
    name: clone || job.name_auto ? '' : job.name,
    enabled: job.enabled,
  };
}

/** A number as typed: empty stays NaN so the schema says what is wrong. */
const num = (s: string): number => (s.trim() === '' ? Number.NaN : Number(s.trim().replace(',', '.')));
const secs = (s: string): number => {
  const n = num(s);
  return Number.isFinite(n) ? Math.round(n * 60) : n;
};

/** A catalog parameter as typed: numbers for numeric parameters when the text is a number. */
function paramValue(v: string, type: string | undefined): string | number {
  const n = Number(v.trim());
  return (type === 'integer' || type === 'number') && Number.isFinite(n) ? n : v;
}

/**
 * The API input this draft stands for (unvalidated: the API's schema judges it). `paramTypes`
 * gives the catalog type of each parameter of the chosen command.
 */
export function toJobInput(d: Draft, paramTypes: Readonly<Record<string, string>> = {}): JobInput {
  const params = Object.fromEntries(
    Object.entries(d.params)
      .filter(([, v]) => v.trim() !== '')
      .map(([k, v]) => [k, paramValue(v, paramTypes[k])]),
  );
  const command = d.command_kind === 'text' ? { kind: 'text' as const, text: d.text } : { kind: 'catalog' as const, command_id: d.command_id, params };
  const input: JobInput = {
    enabled: d.enabled,
    device: (d.device ?? undefined) as JobInput['device'],
    conditions: d.conditions.map((c) => ({ metric: c.metric, op: c.op as '>', value: num(c.value) })),
    combine: d.combine,
    for_s: secs(d.for_min),
    no_data: { mode: d.no_data_mode, after_s: secs(d.no_data_min) },
    windows: d.windows_on ? { tz: d.tz, ranges: d.ranges.map((r) => ({ days: r.days, from: r.from, to: r.to })) } : null,
    cooldown_s: secs(d.cooldown_min),
    steps: d.site_id || d.control_device_id ? [{ type: 'send', site_id: d.site_id, control_device_id: d.control_device_id, command, ...(d.expires_s ? { expires_s: d.expires_s } : {}) }] : [],
  };
  if (d.name.trim()) input.name = d.name.trim();
  return input;
}

/** API field path -> form field name (they differ only for durations entered in minutes). */
export function formField(apiField: string): string {
  if (apiField === 'for_s') return 'for_min';
  if (apiField === 'cooldown_s') return 'cooldown_min';
  if (apiField === 'no_data.after_s' || apiField === 'no_data') return 'no_data_min';
  return apiField;
}

/** The wizard step where a field is entered. */
export function stepOf(field: string): StepNo {
  if (field === 'device' || field.startsWith('device.')) return 1;
  if (field === 'conditions') return 2;
  if (/^(conditions\[|combine|for_|no_data|windows|cooldown_)/.test(field)) return 3;
  if (field.startsWith('steps')) return 4;
  return 5;
}

export function encodeDraft(d: Draft): string {
  return JSON.stringify(d);
}

// Shape of the hidden field (the browser may send anything back): each part falls back to its
// default instead of failing, so a tampered draft only loses what was malformed.
const str = (max = 2000) => z.string().max(max).catch('');
const E = emptyDraft();
const draftShape = z.object({
  edit_id: z.string().max(64).nullable().catch(null),
  device: z.object({ key_type: str(20), key: str(200), name: str(300) }).nullable().catch(null),
  conditions: z.array(z.object({ metric: str(300), op: str(4), value: str(50) })).max(10).catch([]),
  combine: z.enum(['and', 'or']).catch('and'),
  for_min: str(20).catch(E.for_min),
  no_data_mode: z.enum(['ignore', 'fire']).catch('ignore'),
  no_data_min: str(20),
  windows_on: z.boolean().catch(false),
  tz: str(100),
  ranges: z.array(z.object({ days: z.array(z.number().int()).max(7).catch([]), from: str(10), to: str(10) })).max(20).catch(E.ranges),
  cooldown_min: str(20),
  site_id: str(100),
  control_device_id: str(100),
  command_kind: z.enum(['catalog', 'text']).catch('catalog'),
  command_id: str(100),
  params: z.record(z.string().max(100), z.string().max(500)).catch({}),
  text: str(4000),
  expires_s: z.number().int().nullable().catch(null),
  name: str(300),
  enabled: z.boolean().catch(true),
});

/** Parse the hidden draft field; anything malformed starts over rather than failing. */
export function decodeDraft(raw: unknown): Draft {
  if (typeof raw !== 'string' || raw.length > 64 * 1024) return emptyDraft();
  try {
    const r = draftShape.safeParse({ ...E, ...(JSON.parse(raw) as object) });
    return r.success ? r.data : emptyDraft();
  } catch {
    return emptyDraft();
  }
}
