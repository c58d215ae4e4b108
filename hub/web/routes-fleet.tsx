// The fleet page: remediation aggregates computed by the hub (GET /api/v1/reports/fleet, daily,
// devices, jobs, sites, carriers) for a date range, a per-day chart (inline SVG), tables, and CSV downloads
// proxied through /ui so the session cookie is enough.
import { dayStart, localDay, nextDay } from '../core/days.js';
import { Hono } from 'hono';
import type { Child } from 'hono/jsx';
import { qs } from './api-client.js';
import { Banner } from './components.js';
import type { WebDeps, WebEnv } from './context.js';
import { errorPage } from './errors.js';
import { DailyChart, fillDays } from './fleet-chart.js';
import { currentZone, formatDay, formatNumber, type Lang, type T } from './i18n.js';
import { Page } from './layout.js';
import type { DailyRow, OutcomeStatsView } from './remediation-types.js';
import type { DeviceStats, JobStats, SiteStats } from '../remediation/aggregates.js';
import type { PlatformCost, SiteCost } from '../remediation/carriers.js';
import { CarrierTable } from './fleet-carriers.js';
import { duration } from './words.js';

const REPORTS = ['devices', 'jobs', 'sites', 'carriers'] as const;
type Report = (typeof REPORTS)[number];
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const ROWS = 100;

type DeviceRow = Pick<DeviceStats, 'device_key'> & OutcomeStatsView;
type JobRow = Pick<JobStats, 'job_id' | 'job_name'> & OutcomeStatsView;
type SiteRow = SiteStats & {
  /** Share of the range the site's modem was up (null: unknown). */
  modem_uptime_share?: number | null;
};

/**
 * The date range asked for (yyyy-mm-dd, calendar days in `zone`: the platform's), by default the
 * last 30 days up to `now`; `api` is the same range as instants (the first day's start to the
 * start of the day after the last).
 */
export function rangeOf(since: string | undefined, until: string | undefined, now: number, zone: string = currentZone()): { since: string; until: string; api: { since: string; until: string } } {
  const today = localDay(now, zone);
  const u = until && DAY.test(until) && !Number.isNaN(Date.parse(until)) ? until : today;
  const dflt = new Date(Date.parse(`${u}T00:00:00Z`) - 29 * 86_400_000).toISOString().slice(0, 10);
  let s = since && DAY.test(since) && !Number.isNaN(Date.parse(since)) ? since : dflt;
  if (s > u) s = u;
  return { since: s, until: u, api: { since: new Date(dayStart(s, zone)).toISOString(), until: new Date(dayStart(nextDay(u), zone)).toISOString() } };
}

const pct = (lang: Lang, v: number | null | undefined) => (v === null || v === undefined ? '—' : `${formatNumber(lang, Math.round(v * 1000) / 10)} %`);
const ttr = (lang: Lang, v: number | null | undefined) => (v === null || v === undefined ? '—' : duration(lang, v));

