// The wizard's frame: one form per step that names its stored draft (draft_id), the list of
// steps (buttons, the current one marked), the step's fields and the back / next / save buttons.
import type { Child } from 'hono/jsx';
import { Banner, CsrfField } from './components.js';
import type { FieldErrors } from './context.js';
import { type Draft, STEPS, type StepNo } from './draft.js';
import type { T } from './i18n.js';

export interface ShellProps {
  t: T;
  base: string;
  csrf: string;
  /** The stored draft (drafts.ts) this form changes. */
  draftId: string;
  draft: Draft;
  step: StepNo;
  errors: FieldErrors;
  /** A refusal of the server that names no field of this step. */
  refusal?: string | null;
  /** Name of the field to focus after a refresh. */
  focus?: string | null;
  /** What Enter in a text field does. */
  defaultGo?: string;
  children: Child;
}

const STEP_KEYS = { 1: 'step1', 2: 'step2', 3: 'step3', 4: 'step4', 5: 'step5' } as const;

export function WizardShell(p: ShellProps) {
  const { t, step } = p;
  const reachable = (n: StepNo) => n < step || p.draft.edit_id !== null;
  const hasErrors = Object.keys(p.errors).length > 0;
  return (
    <form method="post" action={`${p.base}/jobs/wizard`} class="wizard" data-wizard="" data-check={`${p.base}/jobs/wizard/check`} data-devices={`${p.base}/jobs/wizard/devices`} data-focus={p.focus ?? ''} novalidate>
      <button type="submit" name="go" value={p.defaultGo ?? 'next'} class="sr-only" tabindex={-1} aria-hidden="true"></button>
      <CsrfField csrf={p.csrf} />
      <input type="hidden" name="draft_id" value={p.draftId} />
      <input type="hidden" name="step" value={String(step)} />
      <nav aria-label={t('wizard_steps')}>
        <ol class="steps">
          {STEPS.map((n) => (
            <li class={n === step ? 'current' : n < step ? 'done' : ''}>
              {n === step ? (
                <span aria-current="step">
                  <span class="num">{n}</span> {t(STEP_KEYS[n])}
                </span>
              ) : (
                <button type="submit" name="go" value={`goto:${n}`} class="link" disabled={!reachable(n)}>
                  <span class="num">{n}</span> {t(STEP_KEYS[n])}
                </button>
              )}
            </li>
          ))}
        </ol>
      </nav>
      <h2 id="step-title" tabindex={-1}>
        {`${t('step_of', { n: step })}: ${t(STEP_KEYS[step])}`}
      </h2>
      {p.refusal ? <Banner kind="error">{p.refusal}</Banner> : hasErrors ? <Banner kind="error">{t('fix_errors')}</Banner> : null}
      {p.children}
      <div class="actions">
        {step > 1 ? (
          <button type="submit" name="go" value="back">
            ← {t('prev')}
          </button>
        ) : null}
        {step < 5 ? (
          <button type="submit" name="go" value="next" class="primary">
            {t('next')} →
          </button>
        ) : (
          <button type="submit" name="go" value="save" class="primary">
            {t('save')}
          </button>
        )}
      </div>
    </form>
  );
}
