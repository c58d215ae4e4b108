// Sign-in, session cookie flags, CSRF refusal, language choice, secrets never rendered.
import { describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, TOKENS } from '../hub/world.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createApp } from '../../hub/api/app.js';
import { mountWeb } from '../../hub/web/index.js';
import { tempDir } from '../hub/fixtures.js';
import { createWebWorld, WebClient } from './helpers.js';

describe('web sign-in and sessions', () => {
  it('redirects to sign-in, signs in with a platform token and sets a strict HttpOnly session cookie', async () => {
    const w = await createWebWorld();
    const b = new WebClient(w.app);
    const first = await b.get('/ui/jobs');
    expect(first.status).toBe(303);
    expect(first.location).toBe('/ui/signin?next=%2Fui%2Fjobs');
    await b.get('/ui/signin');
    const res = await b.post('/ui/signin', { token: TOKENS.a, next: '/ui/jobs' });
    expect(res.status).toBe(303);
    expect(res.location).toBe('/ui/jobs');
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('gsmjobs_sid='));
    expect(cookie).toBeDefined();
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toMatch(/Path=\/ui/);
    expect(cookie).not.toMatch(/Secure/);
    expect(cookie).not.toContain(TOKENS.a);
    const page = await b.get('/ui/jobs');
    expect(page.status).toBe(200);
    expect(page.text).toContain('Платформа: A');
    expect(page.text).not.toContain(TOKENS.a);
  });

  it('marks the cookie Secure behind https', async () => {
    const w = await createWebWorld();
    const b = new WebClient(w.app, { 'x-forwarded-proto': 'https' });
    const res = await b.signIn(TOKENS.b);
    expect(res.headers.getSetCookie().find((c) => c.startsWith('gsmjobs_sid='))).toMatch(/Secure/);
  });

  it('refuses a wrong token, the admin token, and a sign-in without its CSRF token', async () => {
    const w = await createWebWorld();
    const b = new WebClient(w.app);
    const bad = await b.signIn('nope-not-a-token');
    expect(bad.status).toBe(401);
    expect(bad.text).toContain('Токен не подходит');
    expect(bad.text).not.toContain('nope-not-a-token');
    // The admin token without a platform (or with an unknown one) is refused.
    const admin = await b.signIn(ADMIN_TOKEN);
    expect(admin.status).toBe(403);
    const c = new WebClient(w.app);
    const forged = await c.post('/ui/signin', { token: TOKENS.a }, false);
    expect(forged.status).toBe(403);
    expect(forged.headers.getSetCookie().some((x) => x.startsWith('gsmjobs_sid='))).toBe(false);
  });

  it('refuses a POST without the session CSRF token and changes nothing', async () => {
    const w = await createWebWorld();
    const job = w.job('a');
    await w.store.putJob(job);
    const b = new WebClient(w.app);
    await b.signIn(TOKENS.a);
    await b.get('/ui/jobs');
    const forged = await b.post(`/ui/jobs/${job.id}/disable`, {}, false);
    expect(forged.status).toBe(403);
    expect(forged.text).toContain('Форма устарела');
    const wrong = await b.post(`/ui/jobs/${job.id}/disable`, { _csrf: 'x'.repeat(32) }, false);
    expect(wrong.status).toBe(403);
    expect(w.store.job(job.id)?.enabled).toBe(true);
    const ok = await b.post(`/ui/jobs/${job.id}/disable`, { back: '/ui/jobs?q=x' });
    expect(ok.status).toBe(303);
    expect(ok.location).toBe('/ui/jobs?q=x');
    expect(w.store.job(job.id)?.enabled).toBe(false);
  });

  it('signs out: the old session id no longer works', async () => {
    const w = await createWebWorld();
    const b = new WebClient(w.app);
    await b.signIn(TOKENS.a);
    const sid = b.cookies.get('gsmjobs_sid') as string;
    await b.get('/ui/jobs');
    expect((await b.post('/ui/signout')).location).toBe('/ui/signin');
    const replay = new WebClient(w.app);
    replay.cookies.set('gsmjobs_sid', sid);
    expect((await replay.get('/ui/jobs')).status).toBe(303);
  });

  it('speaks Russian first, English by Accept-Language or by choice, and remembers the choice', async () => {
    const w = await createWebWorld();
    const ru = (await new WebClient(w.app).get('/ui/signin')).text;
    expect(ru.startsWith('<!DOCTYPE html><html lang="ru">')).toBe(true);
    const en = new WebClient(w.app, { 'accept-language': 'en-US,en;q=0.9,ru;q=0.5' });
    expect((await en.get('/ui/signin')).text).toContain('Platform token');
    const chooser = new WebClient(w.app);
    const chosen = await chooser.get('/ui/signin?lang=en');
    expect(chosen.text).toContain('<html lang="en">');
    expect(chooser.cookies.get('gsmjobs_lang')).toBe('en');
    expect((await chooser.get('/ui/signin')).text).toContain('Sign in');
  });

  it('sends security headers and redirects / to the form', async () => {
    const w = await createWebWorld();
    const res = await new WebClient(w.app).get('/ui/signin');
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect((await new WebClient(w.app).get('/')).location).toBe('/ui/jobs');
    expect((await new WebClient(w.app).get('/ui/')).location).toBe('/ui/jobs');
  });

  it('the admin token works on the platform chosen at sign-in', async () => {
    const w = await createWebWorld();
    await w.store.putJob(w.job('b', { name: 'job of b' }));
    await w.store.putJob(w.job('a', { name: 'job of a' }));
    const b = new WebClient(w.app);
    const unknown = await b.post('/ui/signin', { _csrf: await loginCsrf(b), token: ADMIN_TOKEN, platform_id: 'zz' });
    expect(unknown.status).toBe(403);
    const ok = await b.post('/ui/signin', { _csrf: await loginCsrf(b), token: ADMIN_TOKEN, platform_id: 'b' });
    expect(ok.status).toBe(303);
    const jobs = await b.get('/ui/jobs');
    expect(jobs.text).toContain('job of b');
    expect(jobs.text).not.toContain('job of a');
  });

  it('a revoked token ends its session', async () => {
    const w = await createWebWorld();
    const b = new WebClient(w.app);
    await b.signIn(TOKENS.a);
    expect((await b.get('/ui/jobs')).status).toBe(200);
    const p = w.store.platform('a')!;
    await w.store.putPlatform({ ...p, tokens: [] });
    const r = await b.get('/ui/jobs');
    expect(r.status).toBe(303);
    expect(r.location).toContain('/ui/signin');
  });
});

