// The web form in a real browser (Debian's chromium through playwright-core) against a live hub
// with a real Prometheus: sign in, create a job through the five steps (with a validation error
// fixed on the way and the live SMS counter), see it listed, tenant isolation, keyboard-only
// creation, and a phone-width layout. Screenshots go to test-artifacts/web/.
import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { a11yProblems, launchChromium } from './browser-a11y.js';
import { type LiveHub, startLiveHub } from './live-hub.js';

// Live parts (debounced fetches) can take seconds on a loaded 2-core CI machine: poll patiently.
const poll = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 15_000, interval: 100 });

const SHOTS = new URL('../../test-artifacts/web/', import.meta.url).pathname;
let live: LiveHub;
let browser: Browser;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  live = await startLiveHub();
  browser = await launchChromium();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await live?.stop();
});

async function signedIn(token: string, opts: { width?: number; locale?: string } = {}): Promise<Page> {
  const ctx = await browser.newContext({ viewport: { width: opts.width ?? 1100, height: 900 }, locale: opts.locale ?? 'ru-RU' });
  const page = await ctx.newPage();
  await page.goto(`${live.url}/ui/jobs`);
  await page.getByLabel(/Токен платформы|Platform token/).fill(token);
  await page.getByRole('button', { name: /Войти|Sign in/ }).click();
  await page.waitForURL(/\/ui\/jobs$/);
  return page;
}

async function shot(page: Page, name: string) {
  await page.screenshot({ path: `${SHOTS}${name}.png`, fullPage: true });
  expect(await a11yProblems(page), name).toEqual([]);
}

/** Press Tab until the focused element matches, as a keyboard user would look for it. */
async function tabTo(page: Page, match: (el: { tag: string; text: string; name: string; value: string }) => boolean, max = 40): Promise<void> {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const el = await page.evaluate(() => {
      const a = document.activeElement as HTMLInputElement | null;
      return { tag: a?.tagName ?? '', text: (a?.textContent ?? '').trim(), name: a?.getAttribute('name') ?? '', value: a?.value ?? '' };
    });
    if (match(el)) return;
  }
  throw new Error('focus never reached the element');
}

