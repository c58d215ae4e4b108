// /api/v1/jobs: list with filters, create, read, replace, delete, enable/disable, dry run
// (a stored job or an unsaved one), manual trigger; bulk import in jobs-bulk.ts. Every lookup is
// scoped to the caller's platform through the store port; every job answers with its ETag and
// writes honour If-Match (versions.ts); creating POSTs honour Idempotency-Key (idempotency.ts).
import type { Context } from 'hono';
import { Hono } from 'hono';
import { z } from 'zod';
import { autoName } from '../core/names.js';
import { dryRun } from '../jobs/dry-run.js';
import { buildJob, jobName, validateJobInput } from '../jobs/service.js';
import { pickLang } from '../core/lang.js';
import { dispatchState } from '../model/execution-view.js';
import { initialRuntime, type Job, jobInput, jobListQuery, type JobRuntime } from '../model/job.js';
import type { Execution } from '../model/execution.js';
import { IdempotencyKeyTakenError, scopeOf, type Stored } from '../store/port.js';
import { unversioned } from '../store/port-query.js';
import { scope } from './auth.js';
import type { HubEnv } from './context.js';
import { ApiError, invalid, parseBody, parseQuery, readJson, parseWith } from './errors.js';
import type { Idempotency } from './idempotency.js';
import { bulkImport } from './jobs-bulk.js';
import { prefetchRefs } from './jobs-refs.js';
import { decodeCursor, encodeCursor, JOBS_COUNT_CAP, nextPageUrl } from './jobs-cursor.js';
import { etagOf, expectVersion, foundOr, guarded, setEtag, versionConflict } from './versions.js';
import { crashPoint } from '../dispatch/crash-point.js';

type Ctx = Context<HubEnv>;

/** The automatic name in both languages (the web form shows the user's). */
const autoNames = (job: Pick<Job, 'device' | 'conditions' | 'combine'>) => ({ ru: autoName(job.device, job.conditions, job.combine, 'ru'), en: autoName(job.device, job.conditions, job.combine, 'en') });

/** A job as a 412 shows it: the stored record with its automatic names. */
export const jobRecord = (job: Stored<Job>) => ({ ...job, auto_names: autoNames(job) });

type Known = { rt: JobRuntime | undefined; last: Stored<Execution> | undefined };

async function view(c: Ctx, job: Stored<Job>, known?: Known) {
  const deps = c.get('deps');
  const s = scopeOf(job.platform_id);
  const rt = known ? known.rt : await deps.port.runtime.get(s, job.id);
  const last = known ? known.last : rt?.last_execution_id ? await deps.port.executions.get(s, rt.last_execution_id) : undefined;
  return {
    ...jobRecord(job),
    status: {
      state: job.enabled ? (rt?.state ?? 'ok') : 'disabled',
      since: rt ? new Date(rt.since).toISOString() : null,
      values: deps.lastValues(job.id) ?? null,
      // When the job's data was last read (the live values' sample time).
      values_at: rt?.data_at ? new Date(rt.data_at).toISOString() : null,
      last_fired_at: rt?.last_fired_at ? new Date(rt.last_fired_at).toISOString() : null,
      last_execution: last ? { id: last.id, state: dispatchState(last), created_at: last.created_at } : null,
    },
  };
}

/**
 * A page of jobs with their runtimes and last executions: the runtimes come with the page when the
 * adapter read them in the same query (else one query), the last executions in one more.
 */
async function pageView(c: Ctx, platformId: string, jobs: Array<Stored<Job>>, known?: Map<string, JobRuntime>) {
  const port = c.get('deps').port;
  const s = scopeOf(platformId);
  const runtimes = known ?? (await port.runtime.many(s, jobs.map((j) => j.id)));
  const lastIds = [...runtimes.values()].flatMap((rt) => (rt.last_execution_id ? [rt.last_execution_id] : []));
  const lasts = lastIds.length > 0 ? await port.executions.many(s, lastIds) : new Map<string, Stored<Execution>>();
  return Promise.all(
    jobs.map((j) => {
      const rt = runtimes.get(j.id);
      return view(c, j, { rt, last: rt?.last_execution_id ? lasts.get(rt.last_execution_id) : undefined });
    }),
  );
}

/** The caller's language: ?lang=ru|en, else Accept-Language, else Russian (names, dry-run reasons). */
const requestLang = (c: Ctx) => pickLang(c.req.query('lang'), c.req.header('accept-language'));

const dryDeps = (deps: HubEnv['Variables']['deps'], lang: 'ru' | 'en') => ({
  ...deps,
  lang,
  now: deps.now(),
  siteOnline: (p: string, s: string) => {
    const live = deps.site(p, s);
    return live ? live.status.state === 'online' : null;
  },
});

