// Executions (history with filters, each with its timeline) and sites (online, signal, outbox),
// read through GET /api/v1/executions and /api/v1/sites.
import { Hono } from 'hono';
import { executionState } from '../common/contract/index.js';
import type { Execution } from '../model/execution.js';
import { qs } from './api-client.js';
import { Banner, OnlineBadge, Pager } from './components.js';
import type { WebDeps, WebEnv } from './context.js';
import { errorPage } from './errors.js';
import { formatTime, type MessageKey } from './i18n.js';
import { Page } from './layout.js';

const PAGE = 25;

/** yyyy-mm-dd from a date input -> ISO at the start (or end) of that UTC day. */
function dayBound(v: string | undefined, end: boolean): string | undefined {
  if (!v || !/^\d{4}-\d{2}-\d{2}$/.test(v)) return undefined;
  return `${v}T${end ? '23:59:59.999' : '00:00:00.000'}Z`;
}

interface SiteView {
  id: string;
  name: string;
  online: boolean;
  status: { modem?: { state: string; signal_dbm?: number | null; operator?: string; error?: string }; outbox?: { depth: number; oldest_at?: string }; version?: string } | null;
  status_received_at: string | null;
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
    const r = await c.get('api')<{ total: number; items: Execution[] }>(
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
                    <td data-label={t('col_site')}>{[...new Set(e.messages.map((s) => s.site_id))].join(', ')}</td>
                    <td data-label={t('col_state')}>
                      <span class={`badge ex-${e.state}`}>{e.state}</span>
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

  app.get('/executions/:id', async (c) => {
    const web = c.get('web');
    const { t, lang } = web;
    const r = await c.get('api')<Execution>('GET', `/executions/${encodeURIComponent(c.req.param('id'))}`);
    if (!r.ok) return errorPage(c, w, 404, t('not_found'));
    const e = r.data;
    return c.html(
      <Page web={web} base={w.base} title={t('exec_detail', { id: e.id })} current="executions">
        <dl class="summary">
          <dt>{t('col_job')}</dt>
          <dd>{e.job_name}</dd>
          <dt>{t('col_device')}</dt>
          <dd>{`${e.device.name || e.device.key} (${e.device.key})`}</dd>
          <dt>{t('col_trigger')}</dt>
          <dd>{`${t(`trigger_${e.trigger.reason}`)}: ${Object.entries(e.trigger.values).map(([m, v]) => `${m} = ${v ?? '—'}`).join('; ')}`}</dd>
          <dt>{t('col_state')}</dt>
          <dd>
            <span class={`badge ex-${e.state}`}>{e.state}</span>
          </dd>
          {e.messages.map((s) => (
            <>
              <dt>{t('exec_to')}</dt>
              <dd>{`${s.to} ← ${s.site_id}`}</dd>
              <dt>{t('exec_text')}</dt>
              <dd>
                <code>{s.text}</code>
              </dd>
            </>
          ))}
        </dl>
        <h2>{t('timeline')}</h2>
        <ol class="timeline">
          {e.timeline.map((x) => (
            <li>
              <time datetime={x.at}>{formatTime(lang, x.at)}</time> <strong>{x.state}</strong>
              {x.detail ? <span> — {x.detail}</span> : null}
            </li>
          ))}
        </ol>
        {e.replies.length ? (
          <>
            <h2>{t('replies')}</h2>
            <ul>
              {e.replies.map((x) => (
                <li>
                  <time datetime={x.at}>{formatTime(lang, x.at)}</time> {x.from}: <code>{x.text}</code>
                </li>
              ))}
            </ul>
          </>
        ) : null}
      </Page>,
    );
  });

  app.get('/sites', async (c) => {
    const web = c.get('web');
    const { t, lang } = web;
    const r = await c.get('api')<{ items: SiteView[] }>('GET', '/sites');
    const items = r.ok ? r.data.items : [];
    return c.html(
      <Page web={web} base={w.base} title={t('sites_title')} current="sites">
        {items.length === 0 ? (
          <p>{t('sites_empty')}</p>
        ) : (
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">{t('col_site')}</th>
                  <th scope="col">{t('col_online')}</th>
                  <th scope="col">{t('col_modem')}</th>
                  <th scope="col">{t('col_signal')}</th>
                  <th scope="col">{t('col_outbox')}</th>
                  <th scope="col">{t('col_seen')}</th>
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
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Page>,
    );
  });
  return app;
}
