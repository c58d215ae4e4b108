// The five-step wizard: new, edit and clone; one POST handler moves between steps (validating
// each step with the API's rules), a JSON check endpoint for validation as you type, and the
// device search fragment for live search.
import { scopeOf } from '../store/port.js';
import { Hono } from 'hono';
import { autoName } from '../core/names.js';
import type { DryRunResult } from '../jobs/dry-run.js';
import { deviceRef, type Job } from '../model/job.js';
import type { WebContext, WebDeps, WebEnv, FieldErrors } from './context.js';
import { type Draft, decodeDraft, draftFromJob, emptyDraft, type StepNo, toJobInput } from './draft.js';
import { errorPage } from './errors.js';
import { Page } from './layout.js';
import { ActionStep } from './wizard-action.js';
import { ConditionStep } from './wizard-condition.js';
import { actionData, deviceList, deviceMetrics } from './wizard-data.js';
import { DeviceResults, DeviceStep, MetricStep } from './wizard-device.js';
import { draftIssues, firstErrorStep, type Form, inputOf, mergeStep, one, stepErrors } from './wizard-logic.js';
import { ReviewStep } from './wizard-review.js';
import { WizardShell } from './wizard-shell.js';
import type { DryRun } from '../remediation/dryrun.js';
import { buildPlaybook, PlaybookDryRun, PlaybookList } from './wizard-playbook.js';
import { safeWords, webhookList, wordsContext } from './wizard-data.js';
import { decisionWords } from './words.js';

interface RenderOpts {
  errors?: FieldErrors;
  q?: string;
  offset?: number;
  refusal?: string | null;
  focus?: string | null;
}

export function decisionOf(d: Draft) {
  const i = toJobInput(d);
  const n = (v: number | undefined, dflt: number) => (typeof v === 'number' && Number.isFinite(v) ? v : dflt);
  return {
    conditions: (i.conditions ?? []).map((c) => ({ metric: c.metric, op: c.op, value: c.value })),
    combine: i.combine ?? 'and',
    for_s: n(i.for_s, 0),
    no_data: { mode: i.no_data?.mode ?? 'ignore', after_s: n(i.no_data?.after_s, 0) },
    windows: i.windows ? { tz: i.windows.tz, ranges: i.windows.ranges } : null,
    cooldown_s: n(i.cooldown_s, 0),
  };
}

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

