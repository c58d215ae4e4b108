// Small building blocks of the pages: form fields with their label, hint and error (linked by
// aria-describedby), state badges, the pager. Everything renders through hono/jsx, which escapes.
import type { Child } from 'hono/jsx';
import { type FieldErrors, fieldId } from './context.js';
import type { T } from './i18n.js';

/** Attributes that tie an input to its label, hint and error. */
export function fieldAttrs(name: string, errors: FieldErrors, hint = false) {
  const id = fieldId(name);
  const described = [hint ? `${id}-hint` : '', `${id}-err`].filter(Boolean).join(' ');
  return { id, name, 'aria-describedby': described, ...(errors[name] ? { 'aria-invalid': 'true' } : {}) };
}

export function ErrorText(props: { name: string; errors: FieldErrors }) {
  const msg = props.errors[props.name];
  return (
    <p class="error" id={`${fieldId(props.name)}-err`} data-error-for={props.name} hidden={!msg}>
      {msg ?? ''}
    </p>
  );
}

export function Field(props: { name: string; label: string; hint?: string; errors: FieldErrors; children: Child; cls?: string }) {
  const id = fieldId(props.name);
  return (
    <div class={`field ${props.cls ?? ''}`} data-field={props.name}>
      <label for={id}>{props.label}</label>
      {props.children}
      {props.hint ? (
        <p class="hint" id={`${id}-hint`}>
          {props.hint}
        </p>
      ) : null}
      <ErrorText name={props.name} errors={props.errors} />
    </div>
  );
}

export function StateBadge(props: { state: string; t: T }) {
  const key = `state_${props.state}` as Parameters<T>[0];
  return <span class={`badge st-${props.state}`}>{props.t(key)}</span>;
}

export function OnlineBadge(props: { online: boolean | null; t: T }) {
  const s = props.online === null ? 'unknown' : props.online ? 'online' : 'offline';
  return <span class={`badge on-${s}`}>{props.t(s)}</span>;
}

export function Pager(props: { t: T; total: number; limit: number; offset: number; href: (offset: number) => string }) {
  const pages = Math.max(1, Math.ceil(props.total / props.limit));
  const page = Math.floor(props.offset / props.limit) + 1;
  if (pages <= 1) return null;
  return (
    <nav class="pager" aria-label={props.t('pager')}>
      {page > 1 ? <a href={props.href(props.offset - props.limit)}>← {props.t('prev')}</a> : null}
      <span>{props.t('page_of', { page, pages })}</span>
      {page < pages ? <a href={props.href(props.offset + props.limit)}>{props.t('next')} →</a> : null}
    </nav>
  );
}

export function Banner(props: { kind: 'ok' | 'error'; children: Child }) {
  return (
    <div class={`banner ${props.kind}`} role={props.kind === 'error' ? 'alert' : 'status'}>
      {props.children}
    </div>
  );
}

export function CsrfField(props: { csrf: string }) {
  return <input type="hidden" name="_csrf" value={props.csrf} />;
}
