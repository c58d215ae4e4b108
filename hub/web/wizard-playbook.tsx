// Wizard step 4, issue 10: the "power-cycle and verify (SimPal)" choice. Its fields are the
// options of the API's template (POST /playbooks/templates/power-cycle), which builds the steps;
// the steps of an edited job the wizard cannot edit are kept read-only. The review step shows the
// steps in plain words and the API's playbook dry run (what would be sent to whom).
import { scopeOf } from '../store/port.js';
import type { ApiDeps } from '../api/context.js';
import type { DryRun } from '../remediation/dryrun.js';
import type { Playbook } from '../remediation/playbook.js';
import { issueWords } from './issue-words.js';
import type { ApiCall } from './api-client.js';
import { ErrorText, Field, fieldAttrs } from './components.js';
import type { FieldErrors } from './context.js';
import { type Draft, SIMPAL_MODELS } from './draft.js';
import type { Lang, T } from './i18n.js';
import type { WebhookView } from './remediation-types.js';
import { duration } from './words.js';

const num = (s: string): number => (s.trim() === '' ? Number.NaN : Number(s.trim().replace(',', '.')));

/** Form field of an issue of the template route (its body is PowerCycleOptions). */
export function templateField(field: string): string {
  if (field === 'site_id') return 'steps[0].site_id';
  if (field === 'control_device_id' || field === 'model') return 'steps[0].control_device_id';
  if (field.startsWith('notify.sms.site_id') || field === 'notify.sms') return 'pc.notify.sms.site_id';
  if (field.startsWith('notify.webhooks')) return 'pc.notify.webhooks';
  if (field === 'notify' || field === '(root)' || field === '') return 'pc.notify';
  return `pc.${field}`;
}

/** The template's options from the draft (numbers as typed; the API judges them). */
export function powerCycleBody(d: Draft, model: string, lang: Lang): Record<string, unknown> {
  return {
    model,
    site_id: d.site_id,
    control_device_id: d.control_device_id,
    off_min: num(d.pc.off_min),
    long_off_min: num(d.pc.long_off_min),
    boot_s: num(d.pc.boot_s),
    ...(model === 'SIMPAL_D410' ? { line: num(d.pc.line) } : {}),
    notify: { sms: d.pc.notify_sms ? { site_id: d.pc.notify_site_id, to: 'on_call' } : null, webhooks: d.pc.webhooks },
    lang,
  };
}

/**
 * In power-cycle mode, build the steps through the API's template (errors by form field).
 * A control device that is no SimPal socket falls back to one command.
 */
export async function buildPlaybook(api: ApiCall, deps: ApiDeps, platformId: string, d: Draft, lang: Lang, t: T): Promise<{ draft: Draft; errors: FieldErrors }> {
  if (d.action_mode !== 'power_cycle') return { draft: d, errors: {} };
  const control = d.control_device_id ? await deps.port.controlDevices.get(scopeOf(platformId), d.control_device_id) : undefined;
  const model = control ? control.model : null;
  if (!model || !SIMPAL_MODELS.has(model)) return { draft: { ...d, action_mode: 'command', playbook: null }, errors: {} };
  const errors: FieldErrors = {};
  for (const k of ['off_min', 'long_off_min', 'boot_s'] as const) if (!Number.isFinite(num(d.pc[k]))) errors[`pc.${k}`] = t('not_a_number');
  if (d.pc.notify_sms && !d.pc.notify_site_id) errors['pc.notify.sms.site_id'] = t('pc_pick_site');
  if (!d.pc.notify_sms && d.pc.webhooks.length === 0) errors['pc.notify'] = t('pc_notify_someone');
  if (Object.keys(errors).length) return { draft: { ...d, playbook: null }, errors };
  const r = await api<{ steps: Playbook }>('POST', '/playbooks/templates/power-cycle', powerCycleBody(d, model, lang));
  if (r.ok) return { draft: { ...d, playbook: r.data.steps }, errors: {} };
  for (const i of r.error.issues ?? []) errors[templateField(i.field)] ??= issueWords(i, lang);
  if (Object.keys(errors).length === 0) errors['pc.notify'] = t('server_refused', { message: r.error.message });
  return { draft: { ...d, playbook: null }, errors };
}

export interface ModeProps {
  t: T;
  draft: Draft;
  model: string | null;
}

/** The choice of action: one command (default), power-cycle (SimPal sockets), or the kept steps. */
export function ModeChoice(p: ModeProps) {
  const { t, draft: d } = p;
  const simpal = p.model !== null && SIMPAL_MODELS.has(p.model);
  if (!simpal && !d.kept) return null;
  const modes: Array<[Draft['action_mode'], string]> = [['command', t('mode_command')]];
  if (simpal) modes.push(['power_cycle', t('mode_power_cycle')]);
  if (d.kept) modes.push(['playbook', t('mode_kept', { n: d.kept.length })]);
  return (
    <fieldset class="radios" id="mode-choice">
      <legend>{t('mode_title')}</legend>
      {modes.map(([k, label]) => (
        <label>
          <input type="radio" name="action_mode" value={k} checked={d.action_mode === k} data-refresh="action-detail" /> {label}
        </label>
      ))}
    </fieldset>
  );
}