/** The job of the path in the caller's platform; missing: 404, or 412 when If-Match was sent. */
async function load(c: Ctx): Promise<Stored<Job>> {
  const platform = await scope(c);
  return foundOr(c, await c.get('deps').port.jobs.get(scopeOf(platform.id), c.req.param('id') ?? ''), 'job');
}

/** Every promise's outcome, none left rejected unobserved (a 404 must not leave a 400 unhandled). */
const settled = <T extends readonly unknown[]>(ps: { [K in keyof T]: Promise<T[K]> }) => Promise.allSettled(ps) as Promise<{ [K in keyof T]: PromiseSettledResult<T[K]> }>;
const unwrap = <T>(r: PromiseSettledResult<T>): T => {
  if (r.status === 'rejected') throw r.reason;
  return r.value;
};

async function answer(c: Ctx, job: Stored<Job>, status: 200 | 201 = 200, known?: Known) {
  setEtag(c, job.version);
  return c.json(await view(c, job, known), status);
}

export function jobsApi(idem: Idempotency): Hono<HubEnv> {
  const app = new Hono<HubEnv>();
  const keyScope = async (c: Ctx) => (await scope(c)).id;

  // Filters, sorted by name then id; `total` is exact up to JOBS_COUNT_CAP matches (`total_exact`),
  // beyond it PostgreSQL's estimate. `cursor` (next_cursor of the page before, also in the Link
  // header) reads a deep page as fast as the first; `offset` still works but scans what it skips.
  app.get('/', async (c) => {
    const platform = await scope(c);
    const { cursor, ...q } = parseQuery(c, jobListQuery);
    const page = await c.get('deps').port.jobs.list(scopeOf(platform.id), {
      ...q,
      enabled: q.enabled === undefined ? undefined : q.enabled === 'true',
      ...(cursor !== undefined ? { after: decodeCursor(cursor) } : {}),
      countCap: JOBS_COUNT_CAP,
    });
    const last = page.items.at(-1);
    const more = page.more ?? page.items.length === q.limit;
    const next = more && last ? encodeCursor({ name: last.name, id: last.id }) : null;
    if (next) c.header('Link', `<${nextPageUrl(c.req.url, next)}>; rel="next"`);
    return c.json({ total: page.total, total_exact: page.total_exact ?? true, next_cursor: next, items: await pageView(c, platform.id, page.items, page.runtimes) });
  });

  app.post('/', idem.route(keyScope, { overlap: true }), async (c) => {
    const platform = await scope(c);
    const deps = c.get('deps');
    const input = await parseBody(c, jobInput);
    // The references and an Idempotency-Key's stored answer are read together.
    const [refs, replayed] = await Promise.all([prefetchRefs(deps.port, platform.id, input), idem.lookup(c)]);
    if (replayed) return replayed;
    const r = await buildJob(input, platform.id, refs, deps.catalogs, deps.now(), undefined, requestLang(c));
    if (!r.ok) throw invalid(r.issues);
    // The answer is known before the write (version 1, no runtime, no execution yet), so an
    // Idempotency-Key's record is written with the job, in the same transaction (issue 20).
    const created: Stored<Job> = { ...r.job, version: 1 };
    const body = JSON.stringify(await view(c, created, { rt: undefined, last: undefined }));
    const headers = { 'content-type': 'application/json', etag: etagOf(created.version) };
    const idempotency = idem.recordFor(c, 201, headers, body);
    try {
      await deps.port.jobs.put(scopeOf(platform.id), r.job, { ifVersion: null, ...(idempotency ? { idempotency } : {}) });
    } catch (err) {
      if (err instanceof IdempotencyKeyTakenError) return idem.taken(c);
      throw err;
    }
    idem.stored(c);
    // Test-only: die with the job and its key's record written, before the client has the answer.
    crashPoint('after_job_create', [created.id]);
    deps.onJobsChanged?.(created);
    return c.body(body, 201, headers);
  });

  // Many jobs in one request (spreadsheets): see jobs-bulk.ts; mounted as /jobs:bulk by createApi.
  app.post('/bulk', idem.route(keyScope, { overlap: true }), (c) => bulkImport(c, idem));

  // Validate a job as create would (schema + references in the caller's platform), writing
  // nothing: 200 with the name it would get, or the usual 400 naming the fields.
  app.post('/validate', async (c) => {
    const platform = await scope(c);
    const deps = c.get('deps');
    const r = await validateJobInput(await readJson(c), platform.id, deps.port, deps.catalogs);
    if (!r.ok) throw invalid(r.issues);
    return c.json({ valid: true, ...jobName(r.input, requestLang(c)), auto_names: autoNames(r.input) });
  });

  // Dry run of an unsaved job (the wizard's review step).
  app.post('/dry-run', async (c) => {
    const platform = await scope(c);
    const deps = c.get('deps');
    const input = await parseBody(c, jobInput);
    const r = await buildJob(input, platform.id, deps.port, deps.catalogs, deps.now());
    if (!r.ok) throw invalid(r.issues);
    return c.json(await dryRun(r.job, platform, dryDeps(deps, requestLang(c))));
  });

  app.get('/:id', async (c) => answer(c, await load(c)));

  app.put('/:id', async (c) => {
    const platform = await scope(c);
    const deps = c.get('deps');
    const s = scopeOf(platform.id);
    const id = c.req.param('id') ?? '';
    // One round trip of reads before the write: the job, its runtime (for the answer) and what the
    // new version refers to, in parallel. Errors keep their order: 404/412, then 400, then refs.
    const reads = settled([
      deps.port.jobs.get(s, id),
      deps.port.runtime.get(s, id),
      parseBody(c, jobInput).then((input) => {
        const refs = prefetchRefs(deps.port, platform.id, input);
        refs.catch(() => undefined); // observed below, unless an earlier error answers first
        return { input, refs };
      }),
    ]);
    const [found, rtRead, parsed] = await reads;
    const existing = foundOr(c, unwrap(found), 'job');
    const ifVersion = expectVersion(c, existing, jobRecord, 'job');
    const { input, refs: refsRead } = unwrap(parsed);
    const refs = await refsRead;
    const before = unwrap(rtRead);
    const r = await buildJob(input, existing.platform_id, refs, deps.catalogs, deps.now(), existing, requestLang(c));
    if (!r.ok) throw invalid(r.issues);
    // What is watched changed: start its evaluation afresh (the old state is about another thing).
    const watched = (j: Job) => JSON.stringify([j.device.key_type, j.device.key, j.conditions, j.combine]);
    const runtime = watched(existing) !== watched(r.job) ? initialRuntime(deps.now()) : undefined;
    const saved = await guarded(
      () => deps.port.jobs.put(s, r.job, { ...(ifVersion !== undefined ? { ifVersion } : {}), ...(runtime ? { runtime } : {}) }),
      () => deps.port.jobs.get(s, existing.id),
      jobRecord,
      'job',
    );
    deps.onJobsChanged?.(saved);
    const rt = runtime ?? before;
    return answer(c, saved, 200, { rt, last: rt?.last_execution_id ? await deps.port.executions.get(s, rt.last_execution_id) : undefined });
  });

  app.delete('/:id', async (c) => {
    const job = await load(c);
    const ifVersion = expectVersion(c, job, jobRecord, 'job');
    const deps = c.get('deps');
    const s = scopeOf(job.platform_id);
    const gone = await guarded(() => deps.port.jobs.delete(s, job.id, ifVersion !== undefined ? { ifVersion } : {}), () => deps.port.jobs.get(s, job.id), jobRecord, 'job');
    if (!gone && ifVersion !== undefined) throw versionConflict(undefined, null, 'job');
    deps.onJobsChanged?.(job, true);
    return c.body(null, 204);
  });

  for (const [action, enabled] of [['enable', true], ['disable', false]] as const) {
    app.post(`/:id/${action}`, async (c) => {
      const job = await load(c);
      const ifVersion = expectVersion(c, job, jobRecord, 'job');
      const deps = c.get('deps');
      if (job.enabled === enabled) return answer(c, job);
      const s = scopeOf(job.platform_id);
      const next = { ...job, enabled, updated_at: new Date(deps.now()).toISOString() };
      const saved = await guarded(() => deps.port.jobs.put(s, next, { ...(ifVersion !== undefined ? { ifVersion } : {}), runtime: initialRuntime(deps.now()) }), () => deps.port.jobs.get(s, job.id), jobRecord, 'job');
      deps.onJobsChanged?.(saved);
      return answer(c, saved);
    });
  }

  app.post('/:id/dry-run', async (c) => {
    const job = await load(c);
    const deps = c.get('deps');
    return c.json(await dryRun(unversioned(job) as Job, await scope(c), dryDeps(deps, requestLang(c))));
  });

  // Run the job's action now, whatever its conditions say (operators testing a socket).
  app.post('/:id/trigger', async (c) => {
    const job = await load(c);
    const body = parseWith(jobTriggerBody, await readJson(c));
    const deps = c.get('deps');
    const id = await deps.firer.fire(unversioned(job) as Job, 'manual', deps.lastValues(job.id) ?? {});
    if (!id) throw new ApiError(409, 'not_fired', 'the job has no step to run');
    return c.json({ execution_id: id, note: body.note ?? null }, 202);
  });

  return app;
}

const jobTriggerBody = z.object({ note: z.string().max(200).optional() }).strict();
