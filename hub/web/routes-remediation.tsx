// The remediation settings page (/ui/remediation): the settings form (settings-form.tsx), the
// webhook endpoints with their last deliveries (add shows the secret once, enable / disable,
// delete after a confirmation) and the SMS queue per site (GET /api/v1/sms-queue).
import { Hono } from 'hono';
import { Banner, CsrfField, ErrorText, Field, fieldAttrs } from './components.js';
import type { FieldErrors, WebContext, WebDeps, WebEnv } from './context.js';
import { errorPage } from './errors.js';
import { formatTime, type Lang, type T } from './i18n.js';
import { issueWords } from './issue-words.js';
import { Page } from './layout.js';
import { type DeliveryView, iso, type RemediationSettings, type SiteQueue, type WebhookView } from './remediation-types.js';
import { bodyOf, formFieldOf, SettingsForm, type Values, valuesFromForm, valuesOf } from './settings-form.js';
import { type Form, one } from './wizard-logic.js';

interface PageState {
  values?: Values;
  errors?: FieldErrors;
  whValues?: { url: string; secret: string; enabled: boolean };
  whErrors?: FieldErrors;
  /** The secret of a webhook just added: shown this once. */
  secret?: { id: string; url: string; secret: string } | null;
  refusal?: string | null;
  status?: 200 | 400;
}

const FLASH = ['saved', 'wh_enabled', 'wh_disabled_ok', 'wh_deleted'] as const;
const MAX_DELIVERY_LOOKUPS = 20;

function Deliveries(p: { t: T; lang: Lang; items: DeliveryView[] }) {
  const { t, lang } = p;
  if (p.items.length === 0) return <p class="muted">{t('wh_no_deliveries')}</p>;
  return (
    <ul class="deliveries">
      {p.items.map((d) => {
        const last = d.attempts.at(-1);
        return (
          <li>
            <span class={`badge dl-${d.status}`}>{t(`dl_${d.status}`)}</span> {d.event_type} · {formatTime(lang, iso(d.created_at))}
            {` · ${t('wh_attempts', { n: d.attempts.length })}`}
            {last ? ` · ${last.http_status !== null ? `HTTP ${last.http_status}` : ''}${last.error ? ` ${last.error}` : ''}` : ''}
            {d.status === 'retrying' && d.next_at ? ` · ${t('wh_next_at', { at: formatTime(lang, iso(d.next_at)) })}` : ''}
          </li>
        );
      })}
    </ul>
  );
}

