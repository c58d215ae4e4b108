// Sign-in with a platform token, sign-out. The sign-in form is protected against login CSRF by
// a double-submit token (cookie + hidden field); the session cookie is HttpOnly, SameSite=Strict,
// Secure over https, and holds only an opaque id.
import { Hono } from 'hono';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { CookieOptions } from 'hono/utils/cookie';
import { authenticate } from '../api/auth.js';
import { guardMetrics } from '../api/guard-metrics.js';
import { Backoff, peerAddress } from '../api/throttle.js';
import { hashToken } from '../mqtt/passwords.js';
import { Banner, CsrfField } from './components.js';
import type { WebDeps, WebEnv } from './context.js';
import { Page } from './layout.js';
import { LOGIN_CSRF_COOKIE, newToken, SESSION_COOKIE, sameSecret } from './session.js';

export function cookieOptions(c: Context, base: string): CookieOptions {
  const https = new URL(c.req.url).protocol === 'https:' || c.req.header('x-forwarded-proto') === 'https';
  return { path: base, httpOnly: true, sameSite: 'Strict', secure: https };
}

/** Only local paths under the web form may be a redirect target. */
export function safeNext(next: unknown, base: string): string {
  return typeof next === 'string' && next.startsWith(`${base}/`) && !next.startsWith('//') && !/[\r\n\\]/.test(next) ? next : `${base}/jobs`;
}

export function authRoutes(w: WebDeps): Hono<WebEnv> {
  const app = new Hono<WebEnv>();
  // Wrong tokens back off per client address: after a few, 429 with Retry-After (the token is
  // not even checked while the address waits).
  const guesses = new Backoff(w.deps.now);
  const metrics = guardMetrics(w.deps.registry);

  const form = (c: Context<WebEnv>, error: string | null, next: string, status: 200 | 401 | 403 | 429 = 200) => {
    const web = c.get('web');
    const t = web.t;
    const csrf = newToken(18);
    setCookie(c, LOGIN_CSRF_COOKIE, csrf, { ...cookieOptions(c, w.base), maxAge: 3600 });
    return c.html(
      <Page web={web} base={w.base} title={t('signin_title')}>
        {error ? <Banner kind="error">{error}</Banner> : null}
        <form method="post" action={`${w.base}/signin`} class="card narrow">
          <CsrfField csrf={csrf} />
          <input type="hidden" name="next" value={next} />
          <div class="field">
            <label for="f-token">{t('signin_token')}</label>
            <input id="f-token" name="token" type="password" required autocomplete="current-password" aria-describedby="f-token-hint" autofocus />
            <p class="hint" id="f-token-hint">
              {t('signin_token_hint')}
            </p>
          </div>
          <div class="field">
            <label for="f-platform">{t('signin_platform')}</label>
            <input id="f-platform" name="platform_id" type="text" autocomplete="off" aria-describedby="f-platform-hint" />
            <p class="hint" id="f-platform-hint">
              {t('signin_platform_hint')}
            </p>
          </div>
          <button type="submit" class="primary">
            {t('signin_submit')}
          </button>
        </form>
      </Page>,
      status,
    );
  };

  app.get('/signin', (c) => form(c, null, safeNext(c.req.query('next'), w.base)));

  app.post('/signin', async (c) => {
    const t = c.get('web').t;
    const address = peerAddress(c.env);
    const wait = address !== undefined ? guesses.retryAfterMs(address) : 0;
    const body = await c.req.parseBody();
    const next = safeNext(body.next, w.base);
    if (wait > 0) {
      metrics.throttled.inc({ where: 'signin' });
      const seconds = Math.max(1, Math.ceil(wait / 1000));
      c.header('Retry-After', String(seconds));
      return form(c, t('signin_throttled').replace('{seconds}', String(seconds)), next, 429);
    }
    const sent = typeof body._csrf === 'string' ? body._csrf : undefined;
    if (!sameSecret(sent, getCookie(c, LOGIN_CSRF_COOKIE))) return form(c, t('csrf_refused'), next, 403);
    const token = typeof body.token === 'string' ? body.token.trim() : '';
    const auth = token && token.length <= 512 ? await authenticate(w.deps, token) : null;
    if (!auth) {
      if (address !== undefined) guesses.fail(address);
      metrics.authFailures.inc({ where: 'signin' });
      return form(c, t('signin_bad'), next, 401);
    }
    // The admin token works on the platform named in the form (platform tokens ignore the field).
    const chosen = typeof body.platform_id === 'string' ? body.platform_id.trim() : '';
    const platformId = auth.admin ? chosen : auth.platform_id;
    if (!platformId) return form(c, t('signin_admin'), next, 403);
    const platform = await w.deps.port.platforms.get(platformId);
    if (!platform) return form(c, t('signin_no_platform'), next, 403);
    const old = getCookie(c, SESSION_COOKIE);
    await w.sessions.destroy(old);
    const { id } = await w.sessions.create({ token_hash: hashToken(token), admin: auth.admin, platform_id: platform.id, platform_name: platform.name, lang: c.get('web').lang });
    deleteCookie(c, LOGIN_CSRF_COOKIE, { path: w.base });
    setCookie(c, SESSION_COOKIE, id, cookieOptions(c, w.base));
    return c.redirect(next, 303);
  });

  app.post('/signout', async (c) => {
    const web = c.get('web');
    const body = await c.req.parseBody();
    if (web.session && sameSecret(typeof body._csrf === 'string' ? body._csrf : undefined, web.session.csrf)) {
      await w.sessions.destroy(web.sid ?? undefined);
      deleteCookie(c, SESSION_COOKIE, { path: w.base });
    }
    return c.redirect(`${w.base}/signin`, 303);
  });
  return app;
}
