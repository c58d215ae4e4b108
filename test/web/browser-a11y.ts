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