export function wizardRoutes(w: WebDeps): Hono<WebEnv> {
  const app = new Hono<WebEnv>();

  const render = async (c: WebContext, d: Draft, step: StepNo, o: RenderOpts = {}) => {
    const web = c.get('web');
    const { t, lang } = web;
    const api = c.get('api');
    const session = c.get('session');
    const errors = o.errors ?? {};
    let body;
    let defaultGo = 'next';
    if (step === 1) {
      const q = o.q ?? '';
      const list = await deviceList(api, w.deps, session.platform_id, q, o.offset ?? 0);
      body = <DeviceStep t={t} draft={d} q={q} list={list} errors={errors} />;
      defaultGo = 'search';
    } else if (step === 2) {
      const m = await deviceMetrics(api, d.device);
      body = <MetricStep t={t} lang={lang} draft={d} metrics={m.metrics} ms={m.ms} error={m.error} errors={errors} />;
    } else if (step === 3) {
      const m = await deviceMetrics(api, d.device);
      body = <ConditionStep t={t} lang={lang} draft={d} metrics={m.metrics} errors={errors} preview={decisionWords(lang, decisionOf(d))} />;
    } else if (step === 4) {
      const m = await deviceMetrics(api, d.device);
      body = <ActionStep t={t} draft={d} data={await actionData(api, w.deps, session.platform_id, d, m.metrics, lang)} errors={errors} base={w.base} />;
    } else {
      const input = await inputOf(d, w.deps, session.platform_id);
      const dry = await api<DryRunResult>('POST', '/jobs/dry-run', input);
      const auto = d.device ? autoName(d.device as Job['device'], decisionOf(d).conditions as Job['conditions'], d.combine, lang) : '';
      // Read in the session's platform only: a draft edited to another platform's device shows nothing of it (issue 20).
      const control = d.control_device_id ? await w.deps.port.controlDevices.get(scopeOf(session.platform_id), d.control_device_id) : undefined;
      const sms = dry.ok && dry.data.sms && 'text' in dry.data.sms ? dry.data.sms : null;
      const steps = d.action_mode === 'power_cycle' ? d.playbook : d.action_mode === 'playbook' ? d.kept : null;
      let playbookPart = null;
      if (steps) {
        // An unsaved job has no name yet: the notifications read with the automatic one.
        const [pdry, hooks] = await Promise.all([api<DryRun>('POST', '/playbooks/dry-run', { job: { ...input, name: input.name ?? auto } }), webhookList(api)]);
        const controls = await w.deps.port.controlDevices.list(scopeOf(session.platform_id));
        const words = safeWords(steps, lang, wordsContext(w.deps, controls, hooks));
        playbookPart = (
          <>
            <PlaybookList t={t} words={words} id="review-steps" />
            <PlaybookDryRun t={t} lang={lang} dry={pdry.ok ? pdry.data : null} error={pdry.ok ? null : t('server_refused', { message: pdry.error.message })} />
          </>
        );
      }
      const action = steps
        ? `${t(d.action_mode === 'power_cycle' ? 'mode_power_cycle' : 'mode_kept', { n: steps.length })}${control ? ` · ${control.name} (${control.phone})` : ''}`
        : control
          ? `${control.name} (${control.phone}) ← ${d.site_id}${sms ? `: «${sms.text}»` : ''}`
          : '—';
      body = (
        <ReviewStep
          t={t}
          lang={lang}
          draft={d}
          errors={errors}
          autoName={auto}
          words={decisionWords(lang, decisionOf(d))}
          action={action}
          dry={dry.ok ? dry.data : null}
          dryError={dry.ok ? null : t('server_refused', { message: dry.error.message })}
          forS={decisionOf(d).for_s}
          playbook={playbookPart}
        />
      );
    }
    const title = d.edit_id ? t('wizard_title_edit') : t('wizard_title_new');
    return c.html(
      <Page web={web} base={w.base} title={title} current="jobs" scripts={['wizard.js']}>
        <WizardShell t={t} base={w.base} csrf={session.csrf} draft={d} step={step} errors={errors} refusal={o.refusal ?? null} focus={o.focus ?? null} defaultGo={defaultGo}>
          {body}
        </WizardShell>
      </Page>,
      Object.keys(errors).length || o.refusal ? 400 : 200,
    );
  };

  const loadJob = async (c: WebContext): Promise<Job | null> => {
    const r = await c.get('api')<Job>('GET', `/jobs/${encodeURIComponent(c.req.param('id') ?? '')}`);
    return r.ok ? r.data : null;
  };

  app.get('/new', (c) => render(c, emptyDraft(), 1));
  app.get('/:id/edit', async (c) => {
    const job = await loadJob(c);
    return job ? render(c, draftFromJob(job, false), 5) : errorPage(c, w, 404, c.get('web').t('not_found'));
  });
  app.get('/:id/clone', async (c) => {
    const job = await loadJob(c);
    return job ? render(c, draftFromJob(job, true), 1) : errorPage(c, w, 404, c.get('web').t('not_found'));
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
    const built = step === 4 ? await buildPlaybook(c.get('api'), w.deps, c.get('session').platform_id, mergeStep(decodeDraft(one(f, 'draft')), step, f), lang, t) : null;
    const d = built ? built.draft : mergeStep(decodeDraft(one(f, 'draft')), step, f);
    const errors = withBuilt(stepErrors(await draftIssues(d, lang, c.get('session').platform_id, w.deps), step, step), built?.errors);
    let sms = null;
    if (step === 4 && d.action_mode === 'command') {
      const m = d.command_kind === 'text' ? await deviceMetrics(c.get('api'), d.device) : { metrics: [] };
      sms = (await actionData(c.get('api'), w.deps, c.get('session').platform_id, d, m.metrics)).sms;
    }
    const sms_line = sms ? `${t('sms_will_send', { text: sms.text })} (${sms.parts} SMS, ${sms.encoding === 'gsm7' ? 'GSM 7-bit' : 'UCS2'})` : step === 4 ? '' : null;
    return c.json({ errors, preview: step === 3 ? decisionWords(lang, decisionOf(d)) : null, sms, sms_line });
  });

  app.post('/wizard', async (c) => {
    const { t, lang } = c.get('web');
    const f = (await c.req.parseBody({ all: true })) as Form;
    const step = clampStep(one(f, 'step'));
    let d = mergeStep(decodeDraft(one(f, 'draft')), step, f);
    // Power-cycle: the API's template builds the steps from the fields of step 4.
    let built: FieldErrors = {};
    if (step === 4) {
      const b = await buildPlaybook(c.get('api'), w.deps, c.get('session').platform_id, d, lang, t);
      d = b.draft;
      built = b.errors;
    }
    const go = one(f, 'go') ?? 'next';
    const pick = one(f, 'pick');
    const q = one(f, 'q') ?? '';
    const allIssues = await draftIssues(d, lang, c.get('session').platform_id, w.deps);
    const issuesUpTo = (last: StepNo) => withBuilt(stepErrors(allIssues, 1, last), last >= 4 ? built : undefined);

    if (step === 1 && pick) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(pick);
      } catch {
        parsed = null;
      }
      const r = deviceRef.safeParse(parsed);
      if (!r.success) return render(c, d, 1, { q, errors: { device: r.error.issues[0]?.message ?? 'invalid' } });
      d = { ...d, device: { key_type: r.data.key_type, key: r.data.key, name: r.data.name } };
      return render(c, d, 2);
    }
    if (go === 'search') return render(c, d, 1, { q });
    if (go.startsWith('page:')) return render(c, d, 1, { q, offset: Math.max(0, Number(go.slice(5)) || 0) });
    if (go === 'back') return render(c, d, Math.max(1, step - 1) as StepNo);
    if (go === 'refresh') return render(c, d, step, { focus: one(f, 'focus') ?? null });
    if (go === 'add_condition' && d.conditions.length < 10) {
      d = { ...d, conditions: [...d.conditions, { metric: d.conditions[0]?.metric ?? '', op: '>', value: '' }] };
      return render(c, d, 3, { focus: `conditions[${d.conditions.length - 1}].metric` });
    }
    if (go.startsWith('remove_condition:')) {
      const i = Number(go.slice(17));
      d = { ...d, conditions: d.conditions.filter((_, k) => k !== i) };
      return render(c, d, 3);
    }
    if (go === 'add_range' && d.ranges.length < 20) {
      d = { ...d, ranges: [...d.ranges, { days: [6, 7], from: '10:00', to: '18:00' }] };
      return render(c, d, 3, { focus: `windows.ranges[${d.ranges.length - 1}].from` });
    }
    if (go.startsWith('remove_range:')) {
      const i = Number(go.slice(13));
      d = { ...d, ranges: d.ranges.filter((_, k) => k !== i) };
      return render(c, d, 3);
    }
    if (go.startsWith('goto:')) {
      const target = clampStep(go.slice(5));
      if (target <= step) return render(c, d, target);
      const errors = issuesUpTo((target - 1) as StepNo);
      const bad = firstErrorStep(errors);
      return bad ? render(c, d, bad, { errors }) : render(c, d, target);
    }
    if (go === 'save') {
      const errors = issuesUpTo(5);
      const bad = firstErrorStep(errors);
      if (bad) return render(c, d, bad, { errors });
      const input = await inputOf(d, w.deps, c.get('session').platform_id);
      const r = d.edit_id ? await c.get('api')<Job>('PUT', `/jobs/${encodeURIComponent(d.edit_id)}`, input) : await c.get('api')<Job>('POST', '/jobs', input);
      if (r.ok) return c.redirect(`${w.base}/jobs?msg=saved`, 303);
      const refused = stepErrors(r.error.issues ?? [], 1, 5);
      const at = firstErrorStep(refused) ?? 5;
      return render(c, d, at, { errors: refused, refusal: t('server_refused', { message: r.error.message }) });
    }
    // next
    const errors = issuesUpTo(step);
    const bad = firstErrorStep(errors);
    if (bad) return render(c, d, bad, { errors, q });
    return render(c, d, Math.min(5, step + 1) as StepNo);
  });

  return app;
}
