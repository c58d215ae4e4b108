// Sites and control devices managed in the form (issue 17), through the hub's API in process
// (never the store): the sites with their state, create a site (its agent's MQTT password shown
// once), rotate that password, delete (the API's refusal in the user's words); the control
// devices are routes-controls.tsx. Every modem of a site's live status v2 (issue 19) is listed.
// Creating posts carry an Idempotency-Key made when the form was.
import { Hono } from 'hono';
import { Banner, CsrfField, Field, fieldAttrs, OnlineBadge } from './components.js';
import type { FieldErrors, WebContext, WebDeps, WebEnv } from './context.js';
import { errorPage } from './errors.js';
import { formatNumber, formatTime, type Lang, type MessageKey, type T } from './i18n.js';
import { Page } from './layout.js';
import { controlRoutes } from './routes-controls.js';
import { newToken } from './session.js';
import { Confirm, refusal, str } from './site-shared.js';

/** One modem of a status v2 (hub/common/contract/payloads.ts `modemEntry`). */
interface ModemView {
  id: string;
  state: string;
  carrier?: string;
  operator?: string;
  signal_dbm?: number | null;
  error?: string;
  budget?: { parts_per_hour: number | null; parts_last_hour: number };
  parts_today?: number;
  cost_today?: number;
  currency?: string;
}
export interface SiteView {
  id: string;
  name: string;
  mqtt_username?: string;
  online: boolean;
  status: { modem?: { state: string; signal_dbm?: number | null; operator?: string; error?: string }; modems?: ModemView[]; outbox?: { depth: number } } | null;
  status_received_at: string | null;
}

/** A v1 status's one modem: state, operator, error. */
function oneModem(t: T, m: NonNullable<NonNullable<SiteView['status']>['modem']>): string {
  return `${t(`modem_${m.state}` as MessageKey)}${m.operator ? ` · ${m.operator}` : ''}${m.error ? ` · ${m.error}` : ''}`;
}

/** Every modem of a status v2: id, carrier, state, signal, budget use, parts and cost today. */
function Modems(p: { t: T; lang: Lang; modems: ModemView[] }) {
  const { t, lang } = p;
  return (
    <ul class="modems">
      {p.modems.map((m) => (
        <li data-modem={m.id}>
          <strong>{m.id}</strong>
          {m.carrier || m.operator ? ` · ${t('modem_carrier', { carrier: m.carrier ?? m.operator ?? '' })}` : ''} · <span class={`badge md-${m.state}`}>{t(`modem_${m.state}` as MessageKey)}</span>
          {m.signal_dbm != null ? ` · ${m.signal_dbm} dBm` : ''}
          {m.error ? ` · ${m.error}` : ''}
          {m.budget ? ` · ${m.budget.parts_per_hour === null ? t('modem_budget_free', { used: m.budget.parts_last_hour }) : t('modem_budget', { used: m.budget.parts_last_hour, per_hour: m.budget.parts_per_hour })}` : ''}
          {m.parts_today !== undefined ? ` · ${t('modem_today', { parts: m.parts_today })}` : ''}
          {m.cost_today !== undefined ? ` · ${t('modem_cost', { cost: formatNumber(lang, m.cost_today), currency: m.currency ?? '' }).trim()}` : ''}
        </li>
      ))}
    </ul>
  );
}

const FLASH = { site_deleted: 'site_deleted', control_deleted: 'control_deleted' } as const;

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
                    <td data-label={t('col_modem')}>{s.status?.modems?.length ? <Modems t={t} lang={lang} modems={s.status.modems} /> : s.status?.modem ? oneModem(t, s.status.modem) : '—'}</td>
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

  controlRoutes(app, w);
  return app;
}
