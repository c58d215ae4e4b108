// The fleet page's chart: remediations per day, stacked by outcome, as inline SVG (no script, no
// inline style: colours come from classes in app.css, so the strict CSP holds). Pure.
import { formatDay, type Lang, type T } from './i18n.js';
import type { DailyRow } from './remediation-types.js';

export const OUTCOMES = ['recovered', 'not_recovered', 'unknown', 'escalated', 'cancelled'] as const;

const DAY_MS = 86_400_000;

/** Every day from `since` to `until` (yyyy-mm-dd, inclusive) with the API's rows, zeros elsewhere; at most `max` days. */
export function fillDays(rows: readonly DailyRow[], since: string, until: string, max = 93): DailyRow[] {
  const byDay = new Map(rows.map((r) => [r.day, r]));
  const a = Date.parse(`${since}T00:00:00Z`);
  const b = Date.parse(`${until}T00:00:00Z`);
  if (!Number.isFinite(a) || !Number.isFinite(b) || b < a || (b - a) / DAY_MS + 1 > max) return [...rows].sort((x, y) => x.day.localeCompare(y.day));
  const out: DailyRow[] = [];
  for (let t = a; t <= b; t += DAY_MS) {
    const day = new Date(t).toISOString().slice(0, 10);
    out.push(byDay.get(day) ?? { day, recovered: 0, not_recovered: 0, unknown: 0, escalated: 0, cancelled: 0 });
  }
  return out;
}

const total = (r: DailyRow) => OUTCOMES.reduce((n, o) => n + (r[o] ?? 0), 0);

export function DailyChart(p: { t: T; lang?: Lang; rows: DailyRow[] }) {
  const { t, rows } = p;
  const lang = p.lang ?? 'ru';
  const H = 160;
  const top = 10;
  const bottom = 22;
  const left = 30;
  const bar = 14;
  const gap = 4;
  const width = Math.max(320, left + rows.length * (bar + gap) + 10);
  const max = Math.max(1, ...rows.map(total));
  const scale = (H - top - bottom) / max;
  const labelEvery = Math.max(1, Math.ceil(rows.length / 8), Math.ceil(36 / (bar + gap)));
  const summary = rows.map((r) => `${formatDay(lang, r.day)}: ${OUTCOMES.map((o) => `${t(`outcome_${o}`)} ${r[o] ?? 0}`).join(', ')}`).join('; ');
  return (
    <figure class="chart" id="daily-chart">
      <svg viewBox={`0 0 ${width} ${H}`} width={width} height={H} role="img" aria-labelledby="chart-title chart-desc" class="bars">
        <title id="chart-title">{t('fleet_chart_title')}</title>
        <desc id="chart-desc">{summary || t('fleet_no_data')}</desc>
        <line x1={left} y1={H - bottom} x2={width - 5} y2={H - bottom} class="axis" />
        <text x={left - 4} y={top + 8} class="tick" text-anchor="end">
          {String(max)}
        </text>
        <text x={left - 4} y={H - bottom} class="tick" text-anchor="end">
          0
        </text>
        {rows.map((r, i) => {
          const x = left + 4 + i * (bar + gap);
          let y = H - bottom;
          return (
            <g class="day" data-day={r.day}>
              <title>{`${formatDay(lang, r.day)}: ${OUTCOMES.map((o) => `${t(`outcome_${o}`)} ${r[o] ?? 0}`).join(', ')}`}</title>
              {OUTCOMES.map((o) => {
                const h = (r[o] ?? 0) * scale;
                if (h <= 0) return null;
                y -= h;
                return <rect x={x} y={Math.round(y * 10) / 10} width={bar} height={Math.round(h * 10) / 10} class={`o-${o}`} data-outcome={o} data-count={r[o]} />;
              })}
              {i % labelEvery === 0 ? (
                <text x={x + bar / 2} y={H - 6} class="tick" text-anchor="middle">
                  {formatDay(lang, r.day, true)}
                </text>
              ) : null}
            </g>
          );
        })}
      </svg>
      <figcaption>
        <ul class="legend">
          {OUTCOMES.map((o) => (
            <li>
              <svg viewBox="0 0 10 10" width="12" height="12" aria-hidden="true">
                <rect width="10" height="10" class={`o-${o}`} />
              </svg>{' '}
              {t(`outcome_${o}`)}
            </li>
          ))}
        </ul>
      </figcaption>
    </figure>
  );
}
