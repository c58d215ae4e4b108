// Wizard step 4: the action. The default is one `send` step (site, control device, catalog command
// with typed parameters or free text with a live SMS counter); for SimPal sockets the operator may
// choose "power-cycle and verify" (wizard-playbook.tsx), and an edited job's steps the wizard
// cannot edit are shown read-only and kept.
import type { Catalog, CatalogCommand } from '../catalog/catalog.js';
import { LIMITS, planSms } from '../common/sms/index.js';
import { MAX_PARTS } from '../core/action.js';
import { renderTemplate } from '../core/template.js';
import { Field, fieldAttrs, OnlineBadge } from './components.js';
import type { FieldErrors } from './context.js';
import type { Draft } from './draft.js';
import type { Lang, T } from './i18n.js';
import { categoryName, COMMON_COMMANDS, commandName, paramTitle } from '../catalog/words.js';
import type { WebhookView } from './remediation-types.js';
import { KeptPlaybook, ModeChoice, OtherStepErrors, PowerCycleFields } from './wizard-playbook.js';

export interface SiteRow {
  id: string;
  name: string;
  online: boolean;
  signal_dbm: number | null;
  outbox: number | null;
}
export interface ControlRow {
  id: string;
  name: string;
  phone: string;
  model: string;
  site_ids: string[];
}
export interface SmsPreview {
  text: string;
  parts: number;
  encoding: string;
}

export interface ActionData {
  sites: SiteRow[];
  controls: ControlRow[];
  catalog: Catalog | null;
  /** Values of the free-text placeholders ({device} ...), for the live counter. */
  templateValues: Record<string, string | number>;
  sms: SmsPreview | null;
  /** The platform's webhook endpoints (GET /webhooks), for the power-cycle notification. */
  webhooks: WebhookView[];
  /** The built power-cycle steps in plain words (null until built). */
  words: string[] | null;
  /** The kept steps of an edited job in plain words. */
  keptWords: string[] | null;
}

const S = 'steps[0]';

/** Without script, dependent fields update with this button; the script hides it and updates in place. */
export function RefreshButton(p: { t: T }) {
  return (
    <button type="submit" name="go" value="refresh" class="nojs">
      {p.t('apply')}
    </button>
  );
}

export function ActionStep(p: { t: T; lang?: Lang; usage?: Readonly<Record<string, number>>; draft: Draft; data: ActionData; errors: FieldErrors; base: string }) {
  return <SendStepFields {...p} />;
}

function SendStepFields(p: { t: T; lang?: Lang; usage?: Readonly<Record<string, number>>; draft: Draft; data: ActionData; errors: FieldErrors; base: string }) {
  const { t, draft: d, data, errors } = p;
  const control = data.controls.find((c) => c.id === d.control_device_id);
  return (
    <div>
      <fieldset class="sites" aria-describedby={`f-steps-0-site_id-err`}>
        <legend>{t('site')}</legend>
        {data.sites.length === 0 ? <p>{t('site_none')}</p> : null}
        {data.sites.map((s) => (
          <label class="site">
            <input type="radio" name={`${S}.site_id`} value={s.id} checked={d.site_id === s.id} />
            <span>
              <strong>{s.name}</strong> <code>{s.id}</code>
            </span>
            <OnlineBadge online={s.online} t={t} />
            {s.signal_dbm !== null ? <span class="muted">{t('signal', { dbm: s.signal_dbm })}</span> : null}
            {s.outbox ? <span class="muted">{t('outbox', { n: s.outbox })}</span> : null}
          </label>
        ))}
        <p class="error" id="f-steps-0-site_id-err" data-error-for={`${S}.site_id`} hidden={!errors[`${S}.site_id`]}>
          {errors[`${S}.site_id`] ?? ''}
        </p>
      </fieldset>
      <Field name={`${S}.control_device_id`} label={t('control_device')} errors={errors}>
        <select {...fieldAttrs(`${S}.control_device_id`, errors)} data-refresh="control-area">
          <option value="">{t('control_pick')}</option>
          {data.controls.map((c) => (
            <option value={c.id} selected={c.id === d.control_device_id}>{`${c.name} (${c.model})`}</option>
          ))}
        </select>
      </Field>
      <RefreshButton t={t} />
      {data.controls.length === 0 ? <p>{t('control_none')}</p> : null}
      <div id="control-area">
      {control ? (
        <p class="muted">
          {t('destination', { phone: control.phone })} · {t('accepts_from', { sites: control.site_ids.join(', ') })}
        </p>
      ) : null}
      <ModeChoice t={t} draft={d} model={control?.model ?? null} />
      <div id="action-detail">
      {d.action_mode === 'power_cycle' && control ? (
        <PowerCycleFields t={t} draft={d} model={control.model} sites={data.sites} webhooks={data.webhooks} errors={errors} words={data.words} base={p.base} />
      ) : d.action_mode === 'playbook' && data.keptWords ? (
        <KeptPlaybook t={t} words={data.keptWords} />
      ) : (
        <CommandFields t={t} lang={p.lang} usage={p.usage} draft={d} data={data} errors={errors} control={control ?? null} />
      )}
      <OtherStepErrors errors={errors} shown={[`${S}.site_id`, `${S}.control_device_id`, `${S}.command.command_id`, `${S}.command.params`, `${S}.command.text`, ...Object.keys(errors).filter((k) => k.startsWith(`${S}.command.params.`))]} />
      </div>
      </div>
    </div>
  );
}

