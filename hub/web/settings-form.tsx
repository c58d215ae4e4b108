// The remediation settings form (GET/PUT /api/v1/remediation/settings): on-call list, the site
// that notifies people, device limit, SMS budget, correlation rule, failover to backup sites
// (issue 19), the platform's time zone (issue 17). Field names are the API's field paths, so the
// API's errors land next to their field. Pure: values in, body out.
import { Field, fieldAttrs } from './components.js';
import type { FieldErrors } from './context.js';
import { DISPLAY_ZONE, type T } from './i18n.js';
import type { RemediationSettings } from './remediation-types.js';
import type { Form } from './wizard-logic.js';
import { one } from './wizard-logic.js';

/** The form's values as typed, by field name. */
export type Values = Record<string, string>;

const EXTRA_ROWS = 2;
const MAX_ROWS = 50;

export function valuesOf(s: RemediationSettings, siteIds: readonly string[]): Values {
  const v: Values = {
    notify_site_id: s.notify_site_id ?? '',
    'device_limit.max': String(s.device_limit.max),
    'device_limit.window_s': String(s.device_limit.window_s),
    'sms_budget.per_hour': String(s.sms_budget.per_hour),
    'correlation.window_s': String(s.correlation.window_s),
    'correlation.min_count': s.correlation.min_count === null ? '' : String(s.correlation.min_count),
    'correlation.min_share': s.correlation.min_share === null ? '' : String(s.correlation.min_share),
    'correlation.share_min_count': String(s.correlation.share_min_count),
    // Issue 19: the radio says whether commands move at all; the number keeps its last value.
    failover_after_s: s.failover_after_s == null ? '120' : String(s.failover_after_s),
    time_zone: s.time_zone ?? '',
  };
  if (s.failover_after_s !== undefined) v.failover_mode = s.failover_after_s === null ? 'never' : 'after';
  s.on_call.forEach((p, i) => {
    v[`on_call[${i}].name`] = p.name;
    v[`on_call[${i}].phone`] = p.phone;
  });
  for (const id of siteIds) v[`sms_budget.sites.${id}`] = s.sms_budget.sites[id] === undefined ? '' : String(s.sms_budget.sites[id]);
  return v;
}

export function valuesFromForm(f: Form): Values {
  const v: Values = {};
  for (const k of Object.keys(f)) if (k !== '_csrf') v[k] = (one(f, k) ?? '').slice(0, 500);
  return v;
}

const num = (s: string | undefined): number => (s === undefined || s.trim() === '' ? Number.NaN : Number(s.trim().replace(',', '.')));

/**
 * The PUT body from the typed values, or local errors (a number field holding something else).
 * `rows` maps each on_call index of the body to its row in the form (blank rows are dropped).
 */
export function bodyOf(v: Values, t: T): { body: Record<string, unknown>; errors: FieldErrors; rows: number[] } {
  const errors: FieldErrors = {};
  const need = (k: string): number => {
    const n = num(v[k]);
    if (!Number.isFinite(n)) errors[k] = t('not_a_number');
    return n;
  };
  const optional = (k: string): number | null => {
    if ((v[k] ?? '').trim() === '') return null;
    return need(k);
  };
  const rows: number[] = [];
  const on_call: Array<{ name: string; phone: string }> = [];
  for (let i = 0; i < MAX_ROWS + EXTRA_ROWS; i++) {
    const name = (v[`on_call[${i}].name`] ?? '').trim();
    const phone = (v[`on_call[${i}].phone`] ?? '').trim();
    if (!name && !phone) continue;
    rows.push(i);
    on_call.push({ name, phone });
  }
  const sites: Record<string, number> = {};
  for (const [k, raw] of Object.entries(v)) {
    if (!k.startsWith('sms_budget.sites.') || raw.trim() === '') continue;
    sites[k.slice('sms_budget.sites.'.length)] = need(k);
  }
  const body = {
    on_call,
    notify_site_id: (v.notify_site_id ?? '') === '' ? null : v.notify_site_id,
    device_limit: { max: need('device_limit.max'), window_s: need('device_limit.window_s') },
    sms_budget: { per_hour: need('sms_budget.per_hour'), sites },
    correlation: {
      window_s: need('correlation.window_s'),
      min_count: optional('correlation.min_count'),
      min_share: optional('correlation.min_share'),
      share_min_count: need('correlation.share_min_count'),
    },
    // A form from before issue 19 (no radio) leaves the setting as it is.
    ...(v.failover_mode === 'never' ? { failover_after_s: null } : v.failover_mode === 'after' ? { failover_after_s: need('failover_after_s') } : {}),
    // A form from before the time zone field leaves the setting as it is; empty: the server's zone.
    ...(v.time_zone === undefined ? {} : { time_zone: v.time_zone.trim() === '' ? null : v.time_zone.trim() }),
  };
  return { body, errors, rows };
}

