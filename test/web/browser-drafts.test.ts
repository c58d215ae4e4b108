// Issue 17 in a real browser (Debian's chromium through playwright-core, a live hub with a real
// Prometheus): the wizard as pages (reload and Back on every step keep the draft, no form
// resubmission), two real posts of one draft make one job, two tabs editing one job get the
// conflict page (keep mine / take theirs / deleted meanwhile), an expired session returns to the
// draft after sign-in, and bad input is answered in the user's words on its field (RU and EN),
// at desktop and 390 px width, with the axe checks at 0 serious violations.
import { mkdirSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { a11yProblems, launchChromium } from './browser-a11y.js';
import { type LiveHub, startLiveHub } from './live-hub.js';

const poll = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 15_000, interval: 100 });
const SHOTS = new URL('../../test-artifacts/web/', import.meta.url).pathname;
const DRAFT_URL = /\/ui\/jobs\/draft\/[\w-]+\/(\d|conflict)$/;
const LIBRARY = /Invalid input|Неверный ввод|expected|ожидалось|received|получено/;
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

async function signIn(page: Page): Promise<void> {
  await page.getByLabel(/Токен платформы|Platform token/).fill(live.tokens.a);
  await page.getByRole('button', { name: /Войти|Sign in/ }).click();
}

async function context(lang: 'ru' | 'en', width = 1100): Promise<{ ctx: BrowserContext; page: Page }> {
  const ctx = await browser.newContext({ viewport: { width, height: 900 }, locale: lang === 'ru' ? 'ru-RU' : 'en-GB' });
  const page = await ctx.newPage();
  await page.goto(`${live.url}/ui/jobs`);
  await signIn(page);
  await page.waitForURL(/\/ui\/jobs$/);
  return { ctx, page };
}

async function check(page: Page, name: string, width?: number) {
  await page.screenshot({ path: `${SHOTS}${name}.png`, fullPage: true });
  expect(await a11yProblems(page), name).toEqual([]);
  if (width) expect(await page.evaluate(() => document.documentElement.scrollWidth), name).toBeLessThanOrEqual(width);
  expect(await page.locator('main').innerText(), name).not.toMatch(LIBRARY);
}

const heading = (page: Page) => page.locator('h2#step-title').innerText();