function Queue(p: { t: T; lang: Lang; sites: SiteQueue[] }) {
  const { t, lang } = p;
  if (p.sites.length === 0) return <p>{t('q_empty')}</p>;
  return (
    <div class="table-wrap">
      <table id="sms-queue">
        <thead>
          <tr>
            <th scope="col">{t('col_site')}</th>
            <th scope="col">{t('q_budget')}</th>
            <th scope="col">{t('q_sent')}</th>
            <th scope="col">{t('q_queued')}</th>
            <th scope="col">{t('q_next')}</th>
          </tr>
        </thead>
        <tbody>
          {p.sites.map((s) => (
            <tr>
              <td data-label={t('col_site')}>
                <code>{s.site_id}</code>
              </td>
              <td data-label={t('q_budget')}>{s.budget_per_hour}</td>
              <td data-label={t('q_sent')}>{s.sent_last_hour}</td>
              <td data-label={t('q_queued')}>
                {s.queued}
                {s.items.length ? (
                  <ol class="queue-items">
                    {s.items.slice(0, 20).map((q) => (
                      <li>{`${q.label || q.key} → ${q.to} (${q.parts} SMS${q.priority >= 10 ? `, ${t('q_people')}` : ''}) · ${formatTime(lang, iso(q.queued_at))}`}</li>
                    ))}
                  </ol>
                ) : null}
              </td>
              <td data-label={t('q_next')}>{formatTime(lang, iso(s.next_slot_at))}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function remediationRoutes(w: WebDeps): Hono<WebEnv> {
  const app = new Hono<WebEnv>();

  const render = async (c: WebContext, st: PageState = {}) => {
    const web = c.get('web');
    const { t, lang } = web;
    const api = c.get('api');
    const csrf = c.get('session').csrf;
    const [settings, sitesRes, hooks, queue] = await Promise.all([
      api<RemediationSettings>('GET', '/remediation/settings'),
      api<{ items: Array<{ id: string; name: string }> }>('GET', '/sites'),
      api<{ items: WebhookView[] }>('GET', '/webhooks'),
      api<{ sites: SiteQueue[] }>('GET', '/sms-queue'),
    ]);
    const sites = sitesRes.ok ? sitesRes.data.items : [];
    const endpoints = hooks.ok ? hooks.data.items : [];
    const deliveries = await Promise.all(
      endpoints.slice(0, MAX_DELIVERY_LOOKUPS).map(async (h) => {
        const r = await api<{ items: DeliveryView[] }>('GET', `/webhooks/${encodeURIComponent(h.id)}/deliveries?limit=5`);
        return r.ok ? r.data.items : [];
      }),
    );
    const values = st.values ?? (settings.ok ? valuesOf(settings.data, sites.map((s) => s.id)) : null);
    const flash = FLASH.find((f) => f === c.req.query('msg'));
    const wv = st.whValues ?? { url: '', secret: '', enabled: true };
    const whErrors = st.whErrors ?? {};
    return c.html(
      <Page web={web} base={w.base} title={t('set_title')} current="remediation">
        {flash ? <Banner kind="ok">{t(flash === 'saved' ? 'set_saved' : flash === 'wh_deleted' ? 'wh_deleted' : flash === 'wh_enabled' ? 'wh_enabled_ok' : 'wh_disabled_ok')}</Banner> : null}
        {st.refusal ? <Banner kind="error">{st.refusal}</Banner> : st.errors && Object.keys(st.errors).length ? <Banner kind="error">{t('fix_errors')}</Banner> : null}
        {st.secret ? (
          <div class="banner ok" role="status" id="webhook-secret">
            <p>{t('wh_secret_once', { url: st.secret.url })}</p>
            <p>
              <code>{st.secret.secret}</code>
            </p>
          </div>
        ) : null}
        {values ? (
          <SettingsForm t={t} base={w.base} csrf={csrf} values={values} errors={st.errors ?? {}} sites={sites} />
        ) : (
          <Banner kind="error">{t('server_refused', { message: !settings.ok ? settings.error.message : '' })}</Banner>
        )}

        <h2 id="webhooks">{t('wh_title')}</h2>
        <p class="hint">{t('wh_hint')}</p>
        {endpoints.length === 0 ? (
          <p>{t('wh_none')}</p>
        ) : (
          <ul class="webhooks" id="webhook-list">
            {endpoints.map((h, i) => (
              <li class="card" data-webhook-id={h.id}>
                <p>
                  <code>{h.url}</code> <span class={`badge ${h.enabled ? 'on-online' : 'on-unknown'}`}>{h.enabled ? t('wh_enabled') : t('wh_disabled')}</span>{' '}
                  <span class="muted">{formatTime(lang, iso(h.created_at))}</span>
                </p>
                <div class="acts">
                  <form method="post" action={`${w.base}/remediation/webhooks/${encodeURIComponent(h.id)}/${h.enabled ? 'disable' : 'enable'}`} class="inline">
                    <CsrfField csrf={csrf} />
                    <button type="submit" aria-label={`${t(h.enabled ? 'disable' : 'enable')}: ${h.url}`}>
                      {t(h.enabled ? 'disable' : 'enable')}
                    </button>
                  </form>{' '}
                  <a href={`${w.base}/remediation/webhooks/${encodeURIComponent(h.id)}/delete`} class="danger" aria-label={`${t('delete')}: ${h.url}`}>
                    {t('delete')}
                  </a>
                </div>
                <h3>{t('wh_deliveries')}</h3>
                {i < MAX_DELIVERY_LOOKUPS ? <Deliveries t={t} lang={lang} items={deliveries[i] ?? []} /> : null}
              </li>
            ))}
          </ul>
        )}
        <form method="post" action={`${w.base}/remediation/webhooks`} class="card" id="webhook-add" novalidate>
          <CsrfField csrf={csrf} />
          <h3>{t('wh_add')}</h3>
          <Field name="url" label={t('wh_url')} hint={t('wh_url_hint')} errors={whErrors}>
            <input type="text" inputmode="url" value={wv.url} {...fieldAttrs('url', whErrors, true)} />
          </Field>
          <Field name="secret" label={t('wh_secret')} hint={t('wh_secret_hint')} errors={whErrors}>
            <input type="password" autocomplete="off" value="" {...fieldAttrs('secret', whErrors, true)} />
          </Field>
          <div class="field check">
            <label>
              <input type="checkbox" name="enabled" checked={wv.enabled} /> {t('wh_enabled')}
            </label>
          </div>
          <ErrorText name="webhook" errors={whErrors} />
          <button type="submit" class="primary">
            {t('wh_add_submit')}
          </button>
        </form>

        <h2 id="queue">{t('q_title')}</h2>
        <p class="hint">{t('q_hint')}</p>
        {queue.ok ? <Queue t={t} lang={lang} sites={queue.data.sites} /> : <Banner kind="error">{t('server_refused', { message: queue.error.message })}</Banner>}
      </Page>,
      st.status ?? 200,
    );
  };

  app.get('/remediation', (c) => render(c));

  app.post('/remediation', async (c) => {
    const { t, lang } = c.get('web');
    const values = valuesFromForm((await c.req.parseBody({ all: true })) as Form);
    const { body, errors, rows } = bodyOf(values, t);
    if (Object.keys(errors).length) return render(c, { values, errors, status: 400 });
    const r = await c.get('api')<RemediationSettings>('PUT', '/remediation/settings', body);
    if (r.ok) return c.redirect(`${w.base}/remediation?msg=saved`, 303);
    const refused: FieldErrors = {};
    for (const i of r.error.issues ?? []) refused[formFieldOf(i.field, rows)] ??= issueWords(i, lang);
    return render(c, { values, errors: refused, status: 400, refusal: Object.keys(refused).length ? null : t('server_refused', { message: r.error.message }) });
  });

  app.post('/remediation/webhooks', async (c) => {
    const { t } = c.get('web');
    const f = (await c.req.parseBody({ all: true })) as Form;
    const url = (one(f, 'url') ?? '').trim().slice(0, 2000);
    const secret = (one(f, 'secret') ?? '').slice(0, 500);
    const enabled = one(f, 'enabled') === 'on';
    const whValues = { url, secret: '', enabled };
    if (!url) return render(c, { whValues, whErrors: { url: t('required') }, status: 400 });
    const r = await c.get('api')<WebhookView>('POST', '/webhooks', { url, enabled, ...(secret ? { secret } : {}) });
    if (r.ok) return render(c, { secret: { id: r.data.id, url: r.data.url, secret: r.data.secret ?? secret } });
    const whErrors: FieldErrors = {};
    for (const i of r.error.issues ?? []) whErrors[i.field === 'secret' ? 'secret' : i.field === 'url' ? 'url' : 'webhook'] ??= i.message;
    if (Object.keys(whErrors).length === 0) whErrors[r.error.field === 'secret' ? 'secret' : 'url'] = r.error.message;
    return render(c, { whValues, whErrors, status: 400 });
  });

  for (const action of ['enable', 'disable'] as const) {
    app.post(`/remediation/webhooks/:id/${action}`, async (c) => {
      const r = await c.get('api')('PATCH', `/webhooks/${encodeURIComponent(c.req.param('id'))}`, { enabled: action === 'enable' });
      if (!r.ok) return errorPage(c, w, r.status === 404 ? 404 : 400, r.status === 404 ? c.get('web').t('not_found') : r.error.message);
      return c.redirect(`${w.base}/remediation?msg=${action === 'enable' ? 'wh_enabled' : 'wh_disabled_ok'}#webhooks`, 303);
    });
  }

  const findHook = async (c: WebContext): Promise<WebhookView | null> => {
    const r = await c.get('api')<{ items: WebhookView[] }>('GET', '/webhooks');
    return (r.ok ? r.data.items : []).find((h) => h.id === c.req.param('id')) ?? null;
  };

  app.get('/remediation/webhooks/:id/delete', async (c) => {
    const web = c.get('web');
    const h = await findHook(c);
    if (!h) return errorPage(c, w, 404, web.t('not_found'));
    return c.html(
      <Page web={web} base={w.base} title={web.t('wh_delete_title')} current="remediation">
        <form method="post" action={`${w.base}/remediation/webhooks/${encodeURIComponent(h.id)}/delete`} class="card narrow">
          <CsrfField csrf={c.get('session').csrf} />
          <p>{web.t('wh_delete_confirm', { url: h.url })}</p>
          <div class="actions">
            <a href={`${w.base}/remediation#webhooks`} class="button">
              {web.t('cancel')}
            </a>
            <button type="submit" class="danger" autofocus>
              {web.t('delete_yes')}
            </button>
          </div>
        </form>
      </Page>,
    );
  });

  app.post('/remediation/webhooks/:id/delete', async (c) => {
    const r = await c.get('api')('DELETE', `/webhooks/${encodeURIComponent(c.req.param('id'))}`);
    if (!r.ok) return errorPage(c, w, r.status === 404 ? 404 : 409, r.status === 404 ? c.get('web').t('not_found') : c.get('web').t('server_refused', { message: r.error.message }));
    return c.redirect(`${w.base}/remediation?msg=wh_deleted#webhooks`, 303);
  });

  return app;
}
