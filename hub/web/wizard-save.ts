// Saving a draft (issue 17): a new job is posted with the draft's Idempotency-Key (the same
// draft posted twice is one job); an edit is put with If-Match, the version the draft was
// opened at. A job changed meanwhile is a conflict (the user chooses), one deleted meanwhile
// says so. Before the API checks If-Match itself, the version (or updated_at) read just before
// the PUT is compared here, so two tabs never overwrite each other silently.
import type { Job } from '../model/job.js';
import type { ApiCall, ApiResult } from './api-client.js';
import type { DraftRecord } from './drafts.js';
import type { JobInput } from '../model/job.js';

export type SaveOutcome =
  | { kind: 'saved'; job: Job; etag: string | null }
  | { kind: 'refused'; result: Extract<ApiResult<Job>, { ok: false }> }
  | { kind: 'conflict'; current: Job; current_version: string }
  | { kind: 'deleted' };

type Versioned = Job & { version?: number | string };

/** The version a job was read at: its `version` (ETag) when the API sends one, else its updated_at. */
export function versionOf(job: Versioned, etag: string | null = null): string {
  if (etag) return etag.replace(/^W\//, '').replace(/"/g, '');
  if (job.version !== undefined && job.version !== null) return String(job.version);
  return `u:${job.updated_at}`;
}

/** If-Match for a version (only real versions: an updated_at is checked here, not sent). */
export function ifMatch(version: string | null): Record<string, string> {
  return version && !version.startsWith('u:') ? { 'if-match': `"${version}"` } : {};
}

export async function readJob(api: ApiCall, id: string): Promise<{ job: Job; version: string } | null> {
  const r = await api<Versioned>('GET', `/jobs/${encodeURIComponent(id)}`);
  return r.ok ? { job: r.data, version: versionOf(r.data, r.etag) } : null;
}

export async function saveDraft(api: ApiCall, rec: DraftRecord, input: JobInput): Promise<SaveOutcome> {
  const editId = rec.draft.edit_id;
  if (!editId) {
    const r = await api<Job>('POST', '/jobs', input, { 'idempotency-key': rec.key });
    return r.ok ? { kind: 'saved', job: r.data, etag: r.etag } : { kind: 'refused', result: r };
  }
  const now = await readJob(api, editId);
  if (!now) return { kind: 'deleted' };
  if (rec.opened_version !== null && now.version !== rec.opened_version) return { kind: 'conflict', current: now.job, current_version: now.version };
  const r = await api<Job>('PUT', `/jobs/${encodeURIComponent(editId)}`, input, ifMatch(rec.opened_version));
  if (r.ok) return { kind: 'saved', job: r.data, etag: r.etag };
  if (r.status === 404) return { kind: 'deleted' };
  if (r.status === 412) {
    const current = r.error.current as Job | null | undefined;
    if (!current) return { kind: 'deleted' };
    return { kind: 'conflict', current, current_version: String(r.error.current_version ?? versionOf(current)) };
  }
  return { kind: 'refused', result: r };
}
