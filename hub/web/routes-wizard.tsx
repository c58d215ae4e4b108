// The five-step wizard as pages (issue 17): a draft is kept on the server (drafts.ts) and every
// step is a GET URL of it (/ui/jobs/draft/:id/:step), so Back and reload keep it. Every post
// (POST /ui/jobs/wizard, with draft_id) changes the stored draft and redirects to the step to
// show (post/redirect/get). Saving sends the draft's Idempotency-Key (new) or If-Match (edit);
// a job changed or deleted meanwhile shows the conflict page. Also the JSON check endpoint for
// validation as you type and the device search fragment.
import { createHash } from 'node:crypto';
import { Hono } from 'hono';
import { deviceRef } from '../model/job.js';
import type { WebContext, WebDeps, WebEnv, FieldErrors } from './context.js';
import { type Draft, draftFromJob, emptyDraft, type StepNo } from './draft.js';
import { type DraftRecord, type DraftStore, type DraftView, draftOwner, isDraftId } from './drafts.js';
import { errorPage } from './errors.js';
import { currentZone } from './i18n.js';
import { issueWords } from './issue-words.js';
import { actionData, deviceList, deviceMetrics } from './wizard-data.js';
import { DeviceResults } from './wizard-device.js';
import { draftIssues, firstErrorStep, type Form, inputOf, mergeStep, one, stepErrors } from './wizard-logic.js';
import { buildPlaybook } from './wizard-playbook.js';
import { conflictPage } from './wizard-conflict.js';
import { decisionOf, renderStep } from './wizard-render.js';
import { readJob, saveDraft, versionOf } from './wizard-save.js';
import { decisionWords } from './words.js';
import { VersionConflictError } from '../store/port.js';

export { decisionOf } from './wizard-render.js';

/** Errors of the power-cycle template replace the "no steps" error they cause. */
function withBuilt(errors: FieldErrors, built: FieldErrors | undefined): FieldErrors {
  if (!built || Object.keys(built).length === 0) return errors;
  const out: FieldErrors = { ...errors, ...built };
  delete out.steps;
  return out;
}

const clampStep = (v: string | undefined): StepNo => {
  const n = Number(v);
  return (n >= 1 && n <= 5 ? Math.floor(n) : 1) as StepNo;
};

/** Posts of one draft run one after another (a double click saves once). */
function serial() {
  const tails = new Map<string, Promise<unknown>>();
  return async <T,>(id: string, fn: () => Promise<T>): Promise<T> => {
    const prev = tails.get(id) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => undefined);
    tails.set(id, tail);
    void tail.then(() => {
      if (tails.get(id) === tail) tails.delete(id);
    });
    return run;
  };
}