describe('web form in chromium', () => {
  it('creates a job through the five steps, fixing a validation error on the way', { timeout: 60_000 }, async () => {
    const ctx = await browser.newContext({ viewport: { width: 1100, height: 900 }, locale: 'ru-RU' });
    const page = await ctx.newPage();
    await page.goto(`${live.url}/`);
    await shot(page, '00-signin');
    await page.getByLabel('Токен платформы').fill(live.tokens.a);
    await page.getByRole('button', { name: 'Войти' }).click();
    await page.getByRole('link', { name: /Новое задание/ }).click();

    // 1: live search by name.
    await page.getByLabel('Поиск устройства').fill('Холл 1');
    await poll(() => page.locator('#device-results li').count()).toBe(1);
    await poll(() => page.locator('#device-results').innerText()).toContain('в сети');
    await shot(page, '01-device');
    await page.getByRole('button', { name: 'Выбрать: Плеер Холл 1' }).click();

    // 2: metrics with current values.
    await poll(() => page.locator('h2').innerText()).toContain('Шаг 2 из 5');
    const temp = page.locator('label', { hasText: 'node_cpu_temperature_celsius' });
    await poll(() => temp.innerText()).toContain('сейчас: 71,5');
    await shot(page, '02-metric');
    await temp.locator('input').check();
    await page.getByRole('button', { name: /Далее/ }).click();

    // 3: a wrong threshold is refused as you type, then fixed; the preview follows.
    await poll(() => page.locator('h2').innerText()).toContain('Шаг 3 из 5');
    await poll(() => page.locator('#cur-0').innerText()).toContain('71,5');
    const threshold = page.getByLabel('Порог');
    await threshold.fill('восемьдесят');
    const err = page.locator('[data-error-for="conditions[0].value"]');
    await poll(() => err.isVisible()).toBe(true);
    expect(await threshold.getAttribute('aria-invalid')).toBe('true');
    await shot(page, '03-condition-error');
    await threshold.fill('80');
    await poll(() => err.isVisible()).toBe(false);
    await page.getByLabel('Держится не меньше, мин').fill('5');
    await poll(() => page.locator('#preview').innerText()).toContain('Срабатывает, когда node_cpu_temperature_celsius выше 80 в течение 5 мин');
    await shot(page, '03-condition');
    await page.getByRole('button', { name: /Далее/ }).click();

    // 4: site with its online state and signal; free text with a live counter.
    await poll(() => page.locator('h2').innerText()).toContain('Шаг 4 из 5');
    const site = page.locator('label.site', { hasText: 'Москва' });
    await poll(() => site.innerText()).toMatch(/в сети[\s\S]*сигнал -71 дБм/);
    await site.locator('input').check();
    await page.getByLabel('Управляемое устройство').selectOption({ label: 'Розетка Холл (SIMPAL_D210)' });
    await poll(() => page.locator('#control-area').innerText()).toContain('+79161234567');
    await page.getByLabel('свой текст').check();
    const text = page.getByLabel('Текст SMS');
    await text.fill('Reboot {device}');
    await poll(() => page.locator('#sms-counter').innerText()).toMatch(/^\d+ симв\. · 1 SMS · UCS2$/);
    await text.fill('Reboot player now');
    await poll(() => page.locator('#sms-counter').innerText()).toBe('17 симв. · 1 SMS · GSM 7-bit');
    await text.fill('x'.repeat(161));
    await poll(() => page.locator('#sms-counter').innerText()).toBe('161 симв. · 2 SMS · GSM 7-bit');
    await text.fill('Перезагрузка {device}, t={value}');
    await poll(() => page.locator('#sms-rendered').innerText()).toContain('Перезагрузка Плеер Холл 1, t=71.5');
    await shot(page, '04-action');
    await page.getByRole('button', { name: /Далее/ }).click();

    // 5: automatic name, dry run on live data, save.
    await poll(() => page.locator('h2').innerText()).toContain('Шаг 5 из 5');
    const name = page.getByLabel('Название');
    expect(await name.getAttribute('placeholder')).toBe('Мониторинг Плеер Холл 1 - node_cpu_temperature_celsius > 80');
    await poll(() => page.locator('#dry-run').innerText()).toContain('node_cpu_temperature_celsius = 71,5');
    await shot(page, '05-review');
    await name.fill('Перегрев Холл 1');
    await page.getByRole('button', { name: 'Сохранить задание' }).click();

    await page.waitForURL(/\/ui\/jobs\?msg=saved/);
    await poll(() => page.locator('table.jobs').innerText()).toContain('Перегрев Холл 1');
    await shot(page, '06-list');
    const job = live.hub.store.jobs('a').find((j) => j.name === 'Перегрев Холл 1');
    expect(job).toMatchObject({ for_s: 300, conditions: [{ metric: 'node_cpu_temperature_celsius', op: '>', value: 80 }], steps: [{ site_id: 'moscow-1', command: { kind: 'text', text: 'Перезагрузка {device}, t={value}' } }] });
    await ctx.close();
  });

  it("keeps one tenant's token away from another tenant's job", async () => {
    const job = live.hub.store.jobs('a')[0];
    expect(job).toBeDefined();
    const page = await signedIn(live.tokens.b);
    expect(await page.locator('main').innerText()).not.toContain(job?.name ?? '???');
    const res = await page.goto(`${live.url}/ui/jobs/${job?.id}/edit`);
    expect(res?.status()).toBe(404);
    expect(await page.locator('main').innerText()).toContain('Не найдено');
    await shot(page, '07-other-tenant');
    await page.context().close();
  });

  it('creates a job with the keyboard only', { timeout: 60_000 }, async () => {
    const page = await signedIn(live.tokens.a, { locale: 'en-GB' });
    await page.goto(`${live.url}/ui/jobs?lang=en`);
    await tabTo(page, (el) => el.tag === 'A' && el.text.includes('New job'));
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/jobs\/draft\/[\w-]+\/1$/);
    // Step 1: the search field has focus.
    await page.keyboard.type('Касса');
    await poll(() => page.locator('#device-results li').count()).toBe(1);
    await tabTo(page, (el) => el.name === 'pick');
    await page.keyboard.press('Enter');
    await poll(() => page.locator('h2').innerText()).toContain('Step 2 of 5');
    await tabTo(page, (el) => el.name === 'metric' && el.value === 'signage_device_online');
    await page.keyboard.press('Space');
    await tabTo(page, (el) => el.text.startsWith('Next'));
    await page.keyboard.press('Enter');
    await poll(() => page.locator('h2').innerText()).toContain('Step 3 of 5');
    await tabTo(page, (el) => el.name === 'conditions[0].op');
    await page.keyboard.press('Home'); // first operator in the list: >
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown'); // ==
    await page.keyboard.press('Tab');
    await page.keyboard.type('0');
    await poll(() => page.locator('#preview').innerText()).toContain('Fires when online equals 0');
    await page.keyboard.press('Enter');
    await poll(() => page.locator('h2').innerText()).toContain('Step 4 of 5');
    await tabTo(page, (el) => el.name === 'steps[0].site_id');
    await page.keyboard.press('Space');
    await tabTo(page, (el) => el.name === 'steps[0].control_device_id');
    await page.keyboard.press('ArrowDown');
    await poll(() => page.locator('#control-area').innerText()).toContain('+79161234567');
    expect(await page.evaluate(() => (document.activeElement as HTMLSelectElement | null)?.name)).toBe('steps[0].control_device_id');
    await tabTo(page, (el) => el.name === 'steps[0].command.command_id');
    // Arrow keys walk the catalog (Cyrillic type-ahead is not typed as key events here).
    const command = page.locator('select[name="steps[0].command.command_id"]');
    for (let i = 0; i < 50 && (await command.inputValue()) !== '12_0_minutes_1'; i++) await page.keyboard.press('ArrowDown');
    expect(await command.inputValue()).toBe('12_0_minutes_1');
    await tabTo(page, (el) => el.name === 'steps[0].command.params.minutes');
    await page.keyboard.type('5');
    await poll(() => page.locator('#sms-rendered').innerText()).toContain('#12#0#5#1#');
    await shot(page, '08-keyboard-action');
    await tabTo(page, (el) => el.text.startsWith('Next'));
    await page.keyboard.press('Enter');
    await poll(() => page.locator('h2').innerText()).toContain('Step 5 of 5');
    await tabTo(page, (el) => el.text.startsWith('Save'));
    await page.keyboard.press('Enter');
    await page.waitForURL(/msg=saved/);
    await poll(() => page.locator('table.jobs').innerText()).toContain('Плеер Касса 3');
    await page.context().close();
  });

  it('fits a 375 px phone screen', async () => {
    const page = await signedIn(live.tokens.a, { width: 375 });
    await page.goto(`${live.url}/ui/sites`);
    await shot(page, '09-phone-sites');
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    await page.goto(`${live.url}/ui/jobs`);
    await shot(page, '10-phone-jobs');
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    await page.goto(`${live.url}/ui/jobs/new`);
    await page.getByRole('button', { name: 'Выбрать: Плеер Холл 2' }).click();
    await page.locator('input[name=metric]').first().check();
    await page.getByRole('button', { name: /Далее/ }).click();
    await poll(() => page.locator('h2').innerText()).toContain('Шаг 3 из 5');
    await shot(page, '11-phone-condition');
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    await page.goto(`${live.url}/ui/executions`);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    await page.context().close();
  });
});
