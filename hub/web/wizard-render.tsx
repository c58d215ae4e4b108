// One step of the wizard as a page (GET /ui/jobs/draft/:id/:step): the step's fields from the
// stored draft, with what the last post of that step left to show (errors, refusal, focus).
import { autoName } from '../core/names.js';
import { scopeOf } from '../store/port.js';
import type { ApiCall } from './api-client.js';
import type { DryRunResult } from '../jobs/dry-run.js';
import type { Job } from '../model/job.js';
import type { DryRun } from '../remediation/dryrun.js';
import type { WebContext, WebDeps, FieldErrors } from './context.js';
import { type Draft, type StepNo, toJobInput } from './draft.js';
import { Page } from './layout.js';
import { ActionStep } from './wizard-action.js';
import { ConditionStep } from './wizard-condition.js';
import { actionData, deviceList, deviceMetrics, safeWords, webhookList, wordsContext } from './wizard-data.js';
import { DeviceStep, MetricStep } from './wizard-device.js';
import { inputOf } from './wizard-logic.js';
import { PlaybookDryRun, PlaybookList } from './wizard-playbook.js';
import { ReviewStep } from './wizard-review.js';
import { WizardShell } from './wizard-shell.js';
import { decisionWords } from './words.js';
import { commandPhrase } from '../catalog/words.js';
import { findDuplicate } from './wizard-duplicate.js';
import type { Lang } from './i18n.js';

/** The command of a draft in plain words ("power off for 1 minute"); free text as typed. */
function commandWords(d: Draft, model: string, w: WebDeps, lang: Lang, rendered: string | null): string {
  if (d.command_kind === 'text') return `«${rendered ?? d.text}»`;
  const cmd = w.deps.catalogs.get(model)?.commands.find((c) => c.id === d.command_id);
  return cmd ? commandPhrase(cmd, d.params, lang) : d.command_id || '—';
}

/** How often each catalog command is used by the platform's jobs (the most used come first). */
async function commandUsage(api: ApiCall): Promise<Record<string, number>> {
  const r = await api<{ items: Job[] }>('GET', '/jobs?limit=200');
  const out: Record<string, number> = {};
  if (!r.ok) return out;
  for (const j of r.data.items) for (const s of j.steps) if (s.type === 'send' && s.command.kind === 'catalog') out[s.command.command_id] = (out[s.command.command_id] ?? 0) + 1;
  return out;
}

export interface RenderOpts {
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

export async function renderStep(c: WebContext, w: WebDeps, draftId: string, d: Draft, step: StepNo, o: RenderOpts = {}) {
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
    body = <MetricStep t={t} lang={lang} draft={d} metrics={m.metrics} ms={m.ms} at={m.at} error={m.error} errors={errors} />;
  } else if (step === 3) {
    const m = await deviceMetrics(api, d.device);
    body = <ConditionStep t={t} lang={lang} draft={d} metrics={m.metrics} errors={errors} preview={decisionWords(lang, decisionOf(d))} />;
  } else if (step === 4) {
    const [m, usage] = await Promise.all([deviceMetrics(api, d.device), commandUsage(api)]);
    body = <ActionStep t={t} lang={lang} usage={usage} draft={d} data={await actionData(api, w.deps, session.platform_id, d, m.metrics, lang)} errors={errors} base={w.base} />;
  } else {
    defaultGo = 'save';
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
        ? `${commandWords(d, control.model, w, lang, sms?.text ?? null)} · ${control.name} (${control.phone}) ← ${d.site_id}`
        : '—';
    const dup = await findDuplicate(api, input, d.edit_id);
    body = (
      <>
        {dup ? (
          <div class="banner warn" role="status" id="duplicate">
            {t('duplicate_warning', { name: dup.name })} <a href={`${w.base}/jobs/${encodeURIComponent(dup.id)}/edit`}>{t('duplicate_open')}</a>
          </div>
        ) : null}
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
      </>
    );
  }
  const title = d.edit_id ? t('wizard_title_edit') : t('wizard_title_new');
  return c.html(
    <Page web={web} base={w.base} title={title} current="jobs" scripts={['wizard.js']}>
      <WizardShell t={t} base={w.base} csrf={session.csrf} draftId={draftId} draft={d} step={step} errors={errors} refusal={o.refusal ?? null} focus={o.focus ?? null} defaultGo={defaultGo}>
        {body}
      </WizardShell>
    </Page>,
    Object.keys(errors).length || o.refusal ? 400 : 200,
  );
}
