// Executions (history with filters; one execution is routes-execution.tsx), read through
// GET /api/v1/executions. Sites are routes-sites.tsx.
import { Hono } from 'hono';
import { executionState } from '../common/contract/index.js';
import { qs } from './api-client.js';
import { Banner, Pager } from './components.js';
import type { WebDeps, WebEnv } from './context.js';
import { formatTime, type MessageKey } from './i18n.js';
import { Page } from './layout.js';
import type { ExecutionView } from './remediation-types.js';
import { messagesOf, stateName } from './routes-execution.js';

const PAGE = 25;

/** yyyy-mm-dd from a date input -> ISO at the start (or end) of that UTC day. */
function dayBound(v: string | undefined, end: boolean): string | undefined {
  if (!v || !/^\d{4}-\d{2}-\d{2}$/.test(v)) return undefined;
  return `${v}T${end ? '23:59:59.999' : '00:00:00.000'}Z`;
}

export function historyRoutes(w: WebDeps): Hono<WebEnv> {
  const app = new Hono<WebEnv>();

  app.get('/executions', async (c) => {
    const web = c.get('web');
    const { t, lang } = web;
    const f = {
      job_id: (c.req.query('job_id') ?? '').slice(0, 64),
      key: (c.req.query('key') ?? '').slice(0, 128),
      site_id: (c.req.query('site_id') ?? '').slice(0, 63),
      state: executionState.safeParse(c.req.query('state')).success ? (c.req.query('state') as string) : '',
      since: c.req.query('since') ?? '',
      until: c.req.query('until') ?? '',
    };
    const offset = Math.max(0, Math.floor(Number(c.req.query('offset') ?? 0)) || 0);
    const r = await c.get('api')<{ total: number; items: ExecutionView[] }>(
      'GET',
      `/executions${qs({ job_id: f.job_id, key: f.key, site_id: f.site_id, state: f.state, since: dayBound(f.since, false), until: dayBound(f.until, true), limit: PAGE, offset })}`,
    );
    const data = r.ok ? r.data : { total: 0, items: [] };
    const text = (name: keyof typeof f, label: MessageKey, type = 'text') => (
      <div class="field">
        <label for={`f-x-${name}`}>{t(label)}</label>
        <input id={`f-x-${name}`} type={type} name={name} value={f[name]} />
      </div>
    );
    return c.html(
      <Page web={web} base={w.base} title={t('exec_title')} current="executions">
        {!r.ok ? <Banner kind="error">{t('server_refused', { message: r.error.message })}</Banner> : null}
        <form method="get" action={`${w.base}/executions`} class="filters" role="search">
          {text('job_id', 'exec_filter_job')}
          {text('key', 'exec_filter_key')}
          {text('site_id', 'exec_filter_site')}
          <div class="field">
            <label for="f-x-state">{t('exec_filter_state')}</label>
            <select id="f-x-state" name="state">
              <option value="">{t('jobs_any')}</option>
              {executionState.options.map((s) => (
                <option value={s} selected={s === f.state}>
                  {s}
                </option>
              ))}
            </select>
          </div>
          {text('since', 'exec_filter_since', 'date')}
          {text('until', 'exec_filter_until', 'date')}
          <button type="submit">{t('jobs_apply')}</button>
        </form>
        {data.items.length === 0 ? (
          <p>{t('exec_empty')}</p>
        ) : (
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">{t('col_time')}</th>
                  <th scope="col">{t('col_job')}</th>
                  <th scope="col">{t('col_device')}</th>
                  <th scope="col">{t('col_trigger')}</th>
                  <th scope="col">{t('col_site')}</th>
                  <th scope="col">{t('col_state')}</th>
                </tr>
              </thead>
              <tbody>
                {data.items.map((e) => (
                  <tr>
                    <td data-label={t('col_time')}>
                      <a href={`${w.base}/executions/${encodeURIComponent(e.id)}`}>{formatTime(lang, e.created_at)}</a>
                    </td>
                    <td data-label={t('col_job')}>{e.job_name}</td>
                    <td data-label={t('col_device')}>{e.device.name || e.device.key}</td>
                    <td data-label={t('col_trigger')}>{t(`trigger_${e.trigger.reason}`)}</td>
                    <td data-label={t('col_site')}>{[...new Set(messagesOf(e).map((m) => m.site_id))].join(', ')}</td>
                    <td data-label={t('col_state')}>
                      <span class={`badge ex-${e.state}`}>{stateName(t, e.state)}</span>
                      {e.outcome ? <span class={`badge oc-${e.outcome}`}>{t(`outcome_${e.outcome}`)}</span> : null}
                      {e.phase && e.phase !== 'done' ? <span class={`badge ph-${e.phase}`}>{t(`phase_${e.phase}`)}</span> : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <Pager t={t} total={data.total} limit={PAGE} offset={offset} href={(o) => `${w.base}/executions${qs({ ...f, offset: o || undefined })}`} />
      </Page>,
    );
  });

  return app;
}
