// One execution (GET /api/v1/executions/:id): phase, outcome, time to recovery, escalation, the
// incident that holds it, the playbook in plain words, every message sent for it (`messages[]`)
// with the route it took (sites tried before, the current site and modem: exec-route.tsx),
// the timeline with step names in the user's language, the device's replies, and Cancel for an
// execution still running (POST /executions/:id/cancel).
import { scopeOf } from '../store/port.js';
import { Hono } from 'hono';
import { Banner, CsrfField } from './components.js';
import type { WebDeps, WebEnv } from './context.js';
import { errorPage } from './errors.js';
import { MessageRoute } from './exec-route.js';
import { formatTime, type Lang, type MessageKey, type T } from './i18n.js';
import { Page } from './layout.js';
import { stepTypeName } from './playbook-words.js';
import { type ExecutionView, iso, type MessageView } from './remediation-types.js';
import { safeWords, webhookList, wordsContext } from './wizard-data.js';
import { duration } from './words.js';

/** Timeline and message states with a text of their own ("tl_<state>"); others show as sent by the hub. */
const KNOWN_STATES = new Set([
  'created', 'dispatched', 'unacknowledged', 'accepted', 'sending', 'sent', 'delivered', 'not_delivered', 'failed', 'expired', 'duplicate', 'uncertain', 'queued',
  'started', 'waited', 'recovered', 'not_recovered', 'unknown', 'escalated', 'held', 'released', 'resumed', 'settling', 'notified', 'finished', 'cancelled',
  'route_skip', 'route_cancel', 'old_route', 'double_send',
]);

export function stateName(t: T, state: string): string {
  return KNOWN_STATES.has(state) ? t(`tl_${state}` as MessageKey) : state;
}

/** "Шаг 2 · ожидание" / "Step 2 · wait" (1-based, with the step's type when the playbook is known). */
export function stepName(t: T, lang: Lang, e: Pick<ExecutionView, 'playbook'>, step: number | null): string {
  if (step === null) return t('exec_whole');
  const type = e.playbook?.[step]?.type;
  return `${t('step_n', { n: step + 1 })}${type ? ` · ${stepTypeName(type, lang)}` : ''}`;
}

/** Messages of an execution: `messages[]`, or the send steps of an execution from before issue 10. */
export function messagesOf(e: ExecutionView): MessageView[] {
  if (Array.isArray(e.messages)) return e.messages;
  return (e.steps ?? []).map((s, i) => ({ step: i, kind: 'command' as const, site_id: s.site_id, control_device_id: null, to: s.to, text: s.text, state: s.state ?? e.state }));
}

const ACTIVE = new Set(['armed', 'running', 'held']);

