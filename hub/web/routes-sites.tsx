// Sites and control devices managed in the form (issue 17), through the hub's API in process
// (never the store): the sites with their state, create a site (its agent's MQTT password shown
// once), rotate that password, delete (the API's refusal in the user's words); the control
// devices, add one, delete one. Creating posts carry an Idempotency-Key made when the form was.
import { Hono } from 'hono';
import type { Child } from 'hono/jsx';
import type { ApiResult } from './api-client.js';
import { Banner, CsrfField, Field, fieldAttrs, OnlineBadge } from './components.js';
import type { FieldErrors, WebContext, WebDeps, WebEnv } from './context.js';
import { errorPage } from './errors.js';
import { formatTime, type MessageKey } from './i18n.js';
import { issueWords } from './issue-words.js';
import { Page } from './layout.js';
import { newToken } from './session.js';

interface SiteView {
  id: string;
  name: string;
  mqtt_username?: string;
  online: boolean;
  status: { modem?: { state: string; signal_dbm?: number | null; operator?: string; error?: string }; outbox?: { depth: number } } | null;
  status_received_at: string | null;
}
interface ControlView {
  id: string;
  name: string;
  phone: string;
  model: string;
  site_ids: string[];
}

const FLASH = { site_deleted: 'site_deleted', control_deleted: 'control_deleted' } as const;
const str = (v: unknown) => (typeof v === 'string' ? v.trim() : '');

/** Field errors of a refusal, in the user's words; a refusal naming no field goes in `banner`. */
function refusal<T>(c: WebContext, r: Extract<ApiResult<T>, { ok: false }>, fields: readonly string[]): { errors: FieldErrors; banner: string | null } {
  const { lang, t } = c.get('web');
  const errors: FieldErrors = {};
  for (const i of r.error.issues ?? []) {
    const f = fields.find((x) => i.field === x || i.field.startsWith(`${x}[`) || i.field.startsWith(`${x}.`)) ?? null;
    if (f) errors[f] ??= issueWords(i, lang);
  }
  if (!Object.keys(errors).length && r.error.field && fields.includes(r.error.field)) errors[r.error.field] = issueWords({ field: r.error.field, message: r.error.message }, lang);
  return { errors, banner: Object.keys(errors).length ? null : t('server_refused', { message: issueWords({ field: '', message: r.error.message }, lang) }) };
}

function Confirm(p: { c: WebContext; w: WebDeps; title: string; text: string; action: string; yes: string; back: string; current: 'sites' | 'controls' }) {
  const web = p.c.get('web');
  return (
    <Page web={web} base={p.w.base} title={p.title} current={p.current}>
      <form method="post" action={p.action} class="card narrow">
        <CsrfField csrf={p.c.get('session').csrf} />
        <p>{p.text}</p>
        <div class="actions">
          <a href={p.back} class="button">
            {web.t('cancel')}
          </a>
          <button type="submit" class="danger" autofocus>
            {p.yes}
          </button>
        </div>
      </form>
    </Page>
  );
}

/** The MQTT credentials of a site's agent, shown once (the page is never cached). */
function Secret(p: { c: WebContext; w: WebDeps; title: string; username: string; password: string }) {
  const web = p.c.get('web');
  const { t } = web;
  p.c.header('Cache-Control', 'no-store');
  return (
    <Page web={web} base={p.w.base} title={p.title} current="sites">
      <Banner kind="ok">{t('mqtt_once')}</Banner>
      <dl class="summary card">
        <dt>{t('mqtt_username')}</dt>
        <dd>
          <code>{p.username}</code>
        </dd>
        <dt>{t('mqtt_password')}</dt>
        <dd>
          <code id="mqtt-password">{p.password}</code>
        </dd>
      </dl>
      <p>
        <a href={`${p.w.base}/sites`}>{t('nav_sites')}</a>
      </p>
    </Page>
  );
}

