// /api/v1/jobs: list with filters, create, read, replace, delete, enable/disable, dry run
// (a stored job or an unsaved one), manual trigger. Every lookup is scoped to the caller.
import { Hono } from 'hono';
import { z } from 'zod';
import { autoName } from '../core/names.js';
import { dryRun } from '../jobs/dry-run.js';
import { buildJob, jobName, validateJobInput } from '../jobs/service.js';
import { pickLang } from '../core/lang.js';
import { dispatchState } from '../model/execution-view.js';
import { initialRuntime, type Job, jobInput, jobListQuery, stepSites } from '../model/job.js';
import { scope } from './auth.js';
import type { HubEnv } from './context.js';
import { ApiError, invalid, notFound, parseBody, parseQuery, readJson, parseWith } from './errors.js';

function view(c: { get(k: 'deps'): HubEnv['Variables']['deps'] }, job: Job) {
  const deps = c.get('deps');
  const rt = deps.store.jobRuntime(job.id);
  const last = rt?.last_execution_id ? deps.store.execution(rt.last_execution_id) : undefined;
  return {
    ...job,
    /** The automatic name in both languages (the web form shows the user's). */
    auto_names: { ru: autoName(job.device, job.conditions, job.combine, 'ru'), en: autoName(job.device, job.conditions, job.combine, 'en') },
    status: {
      state: job.enabled ? (rt?.state ?? 'ok') : 'disabled',
      since: rt ? new Date(rt.since).toISOString() : null,
      values: deps.lastValues(job.id) ?? null,
      last_fired_at: rt?.last_fired_at ? new Date(rt.last_fired_at).toISOString() : null,
      last_execution: last ? { id: last.id, state: dispatchState(last), created_at: last.created_at } : null,
    },
  };
}

/** The caller's language: ?lang=ru|en, else Accept-Language, else Russian (names, dry-run reasons). */
const requestLang = (c: { req: { query(k: string): string | undefined; header(k: string): string | undefined } }) => pickLang(c.req.query('lang'), c.req.header('accept-language'));

const dryDeps = (deps: HubEnv['Variables']['deps'], lang: 'ru' | 'en') => ({
  ...deps,
  lang,
  now: deps.now(),
  siteOnline: (p: string, s: string) => {
    const live = deps.site(p, s);
    return live ? live.status.state === 'online' : null;
  },
});

const byName = (a: Job, b: Job) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.id < b.id ? -1 : 1);

