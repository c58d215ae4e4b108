// Pure helpers shared by the store adapters: what a job refers to, the jobs and executions list
// filters as predicates (the lowdb adapter runs them in memory; the PostgreSQL adapter has the same
// semantics in SQL and the contract suite checks both agree), sorting and version checks.
import type { Execution } from '../model/execution.js';
import { dispatchState } from '../model/execution-view.js';
import type { Job, JobRuntime } from '../model/job.js';
import { stepSites } from '../model/steps.js';
import { type ExecutionQuery, type JobQuery, type JobRef, VersionConflictError, type WriteOptions } from './port.js';

export interface JobRefs {
  site_ids: string[];
  control_device_ids: string[];
  webhook_ids: string[];
}

export function jobRefs(j: Pick<Job, 'steps'>): JobRefs {
  const devices = new Set<string>();
  const hooks = new Set<string>();
  for (const s of j.steps) {
    if (s.type === 'send') devices.add(s.control_device_id);
    if (s.type === 'notify') for (const w of s.webhooks) hooks.add(w);
  }
  return { site_ids: stepSites(j.steps), control_device_ids: [...devices], webhook_ids: [...hooks] };
}

export function refersTo(j: Pick<Job, 'steps'>, ref: JobRef): boolean {
  const r = jobRefs(j);
  if (ref.site_id !== undefined && !r.site_ids.includes(ref.site_id)) return false;
  if (ref.control_device_id !== undefined && !r.control_device_ids.includes(ref.control_device_id)) return false;
  if (ref.webhook_id !== undefined && !r.webhook_ids.includes(ref.webhook_id)) return false;
  return ref.site_id !== undefined || ref.control_device_id !== undefined || ref.webhook_id !== undefined;
}

/** The text the `q` filter searches, lower case. */
export const jobSearchText = (j: Pick<Job, 'name' | 'device'>): string => `${j.name} ${j.device.name} ${j.device.key}`.toLowerCase();

export function jobMatches(j: Job, q: Omit<JobQuery, 'limit' | 'offset'>, runtime: JobRuntime | undefined): boolean {
  if (q.enabled !== undefined && j.enabled !== q.enabled) return false;
  if (q.key !== undefined && j.device.key !== q.key) return false;
  if (q.site_id !== undefined && !stepSites(j.steps).includes(q.site_id)) return false;
  if (q.state !== undefined && (!j.enabled || (runtime?.state ?? 'ok') !== q.state)) return false;
  if (q.q && !jobSearchText(j).includes(q.q.toLowerCase())) return false;
  return true;
}

/** Byte order of names then ids (the same as SQL `COLLATE "C"`). */
/** Order of the jobs list: name, then id (code units, like PostgreSQL's COLLATE "C" for ids and names). */
export const compareNameId = (a: { name: string; id: string }, b: { name: string; id: string }): number =>
  a.name < b.name ? -1 : a.name > b.name ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;

/** One page of sorted matches: after the cursor, then `offset` skipped, `limit` taken. */
export function pageAfter<T extends { name: string; id: string }>(sorted: readonly T[], q: Pick<JobQuery, 'after' | 'offset' | 'limit'>): { items: T[]; more: boolean } {
  let start = 0;
  if (q.after) {
    const after = q.after;
    start = sorted.findIndex((j) => compareNameId(j, after) > 0);
    if (start < 0) start = sorted.length;
  }
  start += q.offset;
  return { items: sorted.slice(start, start + q.limit), more: sorted.length > start + q.limit };
}

export const byName = (a: Job, b: Job): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

export function executionMatches(e: Execution, q: Omit<ExecutionQuery, 'limit' | 'offset'>): boolean {
  if (q.job_id !== undefined && e.job_id !== q.job_id) return false;
  if (q.key !== undefined && e.device.key !== q.key) return false;
  if (q.site_id !== undefined && !e.messages.some((m) => m.site_id === q.site_id)) return false;
  if (q.state !== undefined && dispatchState(e) !== q.state) return false;
  if (q.phase !== undefined && e.run.phase !== q.phase) return false;
  if (q.outcome !== undefined && e.run.outcome !== q.outcome) return false;
  if (q.incident_id !== undefined && e.run.incident_id !== q.incident_id) return false;
  const t = Date.parse(e.created_at);
  if (q.since !== undefined && t < Date.parse(q.since)) return false;
  if (q.until !== undefined && t > Date.parse(q.until)) return false;
  return true;
}

/** Newest first; the id breaks ties so pages never overlap. */
export const newestFirst = (a: Execution, b: Execution): number => {
  const ta = Date.parse(a.created_at);
  const tb = Date.parse(b.created_at);
  return tb - ta || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
};

/** Throws VersionConflictError unless `current` (undefined: absent) satisfies the write's `ifVersion`. */
export function checkVersion(aggregate: string, id: string, current: number | undefined, opts: WriteOptions | undefined): void {
  if (opts === undefined || opts.ifVersion === undefined) return;
  if (opts.ifVersion === null ? current !== undefined : current !== opts.ifVersion) {
    throw new VersionConflictError(aggregate, id, opts.ifVersion, current ?? null);
  }
}

/** The record without its `version` (what is stored as the document). */
export function unversioned<T extends object>(rec: T): Omit<T, 'version'> {
  if (!('version' in rec)) return rec;
  const { version: _v, ...rest } = rec as T & { version: unknown };
  return rest;
}