/** An API error path in form terms: on_call indexes of the body back to rows of the form. */
export function formFieldOf(field: string, rows: readonly number[]): string {
  const m = /^on_call\[(\d+)\](.*)$/.exec(field);
  if (m) return `on_call[${rows[Number(m[1])] ?? Number(m[1])}]${m[2] ?? ''}`;
  return field;
}

export function SettingsForm(p: { t: T; base: string; csrf: string; values: Values; errors: FieldErrors; sites: Array<{ id: string; name: string }> }) {
  const { t, values: v, errors } = p;
  const rowsUsed = Object.keys(v).filter((k) => /^on_call\[\d+\]\.(name|phone)$/.test(k) && (v[k] ?? '') !== '');
  const lastRow = rowsUsed.reduce((n, k) => Math.max(n, Number(/\[(\d+)\]/.exec(k)?.[1] ?? -1)), -1);
  const rows = Math.min(MAX_ROWS + EXTRA_ROWS, lastRow + 1 + EXTRA_ROWS);
  const input = (name: string, label: string, hint?: string, mode: 'numeric' | 'text' | 'tel' | 'decimal' = 'numeric') => (
    <Field name={name} label={label} errors={errors} {...(hint ? { hint } : {})}>
      <input type="text" inputmode={mode} value={v[name] ?? ''} {...fieldAttrs(name, errors, !!hint)} />
    </Field>
  );
  return (
    <form method="post" action={`${p.base}/remediation`} class="settings" id="settings-form" novalidate>
      <input type="hidden" name="_csrf" value={p.csrf} />
      <fieldset>
        <legend>{t('set_on_call')}</legend>
        <p class="hint">{t('set_on_call_hint')}</p>
        {Array.from({ length: rows }, (_, i) => (
          <div class="row wrap on-call">
            {input(`on_call[${i}].name`, t('set_person_n', { n: i + 1 }), undefined, 'text')}
            {input(`on_call[${i}].phone`, t('set_phone_n', { n: i + 1 }), undefined, 'tel')}
          </div>
        ))}
        <Field name="notify_site_id" label={t('set_notify_site')} hint={t('set_notify_site_hint')} errors={errors}>
          <select {...fieldAttrs('notify_site_id', errors, true)}>
            <option value="">{t('set_none')}</option>
            {p.sites.map((s) => (
              <option value={s.id} selected={s.id === v.notify_site_id}>{`${s.name} (${s.id})`}</option>
            ))}
          </select>
        </Field>
      </fieldset>
      <fieldset>
        <legend>{t('set_device_limit')}</legend>
        <div class="row wrap">
          {input('device_limit.max', t('set_limit_max'), t('set_limit_max_hint'))}
          {input('device_limit.window_s', t('set_window_s'), t('set_window_hint'))}
        </div>
      </fieldset>
      <fieldset>
        <legend>{t('set_budget')}</legend>
        {input('sms_budget.per_hour', t('set_per_hour'), t('set_per_hour_hint'))}
        {p.sites.length ? (
          <div class="row wrap">
            {p.sites.map((s) => input(`sms_budget.sites.${s.id}`, t('set_site_budget', { site: s.name })))}
          </div>
        ) : null}
      </fieldset>
      <fieldset>
        <legend>{t('set_correlation')}</legend>
        <p class="hint">{t('set_correlation_hint')}</p>
        <div class="row wrap">
          {input('correlation.window_s', t('set_window_s'))}
          {input('correlation.min_count', t('set_min_count'), t('set_empty_off'))}
          {input('correlation.min_share', t('set_min_share'), t('set_min_share_hint'), 'decimal')}
          {input('correlation.share_min_count', t('set_share_min_count'))}
        </div>
      </fieldset>
      <fieldset id="failover">
        <legend>{t('set_failover')}</legend>
        <p class="hint" id="f-failover-hint">
          {t('set_failover_hint')}
        </p>
        <div class="field check">
          <input type="radio" id="f-failover_mode-after" name="failover_mode" value="after" checked={v.failover_mode !== 'never'} aria-describedby="f-failover-hint" />
          <label for="f-failover_mode-after">{t('set_failover_mode_after')}</label>
        </div>
        <div class="failover-after">{input('failover_after_s', t('set_failover_after'), t('set_failover_after_hint'))}</div>
        <div class="field check">
          <input type="radio" id="f-failover_mode-never" name="failover_mode" value="never" checked={v.failover_mode === 'never'} aria-describedby="f-failover-hint" />
          <label for="f-failover_mode-never">{t('set_failover_mode_never')}</label>
        </div>
      </fieldset>
      <fieldset>
        <legend>{t('set_time_zone')}</legend>
        {input('time_zone', t('set_time_zone_label'), t('set_time_zone_hint', { zone: DISPLAY_ZONE }), 'text')}
      </fieldset>
      <button type="submit" class="primary">
        {t('set_save')}
      </button>
    </form>
  );
}
