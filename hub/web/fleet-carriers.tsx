// The fleet page's carriers table (issue 19, GET /api/v1/reports/carriers): per site the parts of
// the range per modem, the parts and cost today, and the daily cost estimate; the platform's sum
// per currency below.
import { formatNumber, type Lang, type T } from './i18n.js';
import type { PlatformCost, SiteCost } from '../remediation/carriers.js';

const money = (lang: Lang, v: number | null, currency: string | null) => (v === null ? '—' : `${formatNumber(lang, v)}${currency ? ` ${currency}` : ''}`);

export function CarrierTable(p: { t: T; lang: Lang; items: SiteCost[]; platform: PlatformCost }) {
  const { t, lang } = p;
  return (
    <>
      <div class="table-wrap">
        <table id="report-carriers">
          <thead>
            <tr>
              <th scope="col">{t('col_site')}</th>
              <th scope="col">{t('col_parts_range')}</th>
              <th scope="col">{t('col_modems')}</th>
              <th scope="col">{t('col_parts_today')}</th>
              <th scope="col">{t('col_cost_today')}</th>
              <th scope="col">{t('col_daily_cost')}</th>
            </tr>
          </thead>
          <tbody>
            {p.items.map((s) => (
              <tr data-site={s.site_id}>
                <td data-label={t('col_site')}>
                  <code>{s.site_id}</code>
                </td>
                <td data-label={t('col_parts_range')}>{s.parts}</td>
                <td data-label={t('col_modems')}>
                  {s.modems.length ? (
                    <ul class="modems">
                      {s.modems.map((m) => (
                        <li data-modem={m.modem}>
                          <strong>{m.modem || t('modem_unnamed')}</strong>
                          {m.carrier ? ` · ${m.carrier}` : ''}
                          {` · ${m.parts}`}
                          {m.price_per_part !== null ? ` · ${t('col_price')}: ${money(lang, m.price_per_part, m.currency)}` : ''}
                        </li>
                      ))}
                    </ul>
                  ) : (
                    '—'
                  )}
                </td>
                <td data-label={t('col_parts_today')}>{s.parts_today ?? '—'}</td>
                <td data-label={t('col_cost_today')}>{money(lang, s.cost_today, s.currency)}</td>
                <td data-label={t('col_daily_cost')}>{money(lang, s.daily_cost_estimate, s.currency)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p id="carriers-total">
        <strong>{t('fleet_platform_total')}:</strong>{' '}
        {[`${t('col_parts_range')}: ${p.platform.parts}`, `${t('col_parts_today')}: ${p.platform.parts_today}`, ...p.platform.currencies.map((c) => `${t('col_cost_today')}: ${money(lang, c.cost_today, c.currency)} · ${t('col_daily_cost')}: ${money(lang, c.daily_cost_estimate, c.currency)}`)].join(' · ')}
      </p>
    </>
  );
}
