// What the sites and control devices pages share: a refusal of the API in the user's words on
// its fields, and the confirmation page of a destructive action.
import type { ApiResult } from './api-client.js';
import { CsrfField } from './components.js';
import type { FieldErrors, WebContext, WebDeps } from './context.js';
import { issueWords } from './issue-words.js';
import { Page } from './layout.js';

export const str = (v: unknown) => (typeof v === 'string' ? v.trim() : '');

/** Field errors of a refusal, in the user's words; a refusal naming no field goes in `banner`. */
export function refusal<T>(c: WebContext, r: Extract<ApiResult<T>, { ok: false }>, fields: readonly string[]): { errors: FieldErrors; banner: string | null } {
  const { lang, t } = c.get('web');
  const errors: FieldErrors = {};
  for (const i of r.error.issues ?? []) {
    const f = fields.find((x) => i.field === x || i.field.startsWith(`${x}[`) || i.field.startsWith(`${x}.`)) ?? null;
    if (f) errors[f] ??= issueWords(i, lang);
  }
  if (!Object.keys(errors).length && r.error.field && fields.includes(r.error.field)) errors[r.error.field] = issueWords({ field: r.error.field, message: r.error.message }, lang);
  return { errors, banner: Object.keys(errors).length ? null : t('server_refused', { message: issueWords({ field: '', message: r.error.message }, lang) }) };
}

export function Confirm(p: { c: WebContext; w: WebDeps; title: string; text: string; action: string; yes: string; back: string; current: 'sites' | 'controls' }) {
  const web = p.c.get('web');
  return (
    <Page web={web} base={p.w.base} title={p.title} current={p.current}>
      <form method="post" action={p.action} class="card narrow">
        <CsrfField csrf={p.c.get('session').csrf} />
        <p>{p.text}</p>
        <div class="actions">
          <a href={p.back} class="button">
            {web.t('cancel')}
          </a>
          <button type="submit" class="danger" autofocus>
            {p.yes}
          </button>
        </div>
      </form>
    </Page>
  );
}
