// The hub's web form: mountWeb(app, deps) adds the pages under /ui (and a redirect from /) to
// the hub's Hono app. Pass it as HubOptions.extend. Pages call the hub's own API in process
// with the signed-in platform's token, so validation and tenancy are the API's.
import { Hono } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import type { ApiDeps, HubEnv } from '../api/context.js';
import { createLogger, type Logger } from '../common/log.js';
import { apiCaller, apiRequester } from './api-client.js';
import { authenticateHash } from '../api/auth.js';
import { assetsRoutes } from './assets.js';
import type { WebDeps, WebEnv } from './context.js';
import { errorPage } from './errors.js';
import { isLang, pickLang, translator, withZone } from './i18n.js';
import { platformZone } from './zone.js';
import { historyRoutes } from './routes-history.js';
import { sitesRoutes } from './routes-sites.js';
import { executionRoutes } from './routes-execution.js';
import { incidentRoutes } from './routes-incidents.js';
import { fleetRoutes } from './routes-fleet.js';
import { remediationRoutes } from './routes-remediation.js';
import { jobsRoutes } from './routes-jobs.js';
import { authRoutes, cookieOptions } from './routes-auth.js';
import { wizardRoutes } from './routes-wizard.js';
import { LocalSessions, PortSessions, SESSION_COOKIE, SessionStore, sameSecret, type WebSessions } from './session.js';
import { type DraftStore, PortDraftStore, isDraftId } from './drafts.js';

export const LANG_COOKIE = 'gsmjobs_lang';

export interface WebOptions {
  /** Where the pages live; default /ui. */
  base?: string;
  /** Default: the store's sessions when it has them (PostgreSQL), else this hub's (memory or `sessionFile`). */
  sessions?: WebSessions;
  /** Keep sessions in this file across restarts (e.g. <data_dir>/web-sessions.json). */
  sessionFile?: string;
  /** Where wizard drafts live; default the store port's drafts (shared by hubs on one PostgreSQL). */
  drafts?: DraftStore;
  log?: Logger;
}

/** Build the web sub-app (exported for tests that want it alone). */
export function createWeb(app: Hono<HubEnv>, deps: ApiDeps, options: WebOptions = {}): Hono<WebEnv> {
  const base = options.base ?? '/ui';
  const sessions = options.sessions ?? (deps.port.webSessions ? new PortSessions(deps.port.webSessions, deps.now) : new LocalSessions(new SessionStore(deps.now, undefined, undefined, options.sessionFile ?? null)));
  const w: WebDeps = { deps, base, sessions };
  const drafts = options.drafts ?? new PortDraftStore(deps.port.drafts, deps.now);
  const web = new Hono<WebEnv>();
  const log = options.log ?? createLogger('hub').child('web');

  web.use('*', async (c, next) => {
    const sid = getCookie(c, SESSION_COOKIE) ?? null;
    const session = (await w.sessions.get(sid ?? undefined)) ?? null;
    const asked = c.req.query('lang');
    if (isLang(asked)) {
      setCookie(c, LANG_COOKIE, asked, { ...cookieOptions(c, base), maxAge: 365 * 86400 });
      if (session) {
        session.lang = asked;
        await w.sessions.touch(sid ?? undefined, session);
      }
    }
    const lang = pickLang(isLang(asked) ? asked : (session?.lang ?? getCookie(c, LANG_COOKIE)), c.req.header('accept-language'));
    const url = new URL(c.req.url);
    url.searchParams.delete('lang');
    c.set('web', { lang, t: translator(lang), path: `${url.pathname}${url.search}`, session, sid });
    await next();
    c.header('Content-Security-Policy', "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
    c.header('X-Frame-Options', 'DENY');
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'same-origin');
    if (!c.res.headers.get('Cache-Control')) c.header('Cache-Control', 'no-store');
  });

  web.route('/static', assetsRoutes());
  web.route('/', authRoutes(w));

  // Everything below needs a session; every POST needs the session's CSRF token.
  web.use('*', async (c, next) => {
    let { session } = c.get('web');
    // The token signed in with was revoked (or the platform removed): the session ends.
    if (session) {
      const auth = await authenticateHash(deps, session.token_hash);
      if (!auth || (!auth.admin && auth.platform_id !== session.platform_id) || !(await deps.port.platforms.get(session.platform_id))) {
        await w.sessions.destroy(c.get('web').sid ?? undefined);
        session = null;
      }
    }
    if (!session) {
      if (c.req.method === 'GET') return c.redirect(`${base}/signin?next=${encodeURIComponent(c.get('web').path)}`, 303);
      // A wizard post after the session expired: sign in, then back to the draft's step.
      const body = await c.req.parseBody();
      if (isDraftId(body.draft_id)) {
        const step = typeof body.step === 'string' && /^[1-5]$/.test(body.step) ? body.step : '5';
        return c.redirect(`${base}/signin?next=${encodeURIComponent(`${base}/jobs/draft/${body.draft_id}/${step}`)}`, 303);
      }
      return errorPage(c, w, 401, c.get('web').t('session_expired'));
    }
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') {
      const body = await c.req.parseBody();
      const sent = typeof body._csrf === 'string' ? body._csrf : c.req.header('x-csrf-token');
      if (!sameSecret(sent, session.csrf)) return errorPage(c, w, 403, c.get('web').t('csrf_refused'));
    }
    c.set('session', session);
    const auth = { tokenHash: session.token_hash, platformId: session.admin ? session.platform_id : undefined };
    c.set('api', apiCaller(app, auth, c.get('web').lang));
    c.set('apiRaw', apiRequester(app, auth, c.get('web').lang));
    // Every time on the platform's pages in the platform's zone (formatTime reads it).
    await withZone(await platformZone(deps, session.platform_id), next);
  });

  web.get('/', (c) => c.redirect(`${base}/jobs`, 303));
  web.route('/jobs', wizardRoutes({ ...w, drafts }));
  web.route('/jobs', jobsRoutes(w));
  web.route('/', historyRoutes(w));
  web.route('/', sitesRoutes(w));
  web.route('/', executionRoutes(w));
  web.route('/', incidentRoutes(w));
  web.route('/', fleetRoutes(w));
  web.route('/', remediationRoutes(w));
  web.all('*', (c) => errorPage(c, w, 404, c.get('web').t('not_found')));
  web.onError((err, c) => {
    log.error('page failed', { path: c.req.path, error: err.message });
    return errorPage(c, w, 500, c.get('web')?.t('error_title') ?? 'error');
  });
  return web;
}

/** Mount the web form on the hub's app: pages under /ui, and / redirects there. */
export function mountWeb(app: Hono<HubEnv>, deps: ApiDeps, options: WebOptions = {}): void {
  const base = options.base ?? '/ui';
  app.get('/', (c) => c.redirect(`${base}/jobs`, 302));
  app.get(`${base}/`, (c) => c.redirect(`${base}/jobs`, 302));
  app.route(base, createWeb(app, deps, options));
}
