// The SMS text of a send step: a catalog command with its parameters, or free text with
// placeholders. Pure; errors name the field (relative to the step).
import { planSms } from '../common/sms/index.js';
import { type Catalog, GENERIC_MODEL, renderCommand } from '../catalog/catalog.js';
import type { Job, SendStep } from '../model/job.js';
import type { ControlDevice } from '../model/entities.js';
import { renderTemplate } from './template.js';
import { type Refusal, refuse } from '../model/issue.js';

/** Most SMS parts one step may need. */
export const MAX_PARTS = 3;

export interface TextContext {
  job: Pick<Job, 'name' | 'device' | 'conditions'>;
  /** Current value of each condition's metric, when known. */
  values: Readonly<Record<string, number | null>>;
}

export type TextResult = { ok: true; text: string; parts: number; encoding: 'gsm7' | 'ucs2' } | Refusal;

export function templateValues(ctx: TextContext): Record<string, string | number> {
  const first = ctx.job.conditions[0];
  const value = first ? ctx.values[first.metric] : undefined;
  return {
    device: ctx.job.device.name || ctx.job.device.key,
    device_key: ctx.job.device.key,
    job: ctx.job.name,
    metric: first?.metric ?? '',
    threshold: first?.value ?? '',
    value: value === undefined || value === null ? '?' : value,
  };
}

export function stepText(step: SendStep, device: ControlDevice, catalogs: ReadonlyMap<string, Catalog>, ctx: TextContext): TextResult {
  let text: string;
  const command = step.command;
  if (command.kind === 'catalog') {
    const catalog = catalogs.get(device.model);
    if (!catalog) return refuse('command.command_id', 'no_catalog', `control device model ${device.model} has no command catalog; use free text`, { model: device.model });
    const cmd = catalog.commands.find((c) => c.id === command.command_id);
    if (!cmd) return refuse('command.command_id', 'unknown_command', `is not a command of ${device.model}`, { model: device.model });
    const r = renderCommand(cmd, command.params);
    if (!r.ok) return { ...r, field: `command.${r.field}` };
    text = r.text;
  } else {
    text = renderTemplate(command.text, templateValues(ctx));
  }
  const plan = planSms(text);
  if (plan.parts.length > MAX_PARTS) {
    return refuse(step.command.kind === 'text' ? 'command.text' : 'command.params', 'too_many_sms_parts', `needs ${plan.parts.length} SMS parts (${plan.encoding}), at most ${MAX_PARTS} allowed`, {
      parts: plan.parts.length,
      encoding: plan.encoding,
      max: MAX_PARTS,
    });
  }
  return { ok: true, text, parts: plan.parts.length, encoding: plan.encoding };
}

export function isKnownModel(model: string, catalogs: ReadonlyMap<string, Catalog>): boolean {
  return model === GENERIC_MODEL || catalogs.has(model);
}
