// Sign-in, session cookie flags, CSRF refusal, language choice, secrets never rendered.
import { describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, TOKENS } from '../hub/world.js';
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
});
