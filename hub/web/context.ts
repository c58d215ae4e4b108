// What every page handler of the web form has: the language, the translator, the session (when
// signed in) and an API caller bound to the session's platform token.
import type { Context } from 'hono';
import type { ApiDeps } from '../api/context.js';
import type { ApiCall, ApiRaw } from './api-client.js';
import type { Lang, T } from './i18n.js';
import type { Session, WebSessions } from './session.js';

export interface WebState {
  lang: Lang;
  t: T;
  /** Path and query of this request, for the language switch. */
  path: string;
  session: Session | null;
  sid: string | null;
}

export interface WebEnv {
  Variables: { web: WebState; api: ApiCall; apiRaw: ApiRaw; session: Session };
}

export type WebContext = Context<WebEnv>;

export interface WebDeps {
  deps: ApiDeps;
  sessions: WebSessions;
  /** Base path of the web form, e.g. /ui */
  base: string;
}

/** Errors by form field name. */
export type FieldErrors = Record<string, string>;

/** The id of the element of a form field (names hold dots and brackets). */
export function fieldId(name: string): string {
  return `f-${name.replace(/[^A-Za-z0-9_-]+/g, '-')}`;
}
