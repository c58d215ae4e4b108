// POST /api/v1/jobs:bulk (alias /jobs/bulk): many jobs in one request, for fleets that define
// jobs from a spreadsheet (issue 20). Body `{ "jobs": [ <job as POST /jobs>, ... ] }`, at most
// BULK_MAX_JOBS items and BULK_MAX_BYTES. Each item is validated as POST /jobs would; errors name
// the item: `{ index, issues }`. `?atomic=true` (default): all or nothing, written through
// port.jobs.putMany in one transaction; `?atomic=false`: the valid items are written (one
// transaction) and the invalid ones reported. An Idempotency-Key's record is written in the
// jobs' transaction (idempotency.ts).
import type { Context } from 'hono';
import { z } from 'zod';
import { buildJob, type RefPort } from '../jobs/service.js';
import { pickLang } from '../core/lang.js';
import { type Job, jobInput } from '../model/job.js';
import { IdempotencyKeyTakenError, type Scope, scopeOf, type StorePort } from '../store/port.js';
import { scope } from './auth.js';
import type { HubEnv } from './context.js';
import type { Idempotency } from './idempotency.js';
import { type ApiIssue, ApiError, parseWith, readJson, zodIssues } from './errors.js';

export const BULK_MAX_JOBS = 5000;
export const BULK_MAX_BYTES = 8 * 1024 * 1024;

export const bulkQuery = z.object({ atomic: z.enum(['true', 'false']).default('true') });
/** Items are checked one by one (jobInput) so each error names its index. */
export const bulkBody = z.object({ jobs: z.array(z.unknown()).min(1).max(BULK_MAX_JOBS) }).strict();

export interface BulkItemError {
  index: number;
  issues: ApiIssue[];
}

/** The port's reference reads, each id read once per request. */
function cachedRefs(port: StorePort): RefPort {
  const memo = <T>(get: (s: Scope, id: string) => Promise<T>) => {
    const seen = new Map<string, Promise<T>>();
    return {
      get: (s: Scope, id: string) => {
        let hit = seen.get(id);
        if (!hit) seen.set(id, (hit = get(s, id)));
        return hit;
      },
    };
  };
  return {
    sites: memo((s, id) => port.sites.get(s, id)),
    controlDevices: memo((s, id) => port.controlDevices.get(s, id)),
    webhooks: memo((s, id) => port.webhooks.get(s, id)),
  };
}

export async function bulkImport(c: Context<HubEnv>, idem: Idempotency): Promise<Response> {
  const platform = await scope(c);
  const deps = c.get('deps');
  const { atomic } = parseWith(bulkQuery, c.req.query());
  const body = parseWith(bulkBody, await readJson(c, BULK_MAX_BYTES));
  const lang = pickLang(c.req.query('lang'), c.req.header('accept-language'));
  // An Idempotency-Key's stored answer is read while the items are checked (awaited below).
  const early = idem.lookup(c);
  early.catch(() => undefined);
  const refs = cachedRefs(deps.port);
  const now = deps.now();
  const jobs: Array<{ index: number; job: Job }> = [];
  const errors: BulkItemError[] = [];
  for (const [index, raw] of body.jobs.entries()) {
    const parsed = jobInput.safeParse(raw, { reportInput: true });
    if (!parsed.success) {
      errors.push({ index, issues: zodIssues(parsed.error) });
      continue;
    }
    const r = await buildJob(parsed.data, platform.id, refs, deps.catalogs, now, undefined, lang);
    if (r.ok) jobs.push({ index, job: r.job });
    else errors.push({ index, issues: r.issues });
  }
  const replayed = await early;
  if (replayed) return replayed;
  if (atomic === 'true' && errors.length) {
    throw new ApiError(400, 'invalid', `${errors.length} of ${body.jobs.length} job(s) are invalid; nothing was written`, [], { items: errors });
  }
  const s = scopeOf(platform.id);
  // The answer is known before the write: an Idempotency-Key's record goes in the same
  // transaction as the jobs (issue 20); with nothing to write, the middleware stores it.
  const items = jobs.map((x) => ({ index: x.index, id: x.job.id, name: x.job.name, version: 1 }));
  const status = errors.length ? 200 : 201;
  const text = JSON.stringify({ atomic: atomic === 'true', created: items.length, items, errors });
  const headers = { 'content-type': 'application/json' };
  if (jobs.length) {
    const idempotency = idem.recordFor(c, status, headers, text);
    try {
      await deps.port.jobs.putMany(
        s,
        jobs.map((x) => x.job),
        idempotency ? { idempotency } : {},
      );
    } catch (err) {
      if (err instanceof IdempotencyKeyTakenError) return idem.taken(c);
      throw err;
    }
    idem.stored(c);
    // New jobs start evaluating from scratch; one extra cycle covers them all (coalesced).
    const first = jobs[0]?.job;
    if (first) deps.onJobsChanged?.(first);
  }
  return c.body(text, status, headers);
}
