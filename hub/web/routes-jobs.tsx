// The jobs list (server-side search, filters and paging through GET /api/v1/jobs), enable /
// disable, and delete with a confirmation page.
import { Hono } from 'hono';
import { jobState, type Job } from '../model/job.js';
import { qs } from './api-client.js';
import { Banner, CsrfField, Pager, StateBadge } from './components.js';
import type { WebContext, WebDeps, WebEnv } from './context.js';
import { errorPage } from './errors.js';
import { formatNumber, formatTime } from './i18n.js';
import { Page } from './layout.js';
import { IncidentBanner, openIncidents } from './routes-incidents.js';
import { stateName } from './routes-execution.js';

const PAGE = 20;

type JobView = Job & {
  status: {
    state: string;
    values: Record<string, number | null> | null;
    /** When the values were sampled, when the API says (ISO or epoch ms). */
    values_at?: string | number | null;
    data_at?: string | number | null;
    last_execution: { id: string; state: string; created_at: string } | null;
  };
};

const FLASH = { saved: 'saved', deleted: 'deleted' } as const;

export function jobsRoutes(w: WebDeps): Hono<WebEnv> {
  const app = new Hono<WebEnv>();

  app.get('/', async (c) => {
    const web = c.get('web');
    const { t, lang } = web;
    const q = (c.req.query('q') ?? '').slice(0, 200);
    const stateQ = c.req.query('state') ?? '';
    const state = jobState.safeParse(stateQ).success ? stateQ : '';
    const enabledQ = c.req.query('enabled') ?? '';
    const enabled = enabledQ === 'true' || enabledQ === 'false' ? enabledQ : '';
    const offset = Math.max(0, Math.floor(Number(c.req.query('offset') ?? 0)) || 0);
    // "Next" pages by the API's keyset cursor (fast at any depth on PostgreSQL); `offset` then
    // only numbers the page. "Previous" and a typed offset page by offset.
    const cursorQ = c.req.query('cursor') ?? '';
    const cursor = /^[A-Za-z0-9_-]{1,400}$/.test(cursorQ) ? cursorQ : '';
    const sitesRes = await c.get('api')<{ items: Array<{ id: string; name: string }> }>('GET', '/sites');
    const sites = sitesRes.ok ? sitesRes.data.items : [];
    const siteQ = c.req.query('site_id') ?? '';
    const site_id = sites.some((s) => s.id === siteQ) ? siteQ : '';
    const [r, incidents] = await Promise.all([c.get('api')<{ total: number; total_exact?: boolean; next_cursor?: string | null; items: JobView[] }>('GET', `/jobs${qs({ q, state, enabled, site_id, limit: PAGE, ...(cursor ? { cursor } : { offset }) })}`), openIncidents(c.get('api'))]);
    const data = r.ok ? r.data : { total: 0, items: [] };
    const next = r.ok ? r.data.next_cursor : null;
    const href = (o: number) => `${w.base}/jobs${qs({ q, state, enabled, site_id, offset: o || undefined, ...(o === offset + PAGE && next ? { cursor: next } : {}) })}`;
    const flash = FLASH[c.req.query('msg') as keyof typeof FLASH];
    // "Job saved" names and links the job it saved.
    const savedId = flash === 'saved' ? (c.req.query('job') ?? '').slice(0, 64) : '';
    const savedRes = savedId ? await c.get('api')<Job>('GET', `/jobs/${encodeURIComponent(savedId)}`) : null;
    const savedJob = savedRes?.ok ? savedRes.data : null;
    const csrf = c.get('session').csrf;
    const back = web.path;
    return c.html(
      <Page web={web} base={w.base} title={t('jobs_title')} current="jobs">
        <IncidentBanner t={t} base={w.base} open={incidents} />
        {savedJob ? (
          <Banner kind="ok">
            {t('saved_named', { name: savedJob.name })} <a href={`${w.base}/jobs/${encodeURIComponent(savedJob.id)}/edit`}>{t('saved_open')}</a>
          </Banner>
        ) : flash ? (
          <Banner kind="ok">{t(flash)}</Banner>
        ) : null}
        {!r.ok ? <Banner kind="error">{t('server_refused', { message: r.error.message })}</Banner> : null}
        <p>
          <a class="button primary" href={`${w.base}/jobs/new`}>
            + {t('jobs_new')}
          </a>
        </p>
        <form method="get" action={`${w.base}/jobs`} class="filters" role="search">
          <div class="field">
            <label for="f-jq">{t('jobs_search')}</label>
            <input id="f-jq" type="search" name="q" value={q} placeholder={t('jobs_search_hint')} />
          </div>
          <div class="field">
            <label for="f-jstate">{t('jobs_filter_state')}</label>
            <select id="f-jstate" name="state">
              <option value="">{t('jobs_any')}</option>
              {jobState.options.map((s) => (
                <option value={s} selected={s === state}>
                  {t(`state_${s}`)}
                </option>
              ))}
            </select>
          </div>
          <div class="field">
            <label for="f-jenabled">{t('jobs_filter_enabled')}</label>
            <select id="f-jenabled" name="enabled">
              <option value="">{t('jobs_any')}</option>
              <option value="true" selected={enabled === 'true'}>
                {t('yes')}
              </option>
              <option value="false" selected={enabled === 'false'}>
                {t('no')}
              </option>
            </select>
          </div>
          <div class="field">
            <label for="f-jsite">{t('col_site')}</label>
            <select id="f-jsite" name="site_id">
              <option value="">{t('jobs_any')}</option>
              {sites.map((s) => (
                <option value={s.id} selected={s.id === site_id}>
                  {s.name}
                </option>
              ))}
            </select>
          </div>
          <button type="submit">{t('jobs_apply')}</button>
        </form>
        <p class="muted">{t('jobs_total', { total: `${r.ok && r.data.total_exact === false ? '≈ ' : ''}${data.total}` })}</p>
        {data.items.length === 0 ? (
          <p>{t('jobs_empty')}</p>
        ) : (
          <div class="table-wrap">
            <table class="jobs">
              <thead>
                <tr>
                  <th scope="col">{t('col_name')}</th>
                  <th scope="col">{t('col_device')}</th>
                  <th scope="col">{t('col_state')}</th>
                  <th scope="col">{t('col_value')}</th>
                  <th scope="col">{t('col_last')}</th>
                  <th scope="col">{t('col_actions')}</th>
                </tr>
              </thead>
              <tbody>
                {data.items.map((j) => (
                  <tr data-job-id={j.id}>
                    <td data-label={t('col_name')}>
                      <a href={`${w.base}/jobs/${encodeURIComponent(j.id)}/edit`}>{j.name}</a>
                    </td>
                    <td data-label={t('col_device')}>
                      {j.device.name || j.device.key} <code>{j.device.key}</code>
                    </td>
                    <td data-label={t('col_state')}>
                      <StateBadge state={j.status.state} t={t} />
                    </td>
                    <td data-label={t('col_value')}>
                      {j.status.values
                        ? Object.entries(j.status.values)
                            .map(([m, v]) => `${m} = ${formatNumber(lang, v)}`)
                            .join('; ')
                        : '—'}
                      {j.status.values && (j.status.values_at ?? j.status.data_at) ? <span class="muted"> · {formatTime(lang, new Date(j.status.values_at ?? j.status.data_at ?? 0).toISOString())}</span> : null}
                    </td>
                    <td data-label={t('col_last')}>
                      {j.status.last_execution ? (
                        <a href={`${w.base}/executions/${encodeURIComponent(j.status.last_execution.id)}`}>{`${stateName(t, j.status.last_execution.state)} · ${formatTime(lang, j.status.last_execution.created_at)}`}</a>
                      ) : (
                        '—'
                      )}
                    </td>
                    <td data-label={t('col_actions')} class="acts">
                      <form method="post" action={`${w.base}/jobs/${encodeURIComponent(j.id)}/${j.enabled ? 'disable' : 'enable'}`} class="inline">
                        <CsrfField csrf={csrf} />
                        <input type="hidden" name="back" value={back} />
                        <button type="submit" aria-label={`${t(j.enabled ? 'disable' : 'enable')}: ${j.name}`}>
                          {t(j.enabled ? 'disable' : 'enable')}
                        </button>
                      </form>
                      <a href={`${w.base}/jobs/${encodeURIComponent(j.id)}/edit`} aria-label={`${t('edit')}: ${j.name}`}>
                        {t('edit')}
                      </a>
                      <a href={`${w.base}/jobs/${encodeURIComponent(j.id)}/clone`} aria-label={`${t('clone')}: ${j.name}`}>
                        {t('clone')}
                      </a>
                      <a href={`${w.base}/executions?job_id=${encodeURIComponent(j.id)}`} aria-label={`${t('nav_executions')}: ${j.name}`}>
                        {t('nav_executions')}
                      </a>
                      <a href={`${w.base}/jobs/${encodeURIComponent(j.id)}/delete`} aria-label={`${t('delete')}: ${j.name}`} class="danger">
                        {t('delete')}
                      </a>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <Pager t={t} total={data.total} limit={PAGE} offset={offset} href={href} />
      </Page>,
    );
  });

  for (const action of ['enable', 'disable'] as const) {
    app.post(`/:id/${action}`, async (c) => {
      const r = await c.get('api')('POST', `/jobs/${encodeURIComponent(c.req.param('id'))}/${action}`);
      if (!r.ok) return errorPage(c, w, r.status === 404 ? 404 : 400, r.status === 404 ? c.get('web').t('not_found') : r.error.message);
      const body = await c.req.parseBody();
      const back = typeof body.back === 'string' && body.back.startsWith(`${w.base}/jobs`) && !/[\r\n\\]/.test(body.back) ? body.back : `${w.base}/jobs`;
      return c.redirect(back, 303);
    });
  }

  const loadJob = async (c: WebContext) => {
    const r = await c.get('api')<Job>('GET', `/jobs/${encodeURIComponent(c.req.param('id') ?? '')}`);
    return r.ok ? r.data : null;
  };

  app.get('/:id/delete', async (c) => {
    const web = c.get('web');
    const job = await loadJob(c);
    if (!job) return errorPage(c, w, 404, web.t('not_found'));
    return c.html(
      <Page web={web} base={w.base} title={web.t('delete_title')} current="jobs">
        <form method="post" action={`${w.base}/jobs/${encodeURIComponent(job.id)}/delete`} class="card narrow">
          <CsrfField csrf={c.get('session').csrf} />
          <p>{web.t('delete_confirm', { name: job.name })}</p>
          <div class="actions">
            <a href={`${w.base}/jobs`} class="button">
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

  app.post('/:id/delete', async (c) => {
    const r = await c.get('api')('DELETE', `/jobs/${encodeURIComponent(c.req.param('id'))}`);
    if (!r.ok) return errorPage(c, w, 404, c.get('web').t('not_found'));
    return c.redirect(`${w.base}/jobs?msg=deleted`, 303);
  });

  return app;
}
