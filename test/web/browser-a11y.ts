// What the browser tests share: launching Debian's Chromium and the basic accessibility check.
import { type Browser, chromium, type Page } from 'playwright-core';

/**
 * Basic accessibility of the page as rendered: every control has an accessible name, every
 * aria-describedby / label[for] points at an element that exists, ids are unique, one h1.
 */
export async function a11yProblems(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    const ids = new Map<string, number>();
    document.querySelectorAll('[id]').forEach((el) => ids.set(el.id, (ids.get(el.id) ?? 0) + 1));
    for (const [id, n] of ids) if (n > 1) out.push(`duplicate id ${id}`);
    document.querySelectorAll('input:not([type=hidden]), select, textarea, button').forEach((node) => {
      const el = node as HTMLInputElement;
      if (el.getAttribute('aria-hidden') === 'true') return;
      const named = (el.labels?.length ?? 0) > 0 || el.getAttribute('aria-label') || (el.tagName === 'BUTTON' && (el.textContent ?? '').trim());
      if (!named) out.push(`no name: ${el.tagName} ${el.name}`);
    });
    document.querySelectorAll('[aria-describedby]').forEach((el) => {
      for (const id of (el.getAttribute('aria-describedby') ?? '').split(/\s+/).filter(Boolean)) if (!document.getElementById(id)) out.push(`describedby ${id} missing`);
    });
    document.querySelectorAll('label[for]').forEach((el) => {
      const id = el.getAttribute('for') ?? '';
      if (!document.getElementById(id)) out.push(`label for ${id} missing`);
    });
    if (document.querySelectorAll('h1').length !== 1) out.push('not exactly one h1');
    if (!document.documentElement.lang) out.push('no lang');
    return out;
  });
}


/** Debian's Chromium, headless, as every browser test launches it. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_BIN ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/**
 * A new page signed in to the live hub at `url` with a platform token, at a locale and width;
 * CSP console errors and page errors are collected (`problemsOf`).
 */
export async function signedInPage(browser: Browser, url: string, token: string, locale = 'ru-RU', width = 1100): Promise<Page> {
  const ctx = await browser.newContext({ viewport: { width, height: 900 }, locale });
  const page = await ctx.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  (page as Page & { problems?: string[] }).problems = problems;
  await page.goto(`${url}/ui/jobs`);
  await page.getByLabel(/Токен платформы|Platform token/).fill(token);
  await page.getByRole('button', { name: /Войти|Sign in/ }).click();
  await page.waitForURL(/\/ui\/jobs$/);
  return page;
}

/** What a page from `signedInPage` collected: CSP violations and page errors. */
export const problemsOf = (page: Page): string[] => (page as Page & { problems?: string[] }).problems ?? [];