export function jobsApi(): Hono<HubEnv> {
  const app = new Hono<HubEnv>();
  // Jobs of a platform sorted by name, rebuilt only when a job changes.
  const sorted = new Map<string, { version: number; jobs: Job[] }>();
  const platformJobs = (deps: HubEnv['Variables']['deps'], platformId: string): Job[] => {
    const hit = sorted.get(platformId);
    if (hit && hit.version === deps.store.jobsVersion) return hit.jobs;
    const jobs = deps.store.jobs(platformId).sort(byName);
    sorted.set(platformId, { version: deps.store.jobsVersion, jobs });
    return jobs;
  };

  const load = (c: Parameters<typeof scope>[0]): Job => {
    const platform = scope(c);
    const job = c.get('deps').store.job(c.req.param('id') ?? '');
    if (!job || job.platform_id !== platform.id) throw notFound('job');
    return job;
  };

  app.get('/', (c) => {
    const platform = scope(c);
    const q = parseQuery(c, jobListQuery);
    const deps = c.get('deps');
    const needle = q.q?.toLowerCase();
    const jobs = platformJobs(deps, platform.id).filter((j) => {
      if (q.enabled !== undefined && String(j.enabled) !== q.enabled) return false;
      if (q.key !== undefined && j.device.key !== q.key) return false;
      if (q.site_id !== undefined && !stepSites(j.steps).includes(q.site_id)) return false;
      if (q.state !== undefined && (!j.enabled || (deps.store.jobRuntime(j.id)?.state ?? 'ok') !== q.state)) return false;
      if (needle && !`${j.name} ${j.device.name} ${j.device.key}`.toLowerCase().includes(needle)) return false;
      return true;
    });
    const total = jobs.length;
    return c.json({ total, items: jobs.slice(q.offset, q.offset + q.limit).map((j) => view(c, j)) });
  });

  app.post('/', async (c) => {
    const platform = scope(c);
    const deps = c.get('deps');
    const input = await parseBody(c, jobInput);
    const r = buildJob(input, platform.id, deps.store, deps.catalogs, deps.now(), undefined, requestLang(c));
    if (!r.ok) throw invalid(r.issues);
    await deps.store.putJob(r.job);
    deps.onJobsChanged?.(r.job);
    return c.json(view(c, r.job), 201);
  });

  // Validate a job as create would (schema + references in the caller's platform), writing
  // nothing: 200 with the name it would get, or the usual 400 naming the fields.
  app.post('/validate', async (c) => {
    const platform = scope(c);
    const deps = c.get('deps');
    const r = validateJobInput(await readJson(c), platform.id, deps.store, deps.catalogs);
    if (!r.ok) throw invalid(r.issues);
    const { device, conditions, combine } = r.input;
    return c.json({
      valid: true,
      ...jobName(r.input, requestLang(c)),
      auto_names: { ru: autoName(device, conditions, combine, 'ru'), en: autoName(device, conditions, combine, 'en') },
    });
  });

  // Dry run of an unsaved job (the wizard's review step).
  app.post('/dry-run', async (c) => {
    const platform = scope(c);
    const deps = c.get('deps');
    const input = await parseBody(c, jobInput);
    const r = buildJob(input, platform.id, deps.store, deps.catalogs, deps.now());
    if (!r.ok) throw invalid(r.issues);
    return c.json(await dryRun(r.job, platform, dryDeps(deps, requestLang(c))));
  });

  app.get('/:id', (c) => c.json(view(c, load(c))));

  app.put('/:id', async (c) => {
    const existing = load(c);
    const deps = c.get('deps');
    const input = await parseBody(c, jobInput);
    const r = buildJob(input, existing.platform_id, deps.store, deps.catalogs, deps.now(), existing, requestLang(c));
    if (!r.ok) throw invalid(r.issues);
    // What is watched changed: start its evaluation afresh (the old state is about another thing).
    const watched = (j: Job) => JSON.stringify([j.device.key_type, j.device.key, j.conditions, j.combine]);
    if (watched(existing) !== watched(r.job)) deps.store.setJobRuntime(existing.id, initialRuntime(deps.now()));
    await Promise.all([deps.store.putJob(r.job), deps.store.saveRuntime()]);
    deps.onJobsChanged?.(r.job);
    return c.json(view(c, r.job));
  });

  app.delete('/:id', async (c) => {
    const job = load(c);
    const deps = c.get('deps');
    await deps.store.deleteJob(job.id);
    deps.onJobsChanged?.(job);
    return c.body(null, 204);
  });

  for (const [action, enabled] of [['enable', true], ['disable', false]] as const) {
    app.post(`/:id/${action}`, async (c) => {
      const job = load(c);
      const deps = c.get('deps');
      if (job.enabled !== enabled) {
        const next = { ...job, enabled, updated_at: new Date(deps.now()).toISOString() };
        deps.store.setJobRuntime(job.id, initialRuntime(deps.now()));
        await Promise.all([deps.store.putJob(next), deps.store.saveRuntime()]);
        deps.onJobsChanged?.(next);
        return c.json(view(c, next));
      }
      return c.json(view(c, job));
    });
  }

  app.post('/:id/dry-run', async (c) => {
    const job = load(c);
    const deps = c.get('deps');
    return c.json(await dryRun(job, scope(c), dryDeps(deps, requestLang(c))));
  });

  // Run the job's action now, whatever its conditions say (operators testing a socket).
  app.post('/:id/trigger', async (c) => {
    const job = load(c);
    const body = parseWith(jobTriggerBody, await readJson(c));
    const deps = c.get('deps');
    const id = await deps.firer.fire(job, 'manual', deps.lastValues(job.id) ?? {});
    if (!id) throw new ApiError(409, 'not_fired', 'the job has no step to run');
    return c.json({ execution_id: id, note: body.note ?? null }, 202);
  });

  return app;
}

const jobTriggerBody = z.object({ note: z.string().max(200).optional() }).strict();
