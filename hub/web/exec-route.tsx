// The route a message took (issue 19): each earlier site (attempts, the last state it reported,
// its modem, why the hub left it and when), then the site it is at now and the modem that sent
// or tried it. A list, so it reads the same on a phone as on a desktop.
import { formatTime, type Lang, type MessageKey, type T } from './i18n.js';
import { iso, type MessageView } from './remediation-types.js';
import { stateName } from './routes-execution.js';

const LEFT = new Set(['offline', 'modems_down', 'not_accepted', 'failed', 'expired']);

export function MessageRoute(p: { t: T; lang: Lang; m: MessageView }) {
  const { t, lang, m } = p;
  const hops = m.hops ?? [];
  return (
    <ol class="hops" data-route={m.wire_id ?? ''}>
      {hops.map((h) => (
        <li class="hop">
          <code>{h.site_id}</code>
          {` · ${h.first_attempt === h.last_attempt ? t('route_attempt', { n: h.first_attempt }) : t('route_attempts', { from: h.first_attempt, to: h.last_attempt })} · `}
          <span class={`badge ex-${h.state}`}>{stateName(t, h.state)}</span>
          {h.modem ? ` · ${t('route_modem', { modem: h.modem })}` : ''}
          {` · ${t('route_left', { at: formatTime(lang, iso(h.left_at)), why: LEFT.has(h.left_because) ? t(`left_${h.left_because}` as MessageKey) : h.left_because })}`}
        </li>
      ))}
      <li class="hop-now">
        <strong>{t('route_now', { site: m.site_id })}</strong>
        {m.modem ? ` · ${t('route_modem', { modem: m.modem })}` : ''}
      </li>
    </ol>
  );
}