export function sitesRoutes(w: WebDeps): Hono<WebEnv> {
  const app = new Hono<WebEnv>();
  const sites = async (c: WebContext) => {
    const r = await c.get('api')<{ items: SiteView[] }>('GET', '/sites');
    return r.ok ? r.data.items : [];
  };
  const siteOf = async (c: WebContext) => (await sites(c)).find((s) => s.id === c.req.param('id')) ?? null;

  app.get('/sites', async (c) => {
    const web = c.get('web');
    const { t, lang } = web;
    const items = await sites(c);
    const flash = FLASH[c.req.query('msg') as keyof typeof FLASH];
    return c.html(
      <Page web={web} base={w.base} title={t('sites_title')} current="sites">
        {flash ? <Banner kind="ok">{t(flash)}</Banner> : null}
        <p>
          <a class="button primary" href={`${w.base}/sites/new`}>
            + {t('site_new')}
          </a>
        </p>
        {items.length === 0 ? (
          <p>{t('sites_empty')}</p>
        ) : (
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  {(['col_site', 'col_online', 'col_modem', 'col_signal', 'col_outbox', 'col_seen', 'col_actions'] as const).map((k) => (
                    <th scope="col">{t(k)}</th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {items.map((s) => (
                  <tr>
                    <td data-label={t('col_site')}>
                      {s.name} <code>{s.id}</code>
                    </td>
                    <td data-label={t('col_online')}>
                      <OnlineBadge online={s.online} t={t} />
                    </td>
                    <td data-label={t('col_modem')}>{s.status?.modem ? `${t(`modem_${s.status.modem.state}` as MessageKey)}${s.status.modem.operator ? ` · ${s.status.modem.operator}` : ''}${s.status.modem.error ? ` · ${s.status.modem.error}` : ''}` : '—'}</td>
                    <td data-label={t('col_signal')}>{s.status?.modem?.signal_dbm != null ? `${s.status.modem.signal_dbm} dBm` : '—'}</td>
                    <td data-label={t('col_outbox')}>{s.status?.outbox ? String(s.status.outbox.depth) : '—'}</td>
                    <td data-label={t('col_seen')}>{formatTime(lang, s.status_received_at)}</td>
                    <td data-label={t('col_actions')}>
                      <a href={`${w.base}/sites/${encodeURIComponent(s.id)}/password`} aria-label={`${t('site_rotate')}: ${s.name}`}>
                        {t('site_rotate')}
                      </a>
                      {' · '}
                      <a href={`${w.base}/sites/${encodeURIComponent(s.id)}/delete`} aria-label={`${t('delete')}: ${s.name}`}>
                        {t('delete')}
                      </a>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Page>,
    );
  });

  const siteForm = (c: WebContext, values: { id: string; name: string; key: string }, errors: FieldErrors, banner: string | null, status: 200 | 400 | 409 = 200) => {
    const web = c.get('web');
    const { t } = web;
    return c.html(
      <Page web={web} base={w.base} title={t('site_new')} current="sites">
        {banner ? <Banner kind="error">{banner}</Banner> : null}
        <form method="post" action={`${w.base}/sites/new`} class="card narrow" novalidate>
          <CsrfField csrf={c.get('session').csrf} />
          <input type="hidden" name="key" value={values.key} />
          <Field name="id" label={t('site_id')} hint={t('site_id_hint')} errors={errors}>
            <input type="text" value={values.id} maxlength={63} autocomplete="off" {...fieldAttrs('id', errors, true)} autofocus={!errors.name} />
          </Field>
          <Field name="name" label={t('site_name')} errors={errors}>
            <input type="text" value={values.name} maxlength={200} {...fieldAttrs('name', errors)} autofocus={!errors.id && !!errors.name} />
          </Field>
          <button type="submit" class="primary">
            {t('site_create')}
          </button>
        </form>
      </Page>,
      status,
    );
  };
  app.get('/sites/new', (c) => siteForm(c, { id: '', name: '', key: newToken(18) }, {}, null));
  app.post('/sites/new', async (c) => {
    const b = await c.req.parseBody();
    const values = { id: str(b.id), name: str(b.name), key: str(b.key).slice(0, 64) || newToken(18) };
    const r = await c.get('api')<{ id: string; name: string; mqtt_username: string; mqtt_password: string }>('POST', '/sites', { id: values.id, name: values.name }, { 'idempotency-key': values.key });
    if (r.ok) return c.html(<Secret c={c} w={w} title={c.get('web').t('site_created', { name: r.data.name })} username={r.data.mqtt_username} password={r.data.mqtt_password} />, 201);
    const { errors, banner } = refusal(c, r, ['id', 'name']);
    return siteForm(c, values, errors, banner, r.status === 409 ? 409 : 400);
  });

  app.get('/sites/:id/password', async (c) => {
    const { t } = c.get('web');
    const s = await siteOf(c);
    if (!s) return errorPage(c, w, 404, t('not_found'));
    return c.html(<Confirm c={c} w={w} title={t('site_rotate')} text={t('site_rotate_confirm', { name: s.name })} action={`${w.base}/sites/${encodeURIComponent(s.id)}/password`} yes={t('site_rotate_yes')} back={`${w.base}/sites`} current="sites" />);
  });
  app.post('/sites/:id/password', async (c) => {
    const { t } = c.get('web');
    const s = await siteOf(c);
    if (!s) return errorPage(c, w, 404, t('not_found'));
    const r = await c.get('api')<{ mqtt_username: string; mqtt_password: string }>('POST', `/sites/${encodeURIComponent(s.id)}/password`, {});
    if (!r.ok) return errorPage(c, w, 400, refusal(c, r, []).banner ?? t('error_title'));
    return c.html(<Secret c={c} w={w} title={t('site_rotated', { name: s.name })} username={r.data.mqtt_username} password={r.data.mqtt_password} />);
  });

  app.get('/sites/:id/delete', async (c) => {
    const { t } = c.get('web');
    const s = await siteOf(c);
    if (!s) return errorPage(c, w, 404, t('not_found'));
    return c.html(<Confirm c={c} w={w} title={t('delete')} text={t('site_delete_confirm', { name: s.name })} action={`${w.base}/sites/${encodeURIComponent(s.id)}/delete`} yes={t('delete_yes')} back={`${w.base}/sites`} current="sites" />);
  });
  app.post('/sites/:id/delete', async (c) => {
    const { t } = c.get('web');
    const s = await siteOf(c);
    if (!s) return errorPage(c, w, 404, t('not_found'));
    const r = await c.get('api')('DELETE', `/sites/${encodeURIComponent(s.id)}`);
    if (r.ok) return c.redirect(`${w.base}/sites?msg=site_deleted`, 303);
    return errorPage(c, w, 409, r.error.code === 'in_use' ? t('site_in_use', { name: s.name }) : (refusal(c, r, []).banner ?? t('error_title')));
  });

  controlRoutes(app, w, sites);
  return app;
}

function controlRoutes(app: Hono<WebEnv>, w: WebDeps, sites: (c: WebContext) => Promise<SiteView[]>): void {
  const controls = async (c: WebContext) => {
    const r = await c.get('api')<{ items: ControlView[] }>('GET', '/control-devices');
    return r.ok ? r.data.items : [];
  };
  type Values = { name: string; phone: string; model: string; site_ids: string[]; key: string };
  const page = async (c: WebContext, values: Values, errors: FieldErrors, banner: string | null, status: 200 | 400 = 200, flash: Child = null) => {
    const web = c.get('web');
    const { t } = web;
    const [list, siteList] = await Promise.all([controls(c), sites(c)]);
    const models = [...w.deps.catalogs.keys()];
    return c.html(
      <Page web={web} base={w.base} title={t('controls_title')} current="controls">
        {flash}
        {banner ? <Banner kind="error">{banner}</Banner> : null}
        {list.length === 0 ? (
          <p>{t('controls_empty')}</p>
        ) : (
          <ul class="cards">
            {list.map((d) => (
              <li class="card">
                <strong>{d.name}</strong> <code>{d.phone}</code> · {d.model} · {d.site_ids.join(', ')} ·{' '}
                <a href={`${w.base}/controls/${encodeURIComponent(d.id)}/delete`} aria-label={`${t('delete')}: ${d.name}`}>
                  {t('delete')}
                </a>
              </li>
            ))}
          </ul>
        )}
        <h2>{t('control_new')}</h2>
        <form method="post" action={`${w.base}/controls`} class="card narrow" novalidate>
          <CsrfField csrf={c.get('session').csrf} />
          <input type="hidden" name="key" value={values.key} />
          <Field name="name" label={t('control_name')} errors={errors}>
            <input type="text" value={values.name} maxlength={200} {...fieldAttrs('name', errors)} />
          </Field>
          <Field name="phone" label={t('control_phone')} hint={t('control_phone_hint')} errors={errors}>
            <input type="tel" value={values.phone} maxlength={21} autocomplete="off" {...fieldAttrs('phone', errors, true)} />
          </Field>
          <Field name="model" label={t('control_model')} errors={errors}>
            <select {...fieldAttrs('model', errors)}>
              {[...models, 'generic'].map((m) => (
                <option value={m} selected={m === values.model}>
                  {m === 'generic' ? t('control_model_generic') : m}
                </option>
              ))}
            </select>
          </Field>
          <fieldset class="field" data-field="site_ids">
            <legend>{t('control_sites')}</legend>
            {siteList.map((s) => (
              <label class="check">
                <input type="checkbox" name="site_ids" value={s.id} checked={values.site_ids.includes(s.id)} aria-describedby="f-site_ids-err" aria-invalid={errors.site_ids ? 'true' : undefined} /> {s.name} <code>{s.id}</code>
              </label>
            ))}
            <p class="error" id="f-site_ids-err" data-error-for="site_ids" hidden={!errors.site_ids}>
              {errors.site_ids ?? ''}
            </p>
          </fieldset>
          <button type="submit" class="primary">
            {t('control_create')}
          </button>
        </form>
      </Page>,
      status,
    );
  };
  const empty = (): Values => ({ name: '', phone: '', model: [...w.deps.catalogs.keys()][0] ?? 'generic', site_ids: [], key: newToken(18) });

  app.get('/controls', (c) => page(c, empty(), {}, null, 200, c.req.query('msg') === 'control_deleted' ? <Banner kind="ok">{c.get('web').t('control_deleted')}</Banner> : null));
  app.post('/controls', async (c) => {
    const b = await c.req.parseBody({ all: true });
    const ids = Array.isArray(b.site_ids) ? b.site_ids : b.site_ids === undefined ? [] : [b.site_ids];
    const values: Values = { name: str(b.name), phone: str(b.phone).replace(/[\s()-]/g, ''), model: str(b.model), site_ids: ids.filter((x): x is string => typeof x === 'string').slice(0, 50), key: str(b.key).slice(0, 64) || newToken(18) };
    const r = await c.get('api')<ControlView>('POST', '/control-devices', { name: values.name, phone: values.phone, model: values.model, site_ids: values.site_ids }, { 'idempotency-key': values.key });
    if (r.ok) return page(c, empty(), {}, null, 200, <Banner kind="ok">{c.get('web').t('control_created', { name: r.data.name })}</Banner>);
    const { errors, banner } = refusal(c, r, ['name', 'phone', 'model', 'site_ids']);
    return page(c, values, errors, banner, 400);
  });
  const one = async (c: WebContext) => (await controls(c)).find((d) => d.id === c.req.param('id')) ?? null;
  app.get('/controls/:id/delete', async (c) => {
    const { t } = c.get('web');
    const d = await one(c);
    if (!d) return errorPage(c, w, 404, t('not_found'));
    return c.html(<Confirm c={c} w={w} title={t('delete')} text={t('control_delete_confirm', { name: d.name })} action={`${w.base}/controls/${encodeURIComponent(d.id)}/delete`} yes={t('delete_yes')} back={`${w.base}/controls`} current="controls" />);
  });
  app.post('/controls/:id/delete', async (c) => {
    const { t } = c.get('web');
    const d = await one(c);
    if (!d) return errorPage(c, w, 404, t('not_found'));
    const r = await c.get('api')('DELETE', `/control-devices/${encodeURIComponent(d.id)}`);
    if (r.ok) return c.redirect(`${w.base}/controls?msg=control_deleted`, 303);
    return errorPage(c, w, 409, r.error.code === 'in_use' ? t('control_in_use', { name: d.name }) : (refusal(c, r, []).banner ?? t('error_title')));
  });
}
