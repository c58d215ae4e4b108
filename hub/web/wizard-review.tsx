// Wizard step 5: the summary in plain words, the automatic name (editable), enabled, and a dry
// run of the unsaved job against live data (the API's POST /jobs/dry-run).
import type { Child } from 'hono/jsx';
import type { DryRunResult } from '../jobs/dry-run.js';
import { Field, fieldAttrs } from './components.js';
import type { FieldErrors } from './context.js';
import type { Draft } from './draft.js';
import { formatNumber, type Lang, type T } from './i18n.js';

/** The dry run's verdict in the user's language: the API's own sentence (reason_detail.text). */
export function dryReason(_t: T, lang: Lang, dry: DryRunResult, _forS: number, _enabled: boolean): string {
  return dry.reason_detail?.text[lang] ?? dry.reason;
}

export function ReviewStep(p: { t: T; lang: Lang; draft: Draft; errors: FieldErrors; autoName: string; words: string; action: string; dry: DryRunResult | null; dryError: string | null; forS: number; playbook?: Child }) {
  const { t, draft: d, errors, dry } = p;
  return (
    <div>
      <dl class="summary">
        <dt>{t('summary_device')}</dt>
        <dd>{d.device ? `${d.device.name || d.device.key} (${d.device.key_type} ${d.device.key})` : '—'}</dd>
        <dt>{t('step3')}</dt>
        <dd>{p.words}</dd>
        <dt>{t('summary_action')}</dt>
        <dd>{p.action}</dd>
      </dl>
      <Field name="name" label={t('job_name')} hint={t('job_name_hint', { auto: p.autoName })} errors={errors}>
        <input type="text" value={d.name} placeholder={p.autoName} maxlength={200} {...fieldAttrs('name', errors, true)} />
      </Field>
      <div class="field check">
        <label>
          <input type="checkbox" name="enabled" checked={d.enabled} /> {t('job_enabled')}
        </label>
      </div>
      {p.playbook ?? null}
      <section class="dry" aria-labelledby="dry-h">
        <h3 id="dry-h">{t('dry_run')}</h3>
        {p.dryError ? <p class="error">{p.dryError}</p> : null}
        {dry ? (
          <dl class="summary" id="dry-run">
            <dt>{t('dry_values')}</dt>
            <dd>
              {Object.entries(dry.values)
                .map(([m, v]) => `${m} = ${formatNumber(p.lang, v)}`)
                .join('; ') || '—'}
            </dd>
            <dt>{t('dry_would_fire')}</dt>
            <dd class={dry.would_fire ? 'fire' : ''}>{dry.would_fire ? t('yes') : t('no')}</dd>
            <dt>{t('dry_reason')}</dt>
            <dd>{dryReason(t, p.lang, dry, p.forS, d.enabled)}</dd>
            {dry.sms && 'text' in dry.sms ? (
              <>
                <dt>{t('dry_sms')}</dt>
                <dd>{`${dry.sms.to}: «${dry.sms.text}» (${dry.sms.parts} SMS, ${dry.sms.encoding === 'gsm7' ? 'GSM 7-bit' : 'UCS2'})`}</dd>
              </>
            ) : null}
          </dl>
        ) : null}
      </section>
    </div>
  );
}