function CommandFields(p: { t: T; lang?: Lang; usage?: Readonly<Record<string, number>> | undefined; draft: Draft; data: ActionData; errors: FieldErrors; control: ControlRow | null }) {
  const { t, draft: d, data, errors, control } = p;
  return (
    <div>
      <fieldset class="radios">
        <legend>{t('command_kind')}</legend>
        {(['catalog', 'text'] as const).map((k) => (
          <label>
            <input type="radio" name={`${S}.command.kind`} value={k} checked={d.command_kind === k} data-refresh="command-area" /> {t(k === 'catalog' ? 'command_catalog' : 'command_text')}
          </label>
        ))}
        <RefreshButton t={t} />
      </fieldset>
      <div id="command-area">
        {d.command_kind === 'catalog' ? <CatalogFields t={t} lang={p.lang ?? 'ru'} usage={p.usage ?? {}} draft={d} control={control ?? null} catalog={data.catalog} errors={errors} /> : <TextField t={t} draft={d} data={data} errors={errors} />}
        <p class="sms-rendered" id="sms-rendered" aria-live="polite">
          {data.sms ? `${t('sms_will_send', { text: data.sms.text })} (${data.sms.parts} SMS, ${data.sms.encoding === 'gsm7' ? 'GSM 7-bit' : 'UCS2'})` : ''}
        </p>
      </div>
    </div>
  );
}

