// Wizard steps 1 (device: server-side search by name, id or MAC with paging and online state)
// and 2 (the device's metrics with their current values).
import { ErrorText, OnlineBadge } from './components.js';
import type { FieldErrors } from './context.js';
import type { Draft } from './draft.js';
import { formatNumber, formatTime, type Lang, type T } from './i18n.js';

export interface DeviceRow {
  key_type: string;
  key: string;
  name: string;
  online: boolean | null;
}

export interface DeviceList {
  total: number;
  items: DeviceRow[];
  offset: number;
  limit: number;
  error: string | null;
}

export function DeviceResults(p: { t: T; list: DeviceList; chosen: Draft['device'] }) {
  const { t, list } = p;
  if (list.error) return <p class="error">{t('prometheus_down', { message: list.error })}</p>;
  const pages = Math.max(1, Math.ceil(list.total / list.limit));
  const page = Math.floor(list.offset / list.limit) + 1;
  return (
    <div>
      <p class="muted" role="status">
        {list.total ? t('device_found', { total: list.total }) : t('device_none')}
      </p>
      <ul class="results">
        {list.items.map((d) => {
          const chosen = p.chosen?.key === d.key && p.chosen.key_type === d.key_type;
          return (
            <li class={chosen ? 'chosen' : ''}>
              <span class="dev">
                <strong>{d.name || d.key}</strong> <code>{d.key}</code> <small>{d.key_type}</small>
              </span>
              <OnlineBadge online={d.online} t={t} />
              <button type="submit" name="pick" value={JSON.stringify({ key_type: d.key_type, key: d.key, name: d.name })} aria-label={`${t('device_choose')}: ${d.name || d.key}`} class={chosen ? 'primary' : ''}>
                {t('device_choose')}
              </button>
            </li>
          );
        })}
      </ul>
      {pages > 1 ? (
        <nav class="pager" aria-label={t('pager')}>
          {page > 1 ? (
            <button type="submit" name="go" value={`page:${list.offset - list.limit}`}>
              ← {t('prev')}
            </button>
          ) : null}
          <span>{t('page_of', { page, pages })}</span>
          {page < pages ? (
            <button type="submit" name="go" value={`page:${list.offset + list.limit}`}>
              {t('next')} →
            </button>
          ) : null}
        </nav>
      ) : null}
    </div>
  );
}

export function DeviceStep(p: { t: T; draft: Draft; q: string; list: DeviceList; errors: FieldErrors }) {
  const { t, draft } = p;
  return (
    <div>
      {draft.device ? (
        <p class="chosen-device" role="status">
          {t('device_chosen', { name: `${draft.device.name || draft.device.key} (${draft.device.key})` })}
        </p>
      ) : null}
      <div class="field search">
        <label for="f-q">{t('device_search')}</label>
        <div class="row">
          <input id="f-q" name="q" type="search" value={p.q} autocomplete="off" aria-describedby="f-q-hint f-device-err" aria-controls="device-results" data-live-search="" />
          <button type="submit" name="go" value="search">
            {t('device_find')}
          </button>
        </div>
        <p class="hint" id="f-q-hint">
          {t('device_search_hint')}
        </p>
        <ErrorText name="device" errors={p.errors} />
      </div>
      <div id="device-results">
        <DeviceResults t={t} list={p.list} chosen={draft.device} />
      </div>
    </div>
  );
}

export interface MetricRow {
  metric: string;
  value: number | null;
}

export function MetricStep(p: { t: T; lang: Lang; draft: Draft; metrics: MetricRow[]; ms: number; at?: string | undefined; error: string | null; errors: FieldErrors }) {
  const { t } = p;
  const chosen = new Set(p.draft.conditions.map((c) => c.metric));
  return (
    <fieldset class="metrics" aria-describedby="metrics-hint f-conditions-err">
      <legend>{t('metrics_title')}</legend>
      <p class="hint" id="metrics-hint">
        {t('metrics_hint')}
      </p>
      {p.error ? <p class="error">{t('prometheus_down', { message: p.error })}</p> : null}
      {p.metrics.length === 0 && !p.error ? <p>{t('metrics_none')}</p> : null}
      <ul class="checks">
        {p.metrics.map((m) => (
          <li>
            <label>
              <input type="checkbox" name="metric" value={m.metric} checked={chosen.has(m.metric)} />
              <code>{m.metric}</code>
              <span class="val">{t('current', { value: formatNumber(p.lang, m.value) })}</span>
            </label>
          </li>
        ))}
      </ul>
      <p class="muted">
        {t('metrics_loaded', { ms: p.ms })}
        {p.at ? (
          <>
            {' · '}
            <time datetime={p.at} id="metrics-at">
              {formatTime(p.lang, p.at)}
            </time>
          </>
        ) : null}
      </p>
      <ErrorText name="conditions" errors={p.errors} />
    </fieldset>
  );
}
