// Incidents (GET /api/v1/incidents): correlated failures that hold executions instead of
// power-cycling a whole fleet. Open and released ones, the devices held, the rule that tripped;
// Release (POST /incidents/:id/release) after a confirmation resumes the held executions.
import { Hono } from 'hono';
import type { ApiCall } from './api-client.js';
import { Banner, CsrfField } from './components.js';
import type { WebDeps, WebEnv } from './context.js';
import { errorPage } from './errors.js';
import { formatTime, type T, type Lang } from './i18n.js';
import { Page } from './layout.js';
import { type IncidentView, iso } from './remediation-types.js';

export async function openIncidents(api: ApiCall): Promise<IncidentView[]> {
  const r = await api<{ items: IncidentView[] }>('GET', '/incidents?status=open');
  return r.ok && Array.isArray(r.data?.items) ? r.data.items : [];
}

/**
 * The rule an incident tripped, in the user's language. The hub states it in English in one of two
 * forms (hub/remediation/correlation.ts `trips`); anything else is shown as the hub wrote it.
 */
export function ruleWords(rule: string, lang: Lang): string {
  const count = /^(\d+) devices within (\d+) s \(count >= (\d+)\)$/.exec(rule);
  if (count) {
    const [, n, w, min] = count;
    return lang === 'ru' ? `${n} устр. за ${w} с (порог: не меньше ${min})` : `${n} devices within ${w} s (threshold: at least ${min})`;
  }
  const share = /^(\d+) of (\d+) devices within (\d+) s \(share >= (\d+) %\)$/.exec(rule);
  if (share) {
    const [, n, of, w, p] = share;
    return lang === 'ru' ? `${n} из ${of} устр. за ${w} с (порог: не меньше ${p} % парка)` : `${n} of ${of} devices within ${w} s (threshold: at least ${p} % of the fleet)`;
  }
  return rule;
}

/** Devices an incident holds, each once. */
export function heldDevices(i: IncidentView): string[] {
  return [...new Set(i.held.map((h) => h.device_key))];
}

/** The banner of the jobs list while an incident is open. */
export function IncidentBanner(p: { t: T; base: string; open: IncidentView[] }) {
  if (p.open.length === 0) return null;
  const devices = new Set(p.open.flatMap(heldDevices)).size;
  return (
    <div class="banner error" role="alert" id="incident-banner">
      <strong>{p.t('inc_banner', { n: p.open.length, devices })}</strong> <a href={`${p.base}/incidents`}>{p.t('inc_banner_link')}</a>
    </div>
  );
}

function IncidentTable(p: { t: T; lang: Lang; base: string; items: IncidentView[]; open: boolean }) {
  const { t, lang } = p;
  return (
    <div class="table-wrap">
      <table class="incidents">
        <thead>
          <tr>
            <th scope="col">{t('inc_opened')}</th>
            <th scope="col">{t('inc_rule')}</th>
            <th scope="col">{t('inc_devices')}</th>
            <th scope="col">{p.open ? t('col_actions') : t('inc_released')}</th>
          </tr>
        </thead>
        <tbody>
          {p.items.map((i) => {
            const devices = heldDevices(i);
            return (
              <tr id={`inc-${i.id}`} data-incident-id={i.id}>
                <td data-label={t('inc_opened')}>
                  {formatTime(lang, iso(i.opened_at))}
                  <br />
                  <code>{i.id}</code>
                </td>
                <td data-label={t('inc_rule')}>
                  {ruleWords(i.rule, lang)}
                  <br />
                  <span class="muted">{t('inc_fleet', { n: i.fleet })}</span>
                </td>
                <td data-label={t('inc_devices')}>
                  <span>{t('inc_held', { n: devices.length, execs: i.held.length })}</span>
                  <ul class="devices">
                    {devices.slice(0, 50).map((d) => (
                      <li>
                        <code>{d}</code>
                      </li>
                    ))}
                    {devices.length > 50 ? <li class="muted">{t('inc_more', { n: devices.length - 50 })}</li> : null}
                  </ul>
                </td>
                <td data-label={p.open ? t('col_actions') : t('inc_released')}>
                  {p.open ? (
                    <a class="button danger" href={`${p.base}/incidents/${encodeURIComponent(i.id)}/release`} aria-label={`${t('inc_release')}: ${i.id}`}>
                      {t('inc_release')}
                    </a>
                  ) : (
                    `${formatTime(lang, iso(i.released_at))}${i.released_by ? ` · ${i.released_by}` : ''}`
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

export function incidentRoutes(w: WebDeps): Hono<WebEnv> {
  const app = new Hono<WebEnv>();

  app.get('/incidents', async (c) => {
    const web = c.get('web');
    const { t, lang } = web;
    const api = c.get('api');
    const [open, released] = await Promise.all([api<{ items: IncidentView[] }>('GET', '/incidents?status=open'), api<{ items: IncidentView[] }>('GET', '/incidents?status=released')]);
    const flash = c.req.query('msg');
    const resumed = Number(c.req.query('resumed') ?? 0) || 0;
    const failed = !open.ok ? open : !released.ok ? released : null;
    return c.html(
      <Page web={web} base={w.base} title={t('inc_title')} current="incidents">
        {flash === 'released' ? <Banner kind="ok">{t('inc_released_ok', { n: resumed })}</Banner> : null}
        {failed && !failed.ok ? <Banner kind="error">{t('server_refused', { message: failed.error.message })}</Banner> : null}
        <p class="muted">{t('inc_explain')}</p>
        <h2>{t('inc_open')}</h2>
        {open.ok && open.data.items.length ? <IncidentTable t={t} lang={lang} base={w.base} items={open.data.items} open={true} /> : <p id="no-open-incidents">{t('inc_none_open')}</p>}
        <h2>{t('inc_released_title')}</h2>
        {released.ok && released.data.items.length ? <IncidentTable t={t} lang={lang} base={w.base} items={released.data.items.slice(0, 50)} open={false} /> : <p>{t('inc_none_released')}</p>}
      </Page>,
    );
  });

  app.get('/incidents/:id/release', async (c) => {
    const web = c.get('web');
    const { t } = web;
    const id = c.req.param('id');
    const inc = (await openIncidents(c.get('api'))).find((i) => i.id === id);
    if (!inc) return errorPage(c, w, 404, t('inc_not_open'));
    return c.html(
      <Page web={web} base={w.base} title={t('inc_release_title')} current="incidents">
        <form method="post" action={`${w.base}/incidents/${encodeURIComponent(inc.id)}/release`} class="card narrow">
          <CsrfField csrf={c.get('session').csrf} />
          <p>{t('inc_release_confirm', { devices: heldDevices(inc).length, execs: inc.held.length })}</p>
          <p class="muted">{ruleWords(inc.rule, web.lang)}</p>
          <div class="actions">
            <a href={`${w.base}/incidents`} class="button">
              {t('cancel')}
            </a>
            <button type="submit" class="danger" autofocus>
              {t('inc_release_yes')}
            </button>
          </div>
        </form>
      </Page>,
    );
  });

  app.post('/incidents/:id/release', async (c) => {
    const { t } = c.get('web');
    const r = await c.get('api')<{ incident: IncidentView; resumed: number }>('POST', `/incidents/${encodeURIComponent(c.req.param('id'))}/release`);
    if (!r.ok) return errorPage(c, w, r.status === 404 ? 404 : 400, r.status === 404 ? t('inc_not_open') : t('server_refused', { message: r.error.message }));
    return c.redirect(`${w.base}/incidents?msg=released&resumed=${r.data.resumed}`, 303);
  });

  return app;
}