function CatalogFields(p: { t: T; lang: Lang; usage: Readonly<Record<string, number>>; draft: Draft; control: ControlRow | null; catalog: Catalog | null; errors: FieldErrors }) {
  const { t, lang, draft: d, errors } = p;
  if (p.control && !p.catalog) return <p class="error">{t('command_no_catalog', { model: p.control.model })}</p>;
  if (!p.catalog) return null;
  const commands = p.catalog.commands;
  // The commands used most come first (one arrow press away), then the rest by group.
  // The platform's jobs' favourites first, then the usual ones; three at most.
  const used = commands.filter((c) => (p.usage[c.id] ?? 0) > 0).sort((a, b) => (p.usage[b.id] ?? 0) - (p.usage[a.id] ?? 0));
  const usual = (COMMON_COMMANDS[p.catalog.model] ?? []).map((id) => commands.find((c) => c.id === id)).filter((c): c is CatalogCommand => c !== undefined);
  const common = [...new Set([...used, ...usual])].slice(0, 3);
  const rest = commands.filter((c) => !common.includes(c));
  const categories = [...new Set(rest.map((c) => c.category))];
  const cmd = commands.find((c) => c.id === d.command_id);
  const option = (c: CatalogCommand) => <option value={c.id} selected={c.id === d.command_id}>{`${commandName(c, lang)} — ${c.template}`}</option>;
  return (
    <div>
      <Field name={`${S}.command.command_id`} label={t('command')} errors={errors}>
        <select {...fieldAttrs(`${S}.command.command_id`, errors)} data-refresh="params-area">
          <option value="">{t('command_pick')}</option>
          {common.length ? <optgroup label={lang === 'en' ? 'Used most' : 'Часто используемые'}>{common.map(option)}</optgroup> : null}
          {categories.map((cat) => (
            <optgroup label={categoryName(cat, lang)}>{rest.filter((c) => c.category === cat).map(option)}</optgroup>
          ))}
        </select>
      </Field>
      <RefreshButton t={t} />
      <div id="params-area">
        {cmd && Object.keys(cmd.params).length ? <Params t={t} lang={lang} cmd={cmd} draft={d} errors={errors} /> : null}
        <p class="error" data-error-for={`${S}.command.params`} id="f-steps-0-command-params-err" hidden={!errors[`${S}.command.params`]}>
          {errors[`${S}.command.params`] ?? ''}
        </p>
      </div>
    </div>
  );
}

function Params(p: { t: T; lang: Lang; cmd: CatalogCommand; draft: Draft; errors: FieldErrors }) {
  return (
    <fieldset>
      <legend>{p.t('command_params')}</legend>
      {Object.entries(p.cmd.params).map(([name, spec]) => {
        const field = `${S}.command.params.${name}`;
        const value = p.draft.params[name] ?? '';
        const required = p.cmd.required.includes(name);
        const label = `${paramTitle(spec.title || name, p.lang)}${required ? ` (${p.t('required')})` : ''}`;
        return (
          <Field name={field} label={label} errors={p.errors}>
            {spec.enum ? (
              <select {...fieldAttrs(field, p.errors)} aria-required={required ? 'true' : undefined}>
                <option value=""></option>
                {spec.enum.map((v) => (
                  <option value={String(v)} selected={String(v) === value}>
                    {String(v)}
                  </option>
                ))}
              </select>
            ) : (
              <input
                type="text"
                inputmode={spec.type === 'string' ? 'text' : spec.type === 'integer' ? 'numeric' : 'decimal'}
                value={value}
                {...fieldAttrs(field, p.errors)}
                aria-required={required ? 'true' : undefined}
              />
            )}
          </Field>
        );
      })}
    </fieldset>
  );
}

function TextField(p: { t: T; draft: Draft; data: ActionData; errors: FieldErrors }) {
  const { t, errors } = p;
  const field = `${S}.command.text`;
  const text = renderTemplate(p.draft.text, p.data.templateValues);
  const plan = planSms(text);
  const counter = t('sms_counter', { chars: [...text].length, parts: plan.parts.length, encoding: plan.encoding === 'gsm7' ? 'GSM 7-bit' : 'UCS2' });
  return (
    <Field name={field} label={t('sms_text')} hint={t('sms_text_hint')} errors={errors}>
      <textarea rows={4} {...fieldAttrs(field, errors, true)} aria-describedby={`f-steps-0-command-text-hint sms-counter sms-limit f-steps-0-command-text-err`} data-sms="" data-values={JSON.stringify(p.data.templateValues)} data-fmt={t('sms_counter')}>
        {p.draft.text}
      </textarea>
      <output id="sms-counter" class="counter" aria-live="polite" for="f-steps-0-command-text" data-max={String(MAX_PARTS)}>
        {counter}
      </output>
      <p id="sms-limit" class={plan.parts.length > MAX_PARTS ? 'hint over' : 'hint'}>
        {t('sms_limit', { max: MAX_PARTS, chars: MAX_PARTS * LIMITS.gsm7.multi, ucs: MAX_PARTS * LIMITS.ucs2.multi })}
      </p>
    </Field>
  );
}