async function api(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${live.url}/api/v1${path}`, { method, headers: { authorization: `Bearer ${live.tokens.a}`, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
  return res.status === 204 ? {} : ((await res.json()) as Record<string, unknown>);
}

async function jobFor(name: string): Promise<string> {
  const job = await api('POST', '/jobs', {
    name,
    device: { key_type: 'device_id', key: 'kassa-3', name: 'Плеер Касса 3' },
    conditions: [{ metric: 'signage_device_online', op: '==', value: 0 }],
    for_s: 60,
    steps: [{ type: 'send', site_id: 'moscow-1', control_device_id: live.controls.a, command: { kind: 'catalog', command_id: '12_0_minutes_1', params: { minutes: 1 } } }],
  });
  return job.id as string;
}

describe('the wizard as pages (issue 17)', () => {
  it('keeps the draft on reload and Back on every step, and two posts of it make one job', { timeout: 120_000 }, async () => {
    const { ctx, page } = await context('ru');
    await page.goto(`${live.url}/ui/jobs/new`);
    await page.waitForURL(DRAFT_URL);
    await page.getByRole('button', { name: 'Выбрать: Плеер Холл 2' }).click();
    await poll(() => heading(page)).toContain('Шаг 2 из 5');
    await page.reload();
    expect(await heading(page)).toContain('Шаг 2 из 5');
    await page.locator('input[name=metric][value=node_cpu_temperature_celsius]').check();
    await page.getByRole('button', { name: /Далее/ }).click();
    await poll(() => heading(page)).toContain('Шаг 3 из 5');
    await page.getByLabel('Порог').fill('95');
    await page.getByRole('button', { name: /Далее/ }).click();
    await poll(() => heading(page)).toContain('Шаг 4 из 5');
    await page.reload();
    expect(await heading(page)).toContain('Шаг 4 из 5');
    await page.locator('label.site', { hasText: 'Москва' }).locator('input').check();
    await page.getByLabel('Управляемое устройство').selectOption({ label: 'Розетка Холл (SIMPAL_D210)' });
    const command = page.locator('select[name="steps[0].command.command_id"]');
    await poll(() => command.count()).toBe(1);
    // The command used most is the first one in the list.
    expect(await command.locator('option').nth(1).getAttribute('value')).toBe('12_0_minutes_1');
    await command.selectOption('12_0_minutes_1');
    const minutes = page.locator('input[name="steps[0].command.params.minutes"]');
    await poll(() => minutes.count()).toBe(1);
    await minutes.fill('1');
    await poll(() => page.locator('#sms-rendered').innerText()).toContain('#12#0#1#1#');
    await page.getByRole('button', { name: /Далее/ }).click();
    await poll(() => heading(page)).toContain('Шаг 5 из 5');
    // The review says what the command does.
    expect(await page.locator('dl.summary').first().innerText()).toContain('выключить питание на 1 минуту');
    await page.reload();
    expect(await heading(page)).toContain('Шаг 5 из 5');
    await check(page, '20-draft-review');

    // Back through every step: GET pages of the draft (no resubmission), values kept.
    const back = async (step: number) => {
      await page.goBack();
      await poll(() => page.url()).toMatch(DRAFT_URL);
      expect(await heading(page)).toContain(`Шаг ${step} из 5`);
    };
    await back(4);
    expect(await page.locator('input[name="steps[0].command.params.minutes"]').inputValue()).toBe('1');
    await back(3);
    expect(await page.getByLabel('Порог').inputValue()).toBe('95');
    await back(2);
    expect(await page.locator('input[name=metric][value=node_cpu_temperature_celsius]').isChecked()).toBe(true);
    await back(1);
    expect(await page.locator('main').innerText()).toContain('Плеер Холл 2');
    for (let i = 0; i < 4; i++) await page.goForward();
    await poll(() => heading(page)).toContain('Шаг 5 из 5');

    // Two real posts of the save form at once (a retry after a slow answer): one job.
    await page.getByLabel('Название').fill('Двойное сохранение');
    const statuses = await page.evaluate(async () => {
      const form = document.querySelector('form[data-wizard]') as HTMLFormElement;
      const body = () => {
        const fd = new FormData(form);
        fd.set('go', 'save');
        return new URLSearchParams(fd as unknown as Record<string, string>);
      };
      const rs = await Promise.all([fetch(form.action, { method: 'POST', body: body() }), fetch(form.action, { method: 'POST', body: body() })]);
      return rs.map((r) => r.url);
    });
    expect(statuses).toHaveLength(2);
    for (const u of statuses) expect(u).toMatch(/\/ui\/jobs\?msg=saved&job=/);
    // And the button pressed once more: still one job, and the banner names and links it.
    await page.getByRole('button', { name: 'Сохранить задание' }).click();
    await page.waitForURL(/msg=saved&job=/);
    const saved = live.hub.store.jobs('a').filter((j) => j.name === 'Двойное сохранение');
    expect(saved).toHaveLength(1);
    const banner = page.locator('.banner.ok');
    expect(await banner.innerText()).toContain('Задание «Двойное сохранение» сохранено.');
    expect(await banner.locator('a').getAttribute('href')).toBe(`/ui/jobs/${saved[0]?.id}/edit`);

    // The same job again: the review warns, naming the existing one.
    await page.goto(`${live.url}/ui/jobs/${saved[0]?.id}/clone`);
    await page.waitForURL(DRAFT_URL);
    await page.getByRole('button', { name: 'Выбрать: Плеер Холл 2' }).click();
    for (const step of [2, 3, 4]) {
      await poll(() => heading(page)).toContain(`Шаг ${step} из 5`);
      await page.getByRole('button', { name: /Далее/ }).click();
    }
    await poll(() => heading(page)).toContain('Шаг 5 из 5');
    expect(await page.locator('#duplicate').innerText()).toContain('«Двойное сохранение»');
    // Enter in the name field saves (not a redraw of the step).
    await page.getByLabel('Название').fill('Копия');
    await page.getByLabel('Название').press('Enter');
    await page.waitForURL(/msg=saved&job=/);
    expect(live.hub.store.jobs('a').filter((j) => j.name === 'Копия')).toHaveLength(1);
    await ctx.close();
  });

  it('two tabs editing one job: conflict page, keep mine, take theirs, deleted meanwhile', { timeout: 120_000 }, async () => {
    const id = await jobFor('Two tabs');
    const { ctx, page: a } = await context('en');
    const b = await ctx.newPage();
    const edit = async (p: Page) => {
      await p.goto(`${live.url}/ui/jobs/${id}/edit?lang=en`);
      await p.waitForURL(DRAFT_URL);
      await poll(() => heading(p)).toContain('Step 5 of 5');
    };
    const saveAs = async (p: Page, name: string) => {
      await p.getByLabel('Name').fill(name);
      await p.getByRole('button', { name: 'Save the job' }).click();
    };
    await edit(a);
    await edit(b);
    await saveAs(b, 'Theirs');
    await b.waitForURL(/msg=saved/);
    await saveAs(a, 'Mine');
    await a.waitForURL(/\/conflict$/);
    const text = await a.locator('main').innerText();
    expect(text).toContain('This job was changed by someone else since you opened it.');
    expect(await a.locator('[aria-labelledby="v-mine"]').innerText()).toContain('Mine');
    expect(await a.locator('[aria-labelledby="v-theirs"]').innerText()).toContain('Theirs');
    expect(live.hub.store.job(id)?.name).toBe('Theirs');
    await check(a, '21-conflict');
    await a.setViewportSize({ width: 390, height: 800 });
    await check(a, '22-conflict-phone', 390);
    await a.setViewportSize({ width: 1100, height: 900 });
    await a.getByRole('button', { name: 'Keep mine (save over theirs)' }).click();
    await a.waitForURL(/msg=saved/);
    expect(live.hub.store.job(id)?.name).toBe('Mine');

    // Take theirs: the draft becomes the saved job, nothing is written.
    await edit(a);
    await edit(b);
    await saveAs(b, 'Theirs again');
    await b.waitForURL(/msg=saved/);
    await saveAs(a, 'Mine again');
    await a.waitForURL(/\/conflict$/);
    await a.getByRole('button', { name: 'Take theirs (drop my changes)' }).click();
    await poll(() => heading(a)).toContain('Step 5 of 5');
    expect(await a.getByLabel('Name').inputValue()).toBe('Theirs again');
    expect(live.hub.store.job(id)?.name).toBe('Theirs again');

    // Deleted meanwhile: said in the user's words, the draft can become a new job.
    await api('DELETE', `/jobs/${id}`);
    await saveAs(a, 'Kept draft');
    await a.waitForURL(/\/conflict$/);
    const gone = await a.locator('main').innerText();
    expect(gone).toContain('This job was deleted by someone else while you were editing it.');
    expect(gone).not.toMatch(/not found|The server refused/);
    await check(a, '23-deleted-meanwhile');
    await a.getByRole('button', { name: 'Save my version as a new job' }).click();
    await a.waitForURL(/msg=saved/);
    expect(live.hub.store.jobs('a').filter((j) => j.name === 'Kept draft')).toHaveLength(1);
    await ctx.close();
  });

  it('returns to the draft after the session expired (390 px)', { timeout: 90_000 }, async () => {
    const { ctx, page } = await context('en', 390);
    await page.goto(`${live.url}/ui/jobs/new?lang=en`);
    await page.getByRole('button', { name: 'Choose: Плеер Холл 1' }).click();
    await poll(() => heading(page)).toContain('Step 2 of 5');
    await page.locator('input[name=metric][value=signage_device_online]').check();
    await page.getByRole('button', { name: /Next/ }).click();
    await poll(() => heading(page)).toContain('Step 3 of 5');
    const draftUrl = page.url();
    await check(page, '24-draft-phone-condition', 390);
    // The session ends (cookie gone); the next post goes to sign-in and back to the draft.
    await ctx.clearCookies();
    await page.getByRole('button', { name: /Next/ }).click();
    await page.waitForURL(/\/ui\/signin\?next=/);
    await signIn(page);
    await page.waitForURL(draftUrl);
    expect(await heading(page)).toContain('Step 3 of 5');
    expect(await page.locator('main').innerText()).toContain('signage_device_online');
    await ctx.close();
  });

  it('manages sites and control devices in the form (axe, 390 px)', { timeout: 60_000 }, async () => {
    const { ctx, page } = await context('ru', 390);
    await page.goto(`${live.url}/ui/sites`);
    await check(page, '27-sites-phone', 390);
    await page.getByRole('link', { name: /Новая площадка/ }).click();
    await page.getByLabel('Код площадки').fill('kazan-9');
    await page.getByLabel('Название').fill('Казань, склад');
    await page.getByRole('button', { name: 'Создать площадку' }).click();
    const secret = (await page.locator('#mqtt-password').innerText()).trim();
    expect(secret.length).toBeGreaterThanOrEqual(12);
    await check(page, '28-site-secret-phone', 390);
    expect(live.hub.store.site('a', 'kazan-9')?.name).toBe('Казань, склад');
    // The password is not shown again.
    await page.goto(`${live.url}/ui/sites`);
    expect(await page.content()).not.toContain(secret);
    await page.goto(`${live.url}/ui/controls`);
    await page.getByLabel('Номер SIM-карты устройства').fill('позвоните мне');
    await page.getByRole('button', { name: 'Добавить устройство' }).click();
    expect(await page.locator('[data-error-for="phone"]').innerText()).toBe('Номер в международном виде, например +79161234567');
    await check(page, '29-controls-error-phone', 390);
    await ctx.close();
  });

  for (const [lang, width] of [
    ['ru', 1100],
    ['en', 390],
  ] as const) {
    it(`answers bad input in the user's words on its field (${lang}, ${width} px)`, { timeout: 90_000 }, async () => {
      const ru = lang === 'ru';
      const { ctx, page } = await context(lang, width);
      await page.goto(`${live.url}/ui/jobs/new?lang=${lang}`);
      await page.getByRole('button', { name: ru ? 'Выбрать: Плеер Холл 1' : 'Choose: Плеер Холл 1' }).click();
      await poll(() => heading(page)).toContain(ru ? 'Шаг 2 из 5' : 'Step 2 of 5');
      // Next with no metric ticked.
      await page.getByRole('button', { name: ru ? /Далее/ : /Next/ }).click();
      await poll(() => page.locator('[data-error-for="conditions"]').innerText()).toBe(ru ? 'Отметьте хотя бы одну метрику' : 'Tick at least one metric');
      await page.locator('input[name=metric][value=node_cpu_temperature_celsius]').check();
      await page.getByRole('button', { name: ru ? /Далее/ : /Next/ }).click();
      await poll(() => heading(page)).toContain(ru ? 'Шаг 3 из 5' : 'Step 3 of 5');
      await page.locator('[name="conditions[0].value"]').fill('горячо');
      await page.locator('[name="for_min"]').fill('99999');
      await page.getByRole('button', { name: ru ? /Далее/ : /Next/ }).click();
      await poll(() => page.locator('[data-error-for="conditions[0].value"]').innerText()).toBe(ru ? 'Введите число' : 'Enter a number');
      expect(await page.locator('[data-error-for="for_min"]').innerText()).toBe(ru ? 'Не больше 10080 мин' : 'At most 10080 min');
      expect(await page.locator('[name="conditions[0].value"]').getAttribute('aria-invalid')).toBe('true');
      expect(await page.locator('[name="for_min"]').getAttribute('aria-invalid')).toBe('true');
      // The first field in error has the focus.
      await poll(() => page.evaluate(() => document.activeElement?.getAttribute('name'))).toBe('conditions[0].value');
      await check(page, `25-errors-condition-${lang}`, width);
      await page.locator('[name="conditions[0].value"]').fill('90');
      await page.locator('[name="for_min"]').fill('5');
      await page.getByRole('button', { name: ru ? /Далее/ : /Next/ }).click();
      await poll(() => heading(page)).toContain(ru ? 'Шаг 4 из 5' : 'Step 4 of 5');
      await page.locator('label.site', { hasText: 'Москва' }).locator('input').check();
      await page.locator('select[name="steps[0].control_device_id"]').selectOption({ label: 'Розетка Холл (SIMPAL_D210)' });
      await poll(() => page.locator('#control-area').innerText()).toContain('+79161234567');
      await page.locator('input[name="steps[0].command.kind"][value=text]').check();
      const text = page.locator('textarea[name="steps[0].command.text"]');
      await poll(() => text.count()).toBe(1);
      // The limit is on the page before it is hit, and marked once passed.
      const limit = page.locator('#sms-limit');
      expect(await limit.innerText()).toContain(ru ? 'Не больше 3 SMS' : 'At most 3 SMS');
      expect(await limit.getAttribute('class')).not.toContain('over');
      await text.fill('Ж'.repeat(300));
      await poll(() => limit.getAttribute('class')).toContain('over');
      await page.getByRole('button', { name: ru ? /Далее/ : /Next/ }).click();
      const err = page.locator('[data-error-for="steps[0].command.text"]');
      await poll(() => err.innerText()).toBe(ru ? 'Получится 5 SMS, можно не больше 3: сократите текст' : 'This takes 5 SMS, at most 3 allowed: shorten the text');
      expect(await text.getAttribute('aria-invalid')).toBe('true');
      await poll(() => page.evaluate(() => document.activeElement?.getAttribute('name'))).toBe('steps[0].command.text');
      await check(page, `26-errors-action-${lang}`, width);
      // The catalog in the user's language.
      await page.locator('input[name="steps[0].command.kind"][value=catalog]').check();
      const command = page.locator('select[name="steps[0].command.command_id"]');
      await poll(() => command.count()).toBe(1);
      await command.selectOption('12_0_minutes_1');
      await poll(() => page.locator('input[name="steps[0].command.params.minutes"]').count()).toBe(1);
      const label = await page.locator('label[for="f-steps-0-command-params-minutes"]').innerText();
      expect(label).toBe(ru ? 'Минуты (обязательно)' : 'Minutes (required)');
      if (!ru) expect(await command.locator('optgroup').nth(1).getAttribute('label')).not.toMatch(/[а-яё]/i);
      await ctx.close();
    });
  }
});