export function wizardRoutes(w: WebDeps & { drafts: DraftStore }): Hono<WebEnv> {
  const app = new Hono<WebEnv>();
  const inTurn = serial();
  const ownerOf = (c: WebContext) => draftOwner(c.get('session').token_hash, c.get('session').platform_id);
  const stepUrl = (id: string, step: StepNo | 'conflict') => `${w.base}/jobs/draft/${id}/${step}`;
  const savedUrl = (jobId: string) => `${w.base}/jobs?msg=saved&job=${encodeURIComponent(jobId)}`;
  const gone = (c: WebContext) => errorPage(c, w, 404, c.get('web').t('draft_gone'));

  /** Keep the draft and what the step shows, then redirect to it. */
  const show = async (c: WebContext, rec: DraftRecord, d: Draft, step: StepNo, view: DraftView = {}) => {
    rec.draft = d;
    rec.view = { ...view, step };
    await w.drafts.put(rec);
    return c.redirect(stepUrl(rec.id, step), 303);
  };

  const open = async (c: WebContext, d: Draft, step: StepNo, version: string | null = null) => {
    const rec = await w.drafts.create(c.get('session').platform_id, ownerOf(c), d, version);
    return c.redirect(stepUrl(rec.id, step), 303);
  };
  const find = (c: WebContext, id: string | undefined) => (isDraftId(id) ? w.drafts.get(c.get('session').platform_id, id, ownerOf(c)) : Promise.resolve(undefined));

  // A new schedule starts in the platform's zone (the one its pages show times in).
  app.get('/new', (c) => open(c, { ...emptyDraft(), tz: currentZone() }, 1));
  app.get('/:id/edit', async (c) => {
    const r = await readJob(c.get('api'), c.req.param('id'));
    return r ? open(c, draftFromJob(r.job, false), 5, r.version) : errorPage(c, w, 404, c.get('web').t('not_found'));
  });
  app.get('/:id/clone', async (c) => {
    const r = await readJob(c.get('api'), c.req.param('id'));
    return r ? open(c, draftFromJob(r.job, true), 1) : errorPage(c, w, 404, c.get('web').t('not_found'));
  });

  app.get('/draft/:did/:step', async (c) => {
    const rec = await find(c, c.req.param('did'));
    if (!rec) return gone(c);
    const stepParam = c.req.param('step');
    if (stepParam === 'conflict') return rec.conflict ? conflictPage(c, w, rec) : c.redirect(stepUrl(rec.id, 5), 303);
    const step = clampStep(stepParam);
    const v = rec.view.step === step ? rec.view : {};
    return renderStep(c, w, rec.id, rec.draft, step, { errors: v.errors ?? {}, refusal: v.refusal ?? null, focus: v.focus ?? null, q: v.q ?? '', offset: v.offset ?? 0 });
  });

  app.get('/wizard/devices', async (c) => {
    const { t } = c.get('web');
    const offset = Math.max(0, Math.floor(Number(c.req.query('offset') ?? 0)) || 0);
    const list = await deviceList(c.get('api'), w.deps, c.get('session').platform_id, (c.req.query('q') ?? '').slice(0, 200), offset);
    return c.html(<DeviceResults t={t} list={list} chosen={null} />);
  });

  app.post('/wizard/check', async (c) => {
    const { lang, t } = c.get('web');
    const f = (await c.req.parseBody({ all: true })) as Form;
    const step = clampStep(one(f, 'step'));
    const did = one(f, 'draft_id');
    const stored = (await find(c, did))?.draft ?? emptyDraft();
    const merged = mergeStep(stored, step, f);
    const built = step === 4 ? await buildPlaybook(c.get('api'), w.deps, c.get('session').platform_id, merged, lang, t) : null;
    const d = built ? built.draft : merged;
    const errors = withBuilt(stepErrors(await draftIssues(d, lang, c.get('session').platform_id, w.deps), step, step, lang), built?.errors);
    let sms = null;
    if (step === 4 && d.action_mode === 'command') {
      const m = d.command_kind === 'text' ? await deviceMetrics(c.get('api'), d.device) : { metrics: [] };
      sms = (await actionData(c.get('api'), w.deps, c.get('session').platform_id, d, m.metrics)).sms;
    }
    const sms_line = sms ? `${t('sms_will_send', { text: sms.text })} (${sms.parts} SMS, ${sms.encoding === 'gsm7' ? 'GSM 7-bit' : 'UCS2'})` : step === 4 ? '' : null;
    return c.json({ errors, preview: step === 3 ? decisionWords(lang, decisionOf(d)) : null, sms, sms_line });
  });

  app.post('/wizard', async (c) => {
    const f = (await c.req.parseBody({ all: true })) as Form;
    const did = one(f, 'draft_id');
    if (!isDraftId(did)) return gone(c);
    return inTurn(did, async () => {
      // Read inside the turn: the previous post of this draft has been stored.
      const rec = await find(c, did);
      if (!rec) return gone(c);
      try {
        return await handle(c, rec, f);
      } catch (err) {
        // Another hub (or tab) wrote the draft in between: show the step as stored now.
        if (!(err instanceof VersionConflictError)) throw err;
        const now = await find(c, did);
        return now ? c.redirect(stepUrl(now.id, clampStep(String(now.view.step ?? 1))), 303) : gone(c);
      }
    });
  });

  const handle = async (c: WebContext, rec: DraftRecord, f: Form) => {
    const { t, lang } = c.get('web');
    const platformId = c.get('session').platform_id;
    const go = one(f, 'go') ?? 'next';
    if (one(f, 'step') === 'conflict') return resolve(c, rec, go);
    const step = clampStep(one(f, 'step'));
    let d = mergeStep(rec.draft, step, f);
    // Power-cycle: the API's template builds the steps from the fields of step 4.
    let built: FieldErrors = {};
    if (step === 4) {
      const b = await buildPlaybook(c.get('api'), w.deps, platformId, d, lang, t);
      d = b.draft;
      built = b.errors;
    }
    const pick = one(f, 'pick');
    const q = one(f, 'q') ?? '';
    const allIssues = await draftIssues(d, lang, platformId, w.deps);
    const issuesUpTo = (last: StepNo) => withBuilt(stepErrors(allIssues, 1, last, lang), last >= 4 ? built : undefined);

    if (step === 1 && pick) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(pick);
      } catch {
        parsed = null;
      }
      const r = deviceRef.safeParse(parsed);
      if (!r.success) return show(c, rec, d, 1, { q, errors: { device: issueWords({ field: 'device', message: '', code: 'choice' }, lang) } });
      return show(c, rec, { ...d, device: { key_type: r.data.key_type, key: r.data.key, name: r.data.name } }, 2);
    }
    if (go === 'search') return show(c, rec, d, 1, { q });
    if (go.startsWith('page:')) return show(c, rec, d, 1, { q, offset: Math.max(0, Number(go.slice(5)) || 0) });
    if (go === 'back') return show(c, rec, d, Math.max(1, step - 1) as StepNo);
    if (go === 'refresh') return show(c, rec, d, step, { focus: one(f, 'focus') ?? null });
    if (go === 'add_condition' && d.conditions.length < 10) {
      d = { ...d, conditions: [...d.conditions, { metric: d.conditions[0]?.metric ?? '', op: '>', value: '' }] };
      return show(c, rec, d, 3, { focus: `conditions[${d.conditions.length - 1}].metric` });
    }
    if (go.startsWith('remove_condition:')) {
      const i = Number(go.slice(17));
      return show(c, rec, { ...d, conditions: d.conditions.filter((_, k) => k !== i) }, 3);
    }
    if (go === 'add_range' && d.ranges.length < 20) {
      d = { ...d, ranges: [...d.ranges, { days: [6, 7], from: '10:00', to: '18:00' }] };
      return show(c, rec, d, 3, { focus: `windows.ranges[${d.ranges.length - 1}].from` });
    }
    if (go.startsWith('remove_range:')) {
      const i = Number(go.slice(13));
      return show(c, rec, { ...d, ranges: d.ranges.filter((_, k) => k !== i) }, 3);
    }
    if (go.startsWith('goto:')) {
      const target = clampStep(go.slice(5));
      if (target <= step) return show(c, rec, d, target);
      const errors = issuesUpTo((target - 1) as StepNo);
      const bad = firstErrorStep(errors);
      return bad ? show(c, rec, d, bad, { errors }) : show(c, rec, d, target);
    }
    if (go === 'save') return save(c, rec, d);
    // next
    const errors = issuesUpTo(step);
    const bad = firstErrorStep(errors);
    if (bad) return show(c, rec, d, bad, { errors, q });
    return show(c, rec, d, Math.min(5, step + 1) as StepNo);
  };

  const save = async (c: WebContext, rec: DraftRecord, d: Draft) => {
    const { t, lang } = c.get('web');
    const platformId = c.get('session').platform_id;
    const errors = withBuilt(stepErrors(await draftIssues(d, lang, platformId, w.deps), 1, 5, lang), undefined);
    const bad = firstErrorStep(errors);
    if (bad) return show(c, rec, d, bad, { errors });
    const input = await inputOf(d, w.deps, platformId);
    const digest = createHash('sha256').update(JSON.stringify(input)).digest('hex');
    // The same draft posted again unchanged (a double click, a retry): the answer of the first.
    if (rec.saved_job_id && rec.saved_digest === digest) return c.redirect(savedUrl(rec.saved_job_id), 303);
    rec.draft = d;
    const out = await saveDraft(c.get('api'), rec, input);
    if (out.kind === 'saved') {
      // From now on the draft edits the job it became, at the version it was saved as.
      rec.saved_job_id = out.job.id;
      rec.saved_digest = digest;
      rec.draft = { ...d, edit_id: out.job.id };
      rec.opened_version = versionOf(out.job, out.etag);
      rec.conflict = null;
      await w.drafts.put(rec);
      return c.redirect(savedUrl(out.job.id), 303);
    }
    if (out.kind === 'conflict' || out.kind === 'deleted') {
      rec.conflict = out.kind === 'conflict' ? { current: out.current, current_version: out.current_version } : { current: null, current_version: null };
      await w.drafts.put(rec);
      return c.redirect(stepUrl(rec.id, 'conflict'), 303);
    }
    const refused = stepErrors(out.result.error.issues ?? [], 1, 5, lang);
    const at = firstErrorStep(refused) ?? 5;
    return show(c, rec, d, at, { errors: refused, refusal: Object.keys(refused).length ? null : t('server_refused', { message: out.result.error.message }) });
  };

  /** The user's choice on the conflict page. */
  const resolve = async (c: WebContext, rec: DraftRecord, go: string) => {
    if (!rec.conflict) return c.redirect(stepUrl(rec.id, 5), 303);
    const editId = rec.draft.edit_id;
    if (go === 'save_new' || !editId) {
      rec.conflict = null;
      rec.opened_version = null;
      return save(c, rec, { ...rec.draft, edit_id: null });
    }
    const now = await readJob(c.get('api'), editId);
    rec.conflict = null;
    if (!now) {
      rec.conflict = { current: null, current_version: null };
      await w.drafts.put(rec);
      return c.redirect(stepUrl(rec.id, 'conflict'), 303);
    }
    rec.opened_version = now.version;
    if (go === 'theirs') return show(c, rec, draftFromJob(now.job, false), 5);
    return save(c, rec, rec.draft);
  };

  return app;
}