function Tiles(p: { t: T; lang: Lang; s: OutcomeStatsView | null }) {
  const { t, lang, s } = p;
  const tiles: Array<[string, string]> = [
    [t('fleet_remediations'), s ? String(s.remediations) : '—'],
    [t('fleet_recovered_share'), pct(lang, s?.recovered_share)],
    [t('fleet_median_ttr'), ttr(lang, s?.median_ttr_s)],
    [t('fleet_escalations'), s ? String(s.escalations) : '—'],
  ];
  return (
    <dl class="tiles" id="fleet-tiles">
      {tiles.map(([k, v]) => (
        <div>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}

function OutcomeCells(p: { t: T; lang: Lang; r: OutcomeStatsView }) {
  const { t, lang, r } = p;
  return (
    <>
      <td data-label={t('fleet_remediations')}>{r.remediations}</td>
      <td data-label={t('outcome_recovered')}>{r.recovered}</td>
      <td data-label={t('outcome_not_recovered')}>{r.not_recovered}</td>
      <td data-label={t('outcome_unknown')}>{r.unknown}</td>
      <td data-label={t('fleet_escalations')}>{r.escalations}</td>
      <td data-label={t('fleet_recovered_share')}>{pct(lang, r.recovered_share)}</td>
      <td data-label={t('fleet_median_ttr')}>{ttr(lang, r.median_ttr_s)}</td>
    </>
  );
}

function OutcomeHeads(p: { t: T }) {
  const { t } = p;
  return (
    <>
      <th scope="col">{t('fleet_remediations')}</th>
      <th scope="col">{t('outcome_recovered')}</th>
      <th scope="col">{t('outcome_not_recovered')}</th>
      <th scope="col">{t('outcome_unknown')}</th>
      <th scope="col">{t('fleet_escalations')}</th>
      <th scope="col">{t('fleet_recovered_share')}</th>
      <th scope="col">{t('fleet_median_ttr')}</th>
    </>
  );
}

/** A report table of outcome figures per row (device or job); `first` renders the row's name cell. */
function OutcomeTable<R extends OutcomeStatsView>(p: { t: T; lang: Lang; id: string; head: string; rows: R[]; first: (r: R) => Child }) {
  const { t, lang } = p;
  return (
    <div class="table-wrap">
      <table id={p.id}>
        <thead>
          <tr>
            <th scope="col">{p.head}</th>
            <OutcomeHeads t={t} />
          </tr>
        </thead>
        <tbody>
          {p.rows.slice(0, ROWS).map((r) => (
            <tr>
              <td data-label={p.head}>{p.first(r)}</td>
              <OutcomeCells t={t} lang={lang} r={r} />
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function fleetRoutes(w: WebDeps): Hono<WebEnv> {
  const app = new Hono<WebEnv>();

  app.get('/fleet', async (c) => {
    const web = c.get('web');
    const { t, lang } = web;
    const api = c.get('api');
    const range = rangeOf(c.req.query('since'), c.req.query('until'), w.deps.now());
    const q = qs(range.api);
    const [fleet, daily, devices, jobs, sites, carriers] = await Promise.all([
      api<{ stats: OutcomeStatsView }>('GET', `/reports/fleet${q}`),
      api<{ items: DailyRow[] }>('GET', `/reports/daily${q}`),
      api<{ items: DeviceRow[] }>('GET', `/reports/devices${q}`),
      api<{ items: JobRow[] }>('GET', `/reports/jobs${q}`),
      api<{ items: SiteRow[] }>('GET', `/reports/sites${q}`),
      api<{ items: SiteCost[]; platform: PlatformCost }>('GET', `/reports/carriers${q}`),
    ]);
    const failed = [fleet, daily, devices, jobs, sites, carriers].find((r) => !r.ok);
    const rows = fillDays(daily.ok ? daily.data.items : [], range.since, range.until);
    const csv = (kind: Report) => `${w.base}/fleet/${kind}.csv${qs({ since: range.since, until: range.until })}`;
    const CsvLink = (p: { kind: Report }) => (
      <a href={csv(p.kind)} class="csv" download="">
        {t('fleet_csv')}
      </a>
    );
    return c.html(
      <Page web={web} base={w.base} title={t('fleet_title')} current="fleet">
        {failed && !failed.ok ? <Banner kind="error">{t('server_refused', { message: failed.error.message })}</Banner> : null}
        <form method="get" action={`${w.base}/fleet`} class="filters" role="search">
          <div class="field">
            <label for="f-since">{t('exec_filter_since')}</label>
            <input id="f-since" type="date" name="since" value={range.since} />
          </div>
          <div class="field">
            <label for="f-until">{t('exec_filter_until')}</label>
            <input id="f-until" type="date" name="until" value={range.until} />
          </div>
          <button type="submit">{t('jobs_apply')}</button>
        </form>
        <Tiles t={t} lang={lang} s={fleet.ok ? fleet.data.stats : null} />
        <h2>{t('fleet_chart_title')}</h2>
        <DailyChart t={t} lang={lang} rows={rows} />
        <details>
          <summary>{t('fleet_chart_table')}</summary>
          <div class="table-wrap">
            <table id="daily-table">
              <thead>
                <tr>
                  <th scope="col">{t('col_day')}</th>
                  {(['recovered', 'not_recovered', 'unknown', 'escalated', 'cancelled'] as const).map((o) => (
                    <th scope="col">{t(`outcome_${o}`)}</th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {rows
                  .filter((r) => r.recovered + r.not_recovered + r.unknown + r.escalated + r.cancelled > 0)
                  .map((r) => (
                    <tr>
                      <td data-label={t('col_day')}>{formatDay(lang, r.day)}</td>
                      {(['recovered', 'not_recovered', 'unknown', 'escalated', 'cancelled'] as const).map((o) => (
                        <td data-label={t(`outcome_${o}`)}>{r[o]}</td>
                      ))}
                    </tr>
                  ))}
              </tbody>
            </table>
          </div>
        </details>

        <h2 id="by-device">
          {t('fleet_by_device')} <CsvLink kind="devices" />
        </h2>
        {devices.ok && devices.data.items.length ? (
          <OutcomeTable
            t={t}
            lang={lang}
            id="report-devices"
            head={t('col_device')}
            rows={devices.data.items}
            first={(r) => (
              <a href={`${w.base}/executions${qs({ key: r.device_key })}`}>
                <code>{r.device_key}</code>
              </a>
            )}
          />
        ) : (
          <p>{t('fleet_no_data')}</p>
        )}

        <h2 id="by-job">
          {t('fleet_by_job')} <CsvLink kind="jobs" />
        </h2>
        {jobs.ok && jobs.data.items.length ? (
          <OutcomeTable t={t} lang={lang} id="report-jobs" head={t('col_job')} rows={jobs.data.items} first={(r) => <a href={`${w.base}/executions${qs({ job_id: r.job_id })}`}>{r.job_name || r.job_id}</a>} />
        ) : (
          <p>{t('fleet_no_data')}</p>
        )}

        <h2 id="by-site">
          {t('fleet_by_site')} <CsvLink kind="sites" />
        </h2>
        {sites.ok && sites.data.items.length ? (
          <div class="table-wrap">
            <table id="report-sites">
              <thead>
                <tr>
                  <th scope="col">{t('col_site')}</th>
                  <th scope="col">{t('fleet_sms_sent')}</th>
                  <th scope="col">{t('fleet_sms_parts')}</th>
                  <th scope="col">{t('fleet_sms_failed')}</th>
                  <th scope="col">{t('fleet_failure_share')}</th>
                  <th scope="col">{t('fleet_commands')}</th>
                  <th scope="col">{t('fleet_notifications')}</th>
                  <th scope="col">{t('fleet_uptime')}</th>
                </tr>
              </thead>
              <tbody>
                {sites.data.items.slice(0, ROWS).map((r) => (
                  <tr>
                    <td data-label={t('col_site')}>
                      <code>{r.site_id}</code>
                    </td>
                    <td data-label={t('fleet_sms_sent')}>{r.sms_sent}</td>
                    <td data-label={t('fleet_sms_parts')}>{r.sms_parts}</td>
                    <td data-label={t('fleet_sms_failed')}>{r.sms_failed}</td>
                    <td data-label={t('fleet_failure_share')}>{pct(lang, r.failure_share)}</td>
                    <td data-label={t('fleet_commands')}>{r.commands}</td>
                    <td data-label={t('fleet_notifications')}>{r.notifications}</td>
                    <td data-label={t('fleet_uptime')}>{pct(lang, r.modem_uptime_share)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : (
          <p>{t('fleet_no_data')}</p>
        )}

        <h2 id="by-carrier">
          {t('fleet_by_carrier')} <CsvLink kind="carriers" />
        </h2>
        <p class="hint">{t('fleet_carrier_hint')}</p>
        {carriers.ok && carriers.data.items.length ? <CarrierTable t={t} lang={lang} items={carriers.data.items.slice(0, ROWS)} platform={carriers.data.platform} /> : <p>{t('fleet_no_data')}</p>}
      </Page>,
    );
  });

  // CSV through the session: the API's own ?format=csv, streamed back with a file name.
  app.get('/fleet/:file{[a-z]+\\.csv}', async (c) => {
    const kind = c.req.param('file').replace(/\.csv$/, '') as Report;
    if (!REPORTS.includes(kind)) return errorPage(c, w, 404, c.get('web').t('not_found'));
    const range = rangeOf(c.req.query('since'), c.req.query('until'), w.deps.now());
    const res = await c.get('apiRaw')('GET', `/reports/${kind}${qs({ ...range.api, format: 'csv' })}`);
    if (!res.ok) return errorPage(c, w, res.status === 404 ? 404 : 502, c.get('web').t('server_refused', { message: `HTTP ${res.status}` }));
    const body = await res.text();
    return c.body(body, 200, {
      'Content-Type': res.headers.get('content-type') ?? 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="gsmjobs-${kind}-${range.since}-${range.until}.csv"`,
    });
  });

  return app;
}
