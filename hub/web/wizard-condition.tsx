// Wizard step 3: conditions (metric, operator, threshold with the current value beside it),
// AND/OR, `for`, the no-data policy, time windows, cooldown, and a plain-words preview.
import { operator } from '../model/job.js';
import { ErrorText, Field, fieldAttrs } from './components.js';
import { RefreshButton } from './wizard-action.js';
import { type FieldErrors, fieldId } from './context.js';
import type { Draft } from './draft.js';
import { formatNumber, type Lang, type T } from './i18n.js';
import { dayName } from './words.js';
import type { MetricRow } from './wizard-device.js';

const ZONES = ['Europe/Moscow', 'Europe/Kaliningrad', 'Europe/Samara', 'Asia/Yekaterinburg', 'Asia/Novosibirsk', 'Asia/Krasnoyarsk', 'Asia/Irkutsk', 'Asia/Vladivostok', 'UTC'];

export function ConditionStep(p: { t: T; lang: Lang; draft: Draft; metrics: MetricRow[]; errors: FieldErrors; preview: string }) {
  const { t, draft: d, errors } = p;
  const values = Object.fromEntries(p.metrics.map((m) => [m.metric, m.value]));
  const names = [...new Set([...p.metrics.map((m) => m.metric), ...d.conditions.map((c) => c.metric)])];
  return (
    <div data-values={JSON.stringify(Object.fromEntries(Object.entries(values).map(([k, v]) => [k, formatNumber(p.lang, v)])))}>
      <fieldset>
        <legend>{t('cond_title')}</legend>
        <ErrorText name="conditions" errors={errors} />
        {d.conditions.map((c, i) => {
          const at = `conditions[${i}]`;
          return (
            <fieldset class="cond">
              <legend>{t('cond_n', { n: i + 1 })}</legend>
              <div class="row wrap">
                <Field name={`${at}.metric`} label={t('cond_metric')} errors={errors}>
                  <select {...fieldAttrs(`${at}.metric`, errors)} data-metric-select="">
                    {names.map((m) => (
                      <option value={m} selected={m === c.metric}>
                        {m}
                      </option>
                    ))}
                  </select>
                </Field>
                <Field name={`${at}.op`} label={t('cond_op')} errors={errors} cls="narrow">
                  <select {...fieldAttrs(`${at}.op`, errors)}>
                    {operator.options.map((o) => (
                      <option value={o} selected={o === c.op}>
                        {o}
                      </option>
                    ))}
                  </select>
                </Field>
                <Field name={`${at}.value`} label={t('cond_value')} errors={errors} cls="narrow">
                  <input type="text" inputmode="decimal" value={c.value} {...fieldAttrs(`${at}.value`, errors)} aria-describedby={`${fieldId(`${at}.value`)}-err cur-${i}`} />
                </Field>
                <p class="current" id={`cur-${i}`} data-current-for={i}>
                  {t('current', { value: formatNumber(p.lang, values[c.metric] ?? null) })}
                </p>
              </div>
              {d.conditions.length > 1 ? (
                <button type="submit" name="go" value={`remove_condition:${i}`} class="link">
                  {t('cond_remove', { n: i + 1 })}
                </button>
              ) : null}
            </fieldset>
          );
        })}
        {d.conditions.length < 10 ? (
          <button type="submit" name="go" value="add_condition">
            + {t('cond_add')}
          </button>
        ) : null}
      </fieldset>
      <fieldset class="radios">
        <legend>{t('combine')}</legend>
        {(['and', 'or'] as const).map((v) => (
          <label>
            <input type="radio" name="combine" value={v} checked={d.combine === v} /> {t(v === 'and' ? 'combine_and' : 'combine_or')}
          </label>
        ))}
      </fieldset>
      <div class="row wrap">
        <Field name="for_min" label={t('for_min')} hint={t('for_hint')} errors={errors}>
          <input type="text" inputmode="decimal" value={d.for_min} {...fieldAttrs('for_min', errors, true)} />
        </Field>
        <Field name="no_data.mode" label={t('no_data_mode')} errors={errors}>
          <select {...fieldAttrs('no_data.mode', errors)}>
            <option value="ignore" selected={d.no_data_mode === 'ignore'}>
              {t('no_data_ignore')}
            </option>
            <option value="fire" selected={d.no_data_mode === 'fire'}>
              {t('no_data_fire')}
            </option>
          </select>
        </Field>
        <Field name="no_data_min" label={t('no_data_min')} errors={errors}>
          <input type="text" inputmode="decimal" value={d.no_data_min} {...fieldAttrs('no_data_min', errors)} />
        </Field>
        <Field name="cooldown_min" label={t('cooldown_min')} errors={errors}>
          <input type="text" inputmode="decimal" value={d.cooldown_min} {...fieldAttrs('cooldown_min', errors)} />
        </Field>
      </div>
      <div class="field check">
        <label>
          <input type="checkbox" name="windows_on" checked={d.windows_on} data-refresh="windows-area" /> {t('windows_on')}
        </label>
        <RefreshButton t={t} />
      </div>
      <div id="windows-area">{d.windows_on ? <Windows t={t} lang={p.lang} draft={d} errors={errors} /> : null}</div>
      <section class="preview" aria-labelledby="preview-h">
        <h3 id="preview-h">{t('preview')}</h3>
        <p id="preview" aria-live="polite">
          {p.preview}
        </p>
      </section>
    </div>
  );
}

function Windows(p: { t: T; lang: Lang; draft: Draft; errors: FieldErrors }) {
  const { t, draft: d, errors } = p;
  return (
    <fieldset>
      <legend>{t('windows_on')}</legend>
      <Field name="windows.tz" label={t('windows_tz')} errors={errors}>
        <input type="text" list="zones" value={d.tz} {...fieldAttrs('windows.tz', errors)} />
      </Field>
      <datalist id="zones">
        {ZONES.map((z) => (
          <option value={z} />
        ))}
      </datalist>
      <ErrorText name="windows.ranges" errors={errors} />
      {d.ranges.map((r, i) => {
        const at = `windows.ranges[${i}]`;
        return (
          <fieldset class="range">
            <legend>{t('windows_range', { n: i + 1 })}</legend>
            <fieldset class="days" aria-describedby={`${fieldId(`${at}.days`)}-err`}>
              <legend>{t('windows_days')}</legend>
              {[1, 2, 3, 4, 5, 6, 7].map((n) => (
                <label>
                  <input type="checkbox" name={`${at}.days`} value={String(n)} checked={r.days.includes(n)} /> {dayName(p.lang, n)}
                </label>
              ))}
              <ErrorText name={`${at}.days`} errors={errors} />
            </fieldset>
            <div class="row">
              <Field name={`${at}.from`} label={t('windows_from')} errors={errors} cls="narrow">
                <input type="text" placeholder="08:00" value={r.from} {...fieldAttrs(`${at}.from`, errors)} />
              </Field>
              <Field name={`${at}.to`} label={t('windows_to')} errors={errors} cls="narrow">
                <input type="text" placeholder="20:00" value={r.to} {...fieldAttrs(`${at}.to`, errors)} />
              </Field>
            </div>
            {d.ranges.length > 1 ? (
              <button type="submit" name="go" value={`remove_range:${i}`} class="link">
                {t('windows_remove', { n: i + 1 })}
              </button>
            ) : null}
          </fieldset>
        );
      })}
      <button type="submit" name="go" value="add_range">
        + {t('windows_add')}
      </button>
    </fieldset>
  );
}
