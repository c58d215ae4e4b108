// Issue 17 in a real browser: every date on a platform's pages is shown in the platform's time
// zone (remediation setting `time_zone`), in one format with the zone named. One execution time
// (2026-12-01 10:00 UTC) stored on platform a (Asia/Vladivostok, UTC+10) and platform b
// (Europe/Kaliningrad, UTC+2) reads 20:00 on a's executions list and execution page and 12:00 on
// b's, in Russian and in English; a's sites page shows its status time in a's zone; a new
// schedule starts in the platform's zone.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scopeOf } from '../../hub/store/port.js';
import { execution } from '../hub/store-contract-fixtures.js';
import { a11yProblems, launchChromium } from './browser-a11y.js';
import { type LiveHub, startLiveHub } from './live-hub.js';

const AT = '2026-12-01T10:00:00.000Z';
const ZONES = { a: { zone: 'Asia/Vladivostok', hour: '20:00:00', offset: 'GMT+10' }, b: { zone: 'Europe/Kaliningrad', hour: '12:00:00', offset: 'GMT+2' } } as const;
const DATE = { ru: '01.12.2026', en: '01/12/2026' } as const;
let live: LiveHub;
let browser: Browser;

beforeAll(async () => {
  live = await startLiveHub();
  browser = await launchChromium();
  for (const p of ['a', 'b'] as const) {
    await live.hub.port.executions.put(scopeOf(p), { ...execution(p, `ex-zone-${p}`, { created_at: AT }), job_name: `zone job ${p}` });
    const res = await fetch(`${live.url}/api/v1/remediation/settings`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${live.tokens[p]}`, 'content-type': 'application/json' },
      body: JSON.stringify({ time_zone: ZONES[p].zone }),
    });
    expect(res.status).toBe(200);
  }
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await live?.stop();
});

async function signedIn(p: 'a' | 'b', lang: 'ru' | 'en'): Promise<{ page: Page; close: () => Promise<void> }> {
  const ctx = await browser.newContext({ viewport: { width: 1100, height: 900 }, locale: lang === 'ru' ? 'ru-RU' : 'en-GB' });
  const page = await ctx.newPage();
  await page.goto(`${live.url}/ui/jobs?lang=${lang}`);
  await page.getByLabel(/Токен платформы|Platform token/).fill(live.tokens[p]);
  await page.getByRole('button', { name: /Войти|Sign in/ }).click();
  await page.waitForURL(/\/ui\/jobs/);
  return { page, close: () => ctx.close() };
}

describe('times in the platform\u2019s zone (issue 17)', () => {
  for (const lang of ['ru', 'en'] as const) {
    it(`${lang}: one execution time reads 20:00 in Vladivostok and 12:00 in Kaliningrad, with the zone`, { timeout: 90_000 }, async () => {
      const shown: Record<string, string> = {};
      for (const p of ['a', 'b'] as const) {
        const { page, close } = await signedIn(p, lang);
        try {
          await page.goto(`${live.url}/ui/executions`);
          const link = page.locator(`a[href$="/executions/ex-zone-${p}"]`);
          shown[p] = (await link.innerText()).trim();
          expect(shown[p]).toContain(DATE[lang]);
          expect(shown[p]).toContain(ZONES[p].hour);
          expect(shown[p]).toContain(ZONES[p].offset);
          expect(await a11yProblems(page)).toEqual([]);
          await link.click();
          await page.waitForURL(/\/executions\/ex-zone-/);
          // The execution page's times (timeline, sent at) in the same zone and format.
          const times = await page.locator('main time').allInnerTexts();
          expect(times.length).toBeGreaterThan(0);
          for (const x of times) expect(x).toBe(shown[p]);
          // Other pages too: the time of platform a's site status (moscow-1 reports one) in a's zone.
          if (p === 'a') {
            await page.goto(`${live.url}/ui/sites`);
            await expect.poll(async () => page.locator('main').innerText(), { timeout: 15_000 }).toContain(ZONES.a.offset);
          }
          // A new schedule starts in the platform's zone.
          await page.goto(`${live.url}/ui/jobs/new`);
          await page.waitForURL(/\/ui\/jobs\/draft\//);
          const draftId = /draft\/([\w-]+)\//.exec(page.url())?.[1] as string;
          await page.goto(`${live.url}/ui/jobs/draft/${draftId}/3`);
          await page.getByLabel(/Только в заданное время|Only at set times/).check();
          // The script redraws the schedule fields (the Update button is for pages without it).
          await expect.poll(() => page.locator('input[name="windows.tz"]').inputValue(), { timeout: 15_000 }).toBe(ZONES[p].zone);
        } finally {
          await close();
        }
      }
      expect(shown.a).not.toBe(shown.b);
    });
  }
});