export function executionRoutes(w: WebDeps): Hono<WebEnv> {
  const app = new Hono<WebEnv>();

  app.get('/executions/:id', async (c) => {
    const web = c.get('web');
    const { t, lang } = web;
    const api = c.get('api');
    const id = c.req.param('id');
    const r = await api<ExecutionView>('GET', `/executions/${encodeURIComponent(id)}`);
    if (!r.ok) return errorPage(c, w, 404, t('not_found'));
    const e = r.data;
    const msgs = messagesOf(e);
    const hooks = e.playbook?.some((s) => s.type === 'notify') ? await webhookList(api) : [];
    const words = e.playbook && e.playbook.length > 1 ? safeWords(e.playbook, lang, wordsContext(w.deps, await w.deps.port.controlDevices.list(scopeOf(c.get('session').platform_id)), hooks)) : null;
    const flash = c.req.query('msg');
    const running = e.phase ? ACTIVE.has(e.phase) : false;
    return c.html(
      <Page web={web} base={w.base} title={t('exec_detail', { id: e.id })} current="executions">
        {flash === 'cancelled' ? <Banner kind="ok">{t('exec_cancelled')}</Banner> : null}
        {flash === 'cancel_failed' ? <Banner kind="error">{t('exec_cancel_failed')}</Banner> : null}
        <dl class="summary" id="exec-summary">
          <dt>{t('col_job')}</dt>
          <dd>
            <a href={`${w.base}/jobs/${encodeURIComponent(e.job_id)}/edit`}>{e.job_name}</a>
          </dd>
          <dt>{t('col_device')}</dt>
          <dd>{`${e.device.name || e.device.key} (${e.device.key})`}</dd>
          <dt>{t('col_trigger')}</dt>
          <dd>{`${t(`trigger_${e.trigger.reason}`)}: ${Object.entries(e.trigger.values).map(([m, v]) => `${m} = ${v ?? '—'}`).join('; ')}`}</dd>
          <dt>{t('col_state')}</dt>
          <dd>
            <span class={`badge ex-${e.state}`}>{stateName(t, e.state)}</span>
          </dd>
          {e.phase ? (
            <>
              <dt>{t('exec_phase')}</dt>
              <dd>
                <span class={`badge ph-${e.phase}`}>{t(`phase_${e.phase}`)}</span>
              </dd>
            </>
          ) : null}
          <dt>{t('exec_outcome')}</dt>
          <dd>{e.outcome ? <span class={`badge oc-${e.outcome}`}>{t(`outcome_${e.outcome}`)}</span> : '—'}</dd>
          <dt>{t('exec_ttr')}</dt>
          <dd>{typeof e.ttr_ms === 'number' ? duration(lang, Math.round(e.ttr_ms / 1000)) : '—'}</dd>
          <dt>{t('exec_escalated')}</dt>
          <dd>{e.escalated ? `${t('yes')}${e.escalation_reason ? ` — ${e.escalation_reason}` : ''}` : t('no')}</dd>
          {e.incident_id ? (
            <>
              <dt>{t('exec_incident')}</dt>
              <dd>
                <a href={`${w.base}/incidents#inc-${encodeURIComponent(e.incident_id)}`}>{e.incident_id}</a>
              </dd>
            </>
          ) : null}
        </dl>
        {running ? (
          <form method="post" action={`${w.base}/executions/${encodeURIComponent(e.id)}/cancel`} class="inline" id="cancel-form">
            <CsrfField csrf={c.get('session').csrf} />
            <button type="submit" class="danger">
              {t('exec_cancel')}
            </button>
          </form>
        ) : null}
        {words ? (
          <>
            <h2>{t('playbook_steps')}</h2>
            <ol class="playbook" id="exec-playbook">
              {words.map((x) => (
                <li>{x}</li>
              ))}
            </ol>
          </>
        ) : null}
        <h2>{t('exec_messages')}</h2>
        {msgs.length === 0 ? (
          <p>{t('exec_no_messages')}</p>
        ) : (
          <div class="table-wrap">
            <table id="exec-messages">
              <thead>
                <tr>
                  <th scope="col">{t('col_step')}</th>
                  <th scope="col">{t('col_kind')}</th>
                  <th scope="col">{t('exec_to')}</th>
                  <th scope="col">{t('exec_text')}</th>
                  <th scope="col">{t('col_state')}</th>
                  <th scope="col">{t('route_title')}</th>
                  <th scope="col">{t('col_sent_at')}</th>
                </tr>
              </thead>
              <tbody>
                {msgs.map((m) => (
                  <tr>
                    <td data-label={t('col_step')}>{stepName(t, lang, e, m.step)}</td>
                    <td data-label={t('col_kind')}>{t(m.kind === 'notify' ? 'kind_notify' : 'kind_command')}</td>
                    <td data-label={t('exec_to')}>{`${m.to} ← ${m.site_id}`}</td>
                    <td data-label={t('exec_text')}>
                      <code>{m.text}</code>
                      {m.parts ? <span class="muted">{` (${m.parts} SMS)`}</span> : null}
                    </td>
                    <td data-label={t('col_state')}>
                      <span class={`badge ex-${m.state}`}>{stateName(t, m.state)}</span>
                      {m.reason ? <span class="muted">{` ${m.reason}`}</span> : null}
                      {m.attempt && m.attempt > 1 ? <span class="muted">{` · ${t('attempt_n', { n: m.attempt })}`}</span> : null}
                    </td>
                    <td data-label={t('route_title')}>
                      <MessageRoute t={t} lang={lang} m={m} />
                    </td>
                    <td data-label={t('col_sent_at')}>{formatTime(lang, iso(m.dispatched_at))}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <h2>{t('timeline')}</h2>
        <ol class="timeline" id="exec-timeline">
          {e.timeline.map((x) => (
            <li>
              <time datetime={iso(x.at) ?? ''}>{formatTime(lang, iso(x.at))}</time> <span class="muted">{stepName(t, lang, e, x.step)}</span> <strong>{stateName(t, x.state)}</strong>
              {x.detail ? <span> — {x.state === 'started' ? stepTypeName(x.detail, lang) : x.detail}</span> : null}
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

  app.post('/executions/:id/cancel', async (c) => {
    const id = c.req.param('id');
    const r = await c.get('api')('POST', `/executions/${encodeURIComponent(id)}/cancel`);
    if (!r.ok && r.status === 404) return errorPage(c, w, 404, c.get('web').t('not_found'));
    return c.redirect(`${w.base}/executions/${encodeURIComponent(id)}?msg=${r.ok ? 'cancelled' : 'cancel_failed'}`, 303);
  });

  return app;
}