export function PowerCycleFields(p: { t: T; draft: Draft; model: string; sites: Array<{ id: string; name: string }>; webhooks: WebhookView[]; errors: FieldErrors; words: string[] | null; base: string }) {
  const { t, draft: d, errors } = p;
  const text = (name: 'off_min' | 'long_off_min' | 'boot_s', label: string, hint?: string) => (
    <Field name={`pc.${name}`} label={label} errors={errors} cls="narrow" {...(hint ? { hint } : {})}>
      <input type="text" inputmode="numeric" value={d.pc[name]} {...fieldAttrs(`pc.${name}`, errors, !!hint)} />
    </Field>
  );
  return (
    <div class="power-cycle">
      <p class="muted">{t('pc_explain')}</p>
      <div class="row wrap">
        {text('off_min', t('pc_off_min'))}
        {text('long_off_min', t('pc_long_off_min'))}
        {text('boot_s', t('pc_boot_s'), t('pc_boot_hint'))}
        {p.model === 'SIMPAL_D410' ? (
          <Field name="pc.line" label={t('pc_line')} errors={errors} cls="narrow">
            <select {...fieldAttrs('pc.line', errors)}>
              {(['0', '1', '2'] as const).map((v) => (
                <option value={v} selected={d.pc.line === v}>
                  {v === '0' ? t('pc_line_both') : t('pc_line_n', { n: v })}
                </option>
              ))}
            </select>
          </Field>
        ) : null}
      </div>
      <fieldset aria-describedby="f-pc-notify-err">
        <legend>{t('pc_notify')}</legend>
        <div class="field check">
          <label>
            <input type="checkbox" name="pc.notify.sms" checked={d.pc.notify_sms} /> {t('pc_notify_sms')}
          </label>
        </div>
        <Field name="pc.notify.sms.site_id" label={t('pc_notify_site')} errors={errors}>
          <select {...fieldAttrs('pc.notify.sms.site_id', errors)}>
            <option value="">{t('control_pick')}</option>
            {p.sites.map((s) => (
              <option value={s.id} selected={s.id === d.pc.notify_site_id}>{`${s.name} (${s.id})`}</option>
            ))}
          </select>
        </Field>
        <p class="muted">{t('pc_webhooks')}</p>
        {p.webhooks.length === 0 ? (
          <p class="hint">
            {t('pc_no_webhooks')} <a href={`${p.base}/remediation#webhooks`}>{t('nav_remediation')}</a>
          </p>
        ) : (
          <ul class="checks">
            {p.webhooks.map((h) => (
              <li>
                <label>
                  <input type="checkbox" name="pc.notify.webhooks" value={h.id} checked={d.pc.webhooks.includes(h.id)} /> <code>{h.url}</code>
                  {h.enabled ? null : <span class="muted">({t('wh_disabled')})</span>}
                </label>
              </li>
            ))}
          </ul>
        )}
        <ErrorText name="pc.notify" errors={errors} />
        <ErrorText name="pc.notify.webhooks" errors={errors} />
      </fieldset>
      {p.words ? <PlaybookList t={t} words={p.words} id="pc-steps" /> : null}
    </div>
  );
}

/** The steps of an edited job the wizard cannot edit: shown, kept as they are. */
export function KeptPlaybook(p: { t: T; words: string[] }) {
  return (
    <div class="kept">
      <p class="banner ok" role="note">
        {p.t('kept_note', { n: p.words.length })}
      </p>
      <PlaybookList t={p.t} words={p.words} id="kept-steps" />
    </div>
  );
}

export function PlaybookList(p: { t: T; words: string[]; id: string }) {
  return (
    <section aria-labelledby={`${p.id}-h`}>
      <h3 id={`${p.id}-h`}>{p.t('playbook_steps')}</h3>
      <ol class="playbook" id={p.id}>
        {p.words.map((w) => (
          <li>{w}</li>
        ))}
      </ol>
    </section>
  );
}

/** Step errors that no field of the page shows (e.g. steps[3].sms.site_id from the API). */
export function OtherStepErrors(p: { errors: FieldErrors; shown: readonly string[] }) {
  const rest = Object.entries(p.errors).filter(([k]) => (k.startsWith('steps') || k === 'pc') && !p.shown.includes(k));
  if (rest.length === 0) return null;
  return (
    <ul class="error" id="playbook-errors" role="alert">
      {rest.map(([k, m]) => (
        <li>
          <code>{k}</code>: {m}
        </li>
      ))}
    </ul>
  );
}

/** The playbook dry run: per step, what would be sent to whom. */
export function PlaybookDryRun(p: { t: T; lang: Lang; dry: DryRun | null; error: string | null }) {
  const { t, dry } = p;
  return (
    <section class="dry" aria-labelledby="pdry-h">
      <h3 id="pdry-h">{t('pdry_title')}</h3>
      {p.error ? <p class="error">{p.error}</p> : null}
      {dry ? (
        <div id="playbook-dry-run">
          <p>
            <strong>{t(`pdry_${dry.decision}`)}</strong>
            {dry.reason ? ` — ${dry.reason}` : ''}
          </p>
          <ol class="playbook">
            {dry.steps.map((s) => (
              <li>
                <span class="muted">{t(`ptype_${s.type}`)}</span>
                {s.duration_s !== undefined ? ` · ${duration(p.lang, s.duration_s)}` : ''}
                {s.holds_now !== undefined ? ` · ${t('pdry_holds_now')}: ${s.holds_now === null ? t('unknown') : s.holds_now ? t('yes') : t('no')}` : ''}
                {s.messages.length ? (
                  <ul>
                    {s.messages.map((m) => (
                      <li>{m.channel === 'sms' ? `SMS ${m.site_id} → ${m.to} (${m.to_name === 'on-call' ? t('pdry_on_call') : m.to_name}): «${m.text}» (${m.parts} SMS)` : `${t('pdry_webhook')} → ${m.url}`}</li>
                    ))}
                  </ul>
                ) : null}
                {s.errors.map((e) => (
                  <p class="error">{issueWords(e, p.lang)}</p>
                ))}
              </li>
            ))}
          </ol>
        </div>
      ) : null}
    </section>
  );
}
