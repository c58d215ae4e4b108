// Turning a validated job input into a stored job: references checked within the caller's
// platform through the store port (site, control device, catalog command, rendered SMS text),
// automatic name. Every issue carries a code (hub/api/issue-codes.ts).
import type { Catalog } from '../catalog/catalog.js';
import { stepText } from '../core/action.js';
import { autoName, type Lang } from '../core/names.js';
import { type ApiIssue, fieldPath, type FieldIssue, missingRef, withCode } from '../api/errors.js';
import { classifyZod } from '../api/issue-codes.js';
import { jobInput } from '../model/job.js';
import type { z } from 'zod';
import { newId } from '../model/ids.js';
import type { Job, JobInputParsed } from '../model/job.js';
import type { ControlDevice, Site } from '../model/entities.js';
import type { StoredWebhook } from '../model/remediation.js';
import { type Scope, scopeOf, type Stored } from '../store/port.js';

type Getter<T> = { get(scope: Scope, id: string): Promise<Stored<T> | undefined> };
/** What the reference checks read: the store port, or a caching view of it (bulk import). */
export interface RefPort {
  sites: Getter<Site>;
  controlDevices: Getter<ControlDevice>;
  webhooks: Getter<StoredWebhook>;
}

export type BuildResult = { ok: true; job: Job } | { ok: false; issues: ApiIssue[] };

/** Check what a job refers to; errors name the field (steps[0].site_id, ...). */
export async function checkReferences(input: JobInputParsed, platformId: string, port: RefPort, catalogs: ReadonlyMap<string, Catalog>): Promise<ApiIssue[]> {
  const scope = scopeOf(platformId);
  const issues: FieldIssue[] = [];
  for (const [i, step] of input.steps.entries()) {
    const at = `steps[${i}]`;
    if (step.type === 'notify') {
      if (step.sms && !(await port.sites.get(scope, step.sms.site_id))) issues.push(missingRef(`${at}.sms.site_id`, 'site', step.sms.site_id));
      for (const [k, id] of step.webhooks.entries()) {
        if (!(await port.webhooks.get(scope, id))) issues.push(missingRef(`${at}.webhooks[${k}]`, 'webhook', id, `webhook endpoint ${id} not found`));
      }
      continue;
    }
    if (step.type !== 'send') continue;
    if (!(await port.sites.get(scope, step.site_id))) issues.push(missingRef(`${at}.site_id`, 'site', step.site_id));
    const device = await port.controlDevices.get(scope, step.control_device_id);
    if (!device) {
      issues.push(missingRef(`${at}.control_device_id`, 'control_device', step.control_device_id));
      continue;
    }
    if (!device.site_ids.includes(step.site_id)) {
      issues.push({ field: `${at}.site_id`, message: `control device ${device.name} does not accept commands from site ${step.site_id}`, code: 'site_not_accepted', params: { device: device.name, site: step.site_id } });
    }
    const values = Object.fromEntries(input.conditions.map((c) => [c.metric, c.value]));
    const text = stepText(step, device, catalogs, { job: { name: input.name ?? '', device: input.device, conditions: input.conditions }, values });
    if (!text.ok) issues.push({ field: `${at}.${text.field}`, message: text.message, code: text.code, params: text.params });
  }
  return issues.map(withCode);
}

export type ValidateResult = { ok: true; input: JobInputParsed } | { ok: false; issues: ApiIssue[] };

/**
 * The whole validation of a job input, without writing: the jobInput schema, then the reference
 * checks within the platform. Used by POST /jobs, PUT, POST /jobs/validate and the web form
 * (which passes its own error map for messages in the user's language).
 */
export async function validateJobInput(raw: unknown, platformId: string, port: RefPort, catalogs: ReadonlyMap<string, Catalog>, error?: z.core.$ZodErrorMap): Promise<ValidateResult> {
  const r = jobInput.safeParse(raw, error ? { error, reportInput: true } : { reportInput: true });
  if (!r.success) return { ok: false, issues: r.error.issues.map((i) => ({ field: fieldPath(i.path), message: i.message, ...classifyZod(i) })) };
  const issues = await checkReferences(r.data, platformId, port, catalogs);
  return issues.length ? { ok: false, issues } : { ok: true, input: r.data };
}

/** The name a job gets: the given one, else the automatic one in the user's language. */
export function jobName(input: Pick<JobInputParsed, 'name' | 'device' | 'conditions' | 'combine'>, lang: Lang = 'ru'): { name: string; name_auto: boolean } {
  const named = input.name !== undefined && input.name.trim() !== '';
  return named ? { name: (input.name as string).trim(), name_auto: false } : { name: autoName(input.device, input.conditions, input.combine, lang), name_auto: true };
}

export async function buildJob(input: JobInputParsed, platformId: string, port: RefPort, catalogs: ReadonlyMap<string, Catalog>, now: number, existing?: Job, lang: Lang = 'ru'): Promise<BuildResult> {
  const issues = await checkReferences(input, platformId, port, catalogs);
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