describe('sessions across a restart', () => {
  it('a session file lets a new web app (a restarted hub) accept the same cookie', async () => {
    const w = await createWebWorld();
    const file = join(tempDir('web-sessions'), 'web-sessions.json');
    const mk = () => {
      const app = createApp(w.deps);
      mountWeb(app, w.deps, { sessionFile: file });
      return app;
    };
    const before = new WebClient(mk());
    await before.signIn(TOKENS.a);
    expect((await before.get('/ui/jobs')).status).toBe(200);
    const after = new WebClient(mk());
    after.cookies = new Map(before.cookies);
    const page = await after.get('/ui/jobs');
    expect(page.status).toBe(200);
    expect(readFileSync(file, 'utf8')).not.toContain(TOKENS.a);
    // Without the file the restarted app knows nobody.
    const fresh = new WebClient(createWebApp(w));
    fresh.cookies = new Map(before.cookies);
    expect((await fresh.get('/ui/jobs')).status).toBe(303);
  });
});

function createWebApp(w: Awaited<ReturnType<typeof createWebWorld>>) {
  const app = createApp(w.deps);
  mountWeb(app, w.deps);
  return app;
}

async function loginCsrf(b: WebClient): Promise<string> {
  const page = await b.get('/ui/signin');
  return /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1] ?? '';
}
