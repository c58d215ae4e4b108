// Turning a validated job input into a stored job: references checked within the caller's
// platform (site, control device, catalog command, rendered SMS text), automatic name.
import type { Catalog } from '../catalog/catalog.js';
import { stepText } from '../core/action.js';
import { autoName, type Lang } from '../core/names.js';
import { fieldPath } from '../api/errors.js';
import { jobInput } from '../model/job.js';
import type { z } from 'zod';
import { newId } from '../model/ids.js';
import type { Job, JobInputParsed } from '../model/job.js';
import type { HubStore } from '../store/store.js';
import type { FieldIssue } from '../api/errors.js';

export type BuildResult = { ok: true; job: Job } | { ok: false; issues: FieldIssue[] };

/** Check what a job refers to; errors name the field (steps[0].site_id, ...). */
export function checkReferences(input: JobInputParsed, platformId: string, store: HubStore, catalogs: ReadonlyMap<string, Catalog>): FieldIssue[] {
  const issues: FieldIssue[] = [];
  input.steps.forEach((step, i) => {
    const at = `steps[${i}]`;
    if (step.type === 'notify') {
      if (step.sms && !store.site(platformId, step.sms.site_id)) issues.push({ field: `${at}.sms.site_id`, message: `site ${step.sms.site_id} not found` });
      step.webhooks.forEach((id, k) => {
        const w = store.webhook(id);
        if (!w || w.platform_id !== platformId) issues.push({ field: `${at}.webhooks[${k}]`, message: `webhook endpoint ${id} not found` });
      });
      return;
    }
    if (step.type !== 'send') return;
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

export type ValidateResult = { ok: true; input: JobInputParsed } | { ok: false; issues: FieldIssue[] };

/**
 * The whole validation of a job input, without writing: the jobInput schema, then the reference
 * checks within the platform. Used by POST /jobs, PUT, POST /jobs/validate and the web form
 * (which passes its own error map for messages in the user's language).
 */
export function validateJobInput(raw: unknown, platformId: string, store: HubStore, catalogs: ReadonlyMap<string, Catalog>, error?: z.core.$ZodErrorMap): ValidateResult {
  const r = error ? jobInput.safeParse(raw, { error }) : jobInput.safeParse(raw);
  if (!r.success) return { ok: false, issues: r.error.issues.map((i) => ({ field: fieldPath(i.path), message: i.message })) };
  const issues = checkReferences(r.data, platformId, store, catalogs);
  return issues.length ? { ok: false, issues } : { ok: true, input: r.data };
}

/** The name a job gets: the given one, else the automatic one in the user's language. */
export function jobName(input: Pick<JobInputParsed, 'name' | 'device' | 'conditions' | 'combine'>, lang: Lang = 'ru'): { name: string; name_auto: boolean } {
  const named = input.name !== undefined && input.name.trim() !== '';
  return named ? { name: (input.name as string).trim(), name_auto: false } : { name: autoName(input.device, input.conditions, input.combine, lang), name_auto: true };
}

export function buildJob(input: JobInputParsed, platformId: string, store: HubStore, catalogs: ReadonlyMap<string, Catalog>, now: number, existing?: Job, lang: Lang = 'ru'): BuildResult {
  const issues = checkReferences(input, platformId, store, catalogs);
  if (issues.length) return { ok: false, issues };
  const at = new Date(now).toISOString();
  const { name: _name, ...rest } = input;
  const job: Job = {
    ...rest,
    id: existing?.id ?? newId(now),
    platform_id: platformId,
    ...jobName(input, lang),
    created_at: existing?.created_at ?? at,
    updated_at: at,
  };
  return { ok: true, job };
}
