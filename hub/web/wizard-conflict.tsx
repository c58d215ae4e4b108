// The page of a refused save (issue 17): the job was changed by someone else since the draft
// was opened (both versions side by side; keep mine = save over theirs, or take theirs), or it
// was deleted meanwhile (save mine as a new job).
import type { Job } from '../model/job.js';
import { Banner, CsrfField } from './components.js';
import type { WebContext, WebDeps } from './context.js';
import { type Draft, draftFromJob } from './draft.js';
import type { DraftRecord } from './drafts.js';
import type { Lang, T } from './i18n.js';
import { Page } from './layout.js';
import { decisionOf } from './wizard-render.js';
import { decisionWords } from './words.js';

interface ControlRow {
  id: string;
  name: string;
  phone: string;
}

function actionOf(d: Draft, controls: readonly ControlRow[]): string {
  const control = controls.find((x) => x.id === d.control_device_id);
  const who = control ? `${control.name} (${control.phone})` : d.control_device_id || '—';
  if (d.action_mode !== 'command') return `${who}: ${(d.action_mode === 'power_cycle' ? d.playbook : d.kept)?.length ?? 0} steps`;
  const what = d.command_kind === 'text' ? `«${d.text}»` : `${d.command_id} ${Object.entries(d.params).map(([k, v]) => `${k}=${v}`).join(', ')}`;
  return `${who} ← ${d.site_id}: ${what}`;
}

function Version(p: { t: T; lang: Lang; controls: readonly ControlRow[]; title: string; draft: Draft; id: string }) {
  const { t, draft: d } = p;
  return (
    <section class="card" aria-labelledby={p.id}>
      <h2 id={p.id}>{p.title}</h2>
      <dl class="summary">
        <dt>{t('job_name')}</dt>
        <dd>{d.name || '—'}</dd>
        <dt>{t('summary_device')}</dt>
        <dd>{d.device ? d.device.name || d.device.key : '—'}</dd>
        <dt>{t('step3')}</dt>
        <dd>{decisionWords(p.lang, decisionOf(d))}</dd>
        <dt>{t('summary_action')}</dt>
        <dd>{actionOf(d, p.controls)}</dd>
        <dt>{t('job_enabled')}</dt>
        <dd>{d.enabled ? t('yes') : t('no')}</dd>
      </dl>
    </section>
  );
}

export async function conflictPage(c: WebContext, w: WebDeps, rec: DraftRecord) {
  const web = c.get('web');
  const { t, lang } = web;
  const csrf = c.get('session').csrf;
  const r = await c.get('api')<{ items: ControlRow[] }>('GET', '/control-devices');
  const controls = r.ok ? r.data.items : [];
  const current = rec.conflict?.current as Job | null | undefined;
  const deleted = !current;
  const theirs = current ? draftFromJob(current, false) : null;
  if (theirs && current?.name_auto === false) theirs.name = current.name;
  return c.html(
    <Page web={web} base={w.base} title={deleted ? t('conflict_deleted_title') : t('conflict_title')} current="jobs">
      <Banner kind="error">{deleted ? t('conflict_deleted') : `${t('conflict_changed')} ${t('conflict_choose')}`}</Banner>
      <div class="versions">
        <Version t={t} lang={lang} controls={controls} title={t('conflict_yours')} draft={rec.draft} id="v-mine" />
        {theirs ? <Version t={t} lang={lang} controls={controls} title={t('conflict_theirs')} draft={theirs} id="v-theirs" /> : null}
      </div>
      <form method="post" action={`${w.base}/jobs/wizard`} class="actions">
        <CsrfField csrf={csrf} />
        <input type="hidden" name="draft_id" value={rec.id} />
        <input type="hidden" name="step" value="conflict" />
        {deleted ? (
          <button type="submit" name="go" value="save_new" class="primary">
            {t('conflict_save_new')}
          </button>
        ) : (
          <>
            <button type="submit" name="go" value="overwrite" class="primary">
              {t('conflict_keep_mine')}
            </button>
            <button type="submit" name="go" value="theirs">
              {t('conflict_take_theirs')}
            </button>
          </>
        )}
        <a href={`${w.base}/jobs/draft/${rec.id}/5`}>{t('prev')}</a>
      </form>
    </Page>,
    200,
  );
}
