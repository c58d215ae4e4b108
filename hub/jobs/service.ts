// Turning a validated job input into a stored job: references checked within the caller's
// platform (site, control device, catalog command, rendered SMS text), automatic name.
import type { Catalog } from '../catalog/catalog.js';
import { stepText } from '../core/action.js';
import { autoName } from '../core/names.js';
import { newId } from '../dispatch/dispatcher.js';
import type { Job, JobInputParsed } from '../model/job.js';
import type { HubStore } from '../store/store.js';
import type { FieldIssue } from '../api/errors.js';

export type BuildResult = { ok: true; job: Job } | { ok: false; issues: FieldIssue[] };

/** Check what a job refers to; errors name the field (steps[0].site_id, ...). */
export function checkReferences(input: JobInputParsed, platformId: string, store: HubStore, catalogs: ReadonlyMap<string, Catalog>): FieldIssue[] {
  const issues: FieldIssue[] = [];
  input.steps.forEach((step, i) => {
    const at = `steps[${i}]`;
    if (!store.site(platformId, step.site_id)) issues.push({ field: `${at}.site_id`, message: `site ${step.site_id} not found` });
    const device = store.controlDevice(step.control_device_id);
    if (!device || device.platform_id !== platformId) {
      issues.push({ field: `${at}.control_device_id`, message: `control device ${step.control_device_id} not found` });
      return;
    }
    if (!device.site_ids.includes(step.site_id)) {
      issues.push({ field: `${at}.site_id`, message: `control device ${device.name} does not accept commands from site ${step.site_id}` });
    }
    const values = Object.fromEntries(input.conditions.map((c) => [c.metric, c.value]));
    const text = stepText(step, device, catalogs, { job: { name: input.name ?? '', device: input.device, conditions: input.conditions }, values });
    if (!text.ok) issues.push({ field: `${at}.${text.field}`, message: text.message });
  });
  return issues;
}

export function buildJob(input: JobInputParsed, platformId: string, store: HubStore, catalogs: ReadonlyMap<string, Catalog>, now: number, existing?: Job): BuildResult {
  const issues = checkReferences(input, platformId, store, catalogs);
  if (issues.length) return { ok: false, issues };
  const at = new Date(now).toISOString();
  const named = input.name !== undefined && input.name.trim() !== '';
  const { name: _name, ...rest } = input;
  const job: Job = {
    ...rest,
    id: existing?.id ?? newId(now),
    platform_id: platformId,
    name: named ? (input.name as string).trim() : autoName(input.device, input.conditions, input.combine, 'ru'),
    name_auto: !named,
    created_at: existing?.created_at ?? at,
    updated_at: at,
  };
  return { ok: true, job };
}
