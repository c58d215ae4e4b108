// The remediation pages in a real browser (Debian's chromium through playwright-core) against a
// live hub with a real Prometheus: on-call settings saved through the form, a power-cycle playbook
// built in the wizard (plain words + dry run) and saved; a correlated failure of the fleet opens
// an incident that is released from the incidents page; an execution cancelled from its page;
// the fleet page with its chart. Screenshots go to test-artifacts/web/.
import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { a11yProblems, launchChromium, problemsOf, signedInPage } from './browser-a11y.js';
import { type LiveHub, setDevice, startLiveHub } from './live-hub.js';

const poll = <T>(fn: () => T | Promise<T>, timeout = 15_000) => expect.poll(fn, { timeout, interval: 100 });

const SHOTS = new URL('../../test-artifacts/web/', import.meta.url).pathname;
let live: LiveHub;
let browser: Browser;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  live = await startLiveHub({ config: { remediation: { settle_s: 0 } } });
  browser = await launchChromium();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await live?.stop();
});

const signedIn = (token: string, locale?: string, width?: number): Promise<Page> => signedInPage(browser, live.url, token, locale, width);


async function shot(page: Page, name: string) {
  await page.screenshot({ path: `${SHOTS}${name}.png`, fullPage: true });
  expect(problemsOf(page), name).toEqual([]);
  expect(await a11yProblems(page), name).toEqual([]);
}

async function api(token: string, method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${live.url}/api/v1${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
  const json = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${method} ${path}: ${JSON.stringify(json)}`);
  return json;
}

describe('remediation pages in chromium', () => {
  it('saves the on-call list, then builds a power-cycle playbook in the wizard and saves it', { timeout: 60_000 }, async () => {
    const page = await signedIn(live.tokens.a);
    // Settings: one person on call, people are texted through moscow-1.
    await page.getByRole('link', { name: 'Реакция' }).click();
    await page.getByLabel('Имя 1').fill('Дежурный Иван');
    await page.getByLabel('Телефон 1').fill('+79995550011');
    await page.getByLabel('Площадка для SMS людям').selectOption('moscow-1');
    await page.getByRole('button', { name: 'Сохранить настройки' }).click();
    await page.waitForURL(/msg=saved/);
    expect(await page.getByLabel('Телефон 1').inputValue()).toBe('+79995550011');
    await shot(page, 'r01-settings');

    await page.goto(`${live.url}/ui/jobs/new`);
    await page.getByLabel('Поиск устройства').fill('Холл 2');
    await poll(() => page.locator('#device-results li').count()).toBe(1);
    await page.getByRole('button', { name: 'Выбрать: Плеер Холл 2' }).click();
    await poll(() => page.locator('h2').first().innerText()).toContain('Шаг 2 из 5');
    await page.locator('label', { hasText: 'signage_device_online' }).locator('input').check();
    await page.getByRole('button', { name: /Далее/ }).click();
    await poll(() => page.locator('h2').first().innerText()).toContain('Шаг 3 из 5');
    await page.getByLabel('Оператор').selectOption('==');
    await page.getByLabel('Порог').fill('0');
    await page.getByRole('button', { name: /Далее/ }).click();

    // 4: the socket is a SimPal D210, so the power-cycle choice shows up.
    await poll(() => page.locator('h2').first().innerText()).toContain('Шаг 4 из 5');
    await page.locator('label.site', { hasText: 'Москва' }).locator('input').check();
    await page.getByLabel('Управляемое устройство').selectOption({ label: 'Розетка Холл (SIMPAL_D210)' });
    const choice = page.getByLabel('Перезагрузка питания с проверкой (SimPal)');
    await poll(() => choice.count()).toBe(1);
    await choice.check();
    await poll(() => page.getByLabel('Первое отключение, мин').count()).toBe(1);
    await page.getByLabel('Первое отключение, мин').fill('2');
    await page.getByLabel('Долгое отключение, мин').fill('6');
    await page.getByLabel('Время загрузки, с').fill('240');
    await page.getByLabel('Через площадку').selectOption('moscow-1');
    await shot(page, 'r02-power-cycle');
    await page.getByRole('button', { name: /Далее/ }).click();

    // 5: the steps in plain words and the dry run: who would get what.
    await poll(() => page.locator('h2').first().innerText()).toContain('Шаг 5 из 5');
    const steps = page.locator('#review-steps li');
    await poll(() => steps.count()).toBe(7);
    expect(await steps.nth(1).innerText()).toBe('Подождать 2 мин');
    expect(await steps.nth(2).innerText()).toContain('Проверить в течение 4 мин');
    const dry = page.locator('#playbook-dry-run');
    await poll(() => dry.innerText()).toContain('+79161234567');
    expect(await dry.innerText()).toContain('#12#0#2#1#');
    expect(await dry.innerText()).toContain('+79995550011');
    await shot(page, 'r03-review');
    await page.getByLabel('Название').fill('Перезагрузка Холл 2');
    await page.getByRole('button', { name: 'Сохранить задание' }).click();
    await page.waitForURL(/\/ui\/jobs\?msg=saved/);
    const job = live.hub.store.jobs('a').find((j) => j.name === 'Перезагрузка Холл 2');
    expect((job?.steps as Array<{ type: string }> | undefined)?.map((s) => s.type)).toEqual(['send', 'wait', 'verify', 'send', 'wait', 'verify', 'notify']);

    // Editing it opens the same choice with the same values.
    await page.goto(`${live.url}/ui/jobs/${job?.id}/edit`);
    await page.getByRole('button', { name: /Действие/ }).click();
    await poll(() => page.getByLabel('Долгое отключение, мин').inputValue()).toBe('6');
    await page.context().close();
  });

  it('opens an incident on a correlated failure, shows it on the jobs list, and releases it', { timeout: 60_000 }, async () => {
    const t = live.tokens.a;
    // Any two trips within the window make an incident.
    // (An incident must notify someone: the on-call list through the site's modem.)
    await api(t, 'PUT', '/remediation/settings', { on_call: [{ name: 'Дежурный', phone: '+79990000077' }], notify_site_id: 'moscow-1', correlation: { window_s: 600, min_count: 2, min_share: null, share_min_count: 2 } });
    const jobIds: string[] = [];
    for (const id of ['hall-1', 'kassa-3']) {
      const job = await api(t, 'POST', '/jobs', {
        device: { key_type: 'device_id', key: id, name: id },
        conditions: [{ metric: 'node_cpu_temperature_celsius', op: '>', value: 100 }],
        for_s: 0,
        cooldown_s: 3600,
        steps: [{ type: 'send', site_id: 'moscow-1', control_device_id: live.controls.a, command: { kind: 'text', text: `reboot ${id}` } }],
      });
      jobIds.push(job.id as string);
    }
    // Both jobs first see their device healthy: a device failing before its job existed opens no incident.
    for (const id of jobIds) await poll(async () => ((await api(t, 'GET', `/jobs/${id}`)).status as { values: Record<string, number | null> | null }).values?.node_cpu_temperature_celsius != null, 30_000).toBe(true);
    setDevice('a', 'hall-1', { temp: 120 });
    setDevice('a', 'kassa-3', { temp: 130 });
    const page = await signedIn(t);
    await poll(async () => {
      await page.goto(`${live.url}/ui/jobs`);
      return page.locator('#incident-banner').count();
    }, 30_000).toBe(1);
    expect(await page.locator('#incident-banner').innerText()).toMatch(/задержано устройств — 2/);
    await shot(page, 'r04-incident-banner');
    await page.getByRole('link', { name: 'Открыть инциденты' }).click();
    const row = page.locator('table.incidents tr[data-incident-id]');
    await poll(() => row.count()).toBe(1);
    expect(await row.innerText()).toContain('hall-1');
    expect(await row.innerText()).toContain('kassa-3');
    await shot(page, 'r05-incidents');
    await row.getByRole('link', { name: /Отпустить/ }).click();
    await shot(page, 'r06-release-confirm');
    await page.getByRole('button', { name: 'Да, отпустить' }).click();
    await page.waitForURL(/msg=released/);
    expect(await page.locator('.banner.ok').innerText()).toMatch(/продолжено выполнений: 2/);
    expect(await page.locator('#no-open-incidents').count()).toBe(1);
    setDevice('a', 'hall-1', { temp: 71.5 });
    setDevice('a', 'kassa-3', { temp: 44 });

    // A resumed execution: its page shows the messages and can be cancelled.
    await page.goto(`${live.url}/ui/executions?job_id=${jobIds[0]}`);
    await page.locator('table a').first().click();
    await poll(() => page.locator('#exec-timeline').innerText()).toMatch(/задержано инцидентом[\s\S]*отпущено/);
    expect(await page.locator('#exec-summary').innerText()).toMatch(/Инцидент/);
    await poll(async () => {
      await page.reload();
      return page.locator('#exec-messages').innerText();
    }).toContain('reboot hall-1');
    await shot(page, 'r07-execution');
    expect(await page.locator('#cancel-form').count()).toBe(1);
    await page.getByRole('button', { name: 'Остановить выполнение' }).click();
    await page.waitForURL(/msg=cancelled/);
    expect(await page.locator('#exec-timeline').innerText()).toContain('остановлено');
    expect(await page.locator('#cancel-form').count()).toBe(0);
    await page.context().close();
  });

  it('shows the fleet report with its chart, in English too', { timeout: 30_000 }, async () => {
    const page = await signedIn(live.tokens.a);
    await page.getByRole('link', { name: 'Сводка' }).click();
    const chart = page.locator('#daily-chart svg.bars');
    await poll(() => chart.isVisible()).toBe(true);
    expect(await page.locator('#daily-chart g.day').count()).toBe(30);
    await poll(async () => {
      await page.reload();
      return page.locator('#daily-chart rect[data-count]').count();
    }).toBeGreaterThan(0);
    // Reports count finished executions only (issue 21): the cancelled one, not the one still running.
    expect(Number(await page.locator('#fleet-tiles dd').first().innerText())).toBeGreaterThanOrEqual(1);
    await shot(page, 'r08-fleet');
    const csv = await page.request.get(await page.locator('#by-device a.csv').getAttribute('href').then((h) => `${live.url}${h}`));
    expect(csv.status()).toBe(200);
    expect(csv.headers()['content-type']).toContain('text/csv');
    expect((await csv.text()).split('\r\n')[0]).toContain('device_key');
    await page.goto(`${live.url}/ui/fleet?lang=en`);
    expect(await page.locator('h1').innerText()).toBe('Fleet report');
    await shot(page, 'r09-fleet-en');
    await page.context().close();
  });

  it('reads at 390 px: chart text of 11 px or more, one date format, the execution heading inside the screen', { timeout: 30_000 }, async () => {
    const page = await signedIn(live.tokens.a, 'ru-RU', 390);
    await page.goto(`${live.url}/ui/fleet`);
    const sizes = await page.locator('#daily-chart svg.bars text').evaluateAll((els) => els.map((e) => e.getBoundingClientRect().height));
    expect(sizes.length).toBeGreaterThan(0);
    for (const h of sizes) expect(h).toBeGreaterThanOrEqual(11);
    const text = await page.locator('main').innerText();
    expect(text).not.toMatch(/\d{4}-\d{2}-\d{2}/);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await shot(page, 'r11-phone-fleet-390');
    await page.goto(`${live.url}/ui/executions`);
    const first = page.locator('table a[href*="/ui/executions/"]').first();
    // Every time on the page in the one format (dd.mm.yyyy, hh:mm:ss zone).
    for (const t of await page.locator('table a[href*="/ui/executions/"]').allInnerTexts()) expect(t).toMatch(/^\d{2}\.\d{2}\.\d{4}, \d{2}:\d{2}:\d{2} \S+$/);
    await first.click();
    await page.waitForURL(/\/ui\/executions\/[^/?]+$/);
    const h1 = await page.locator('h1').evaluate((e) => ({ scroll: e.scrollWidth, client: e.clientWidth, right: e.getBoundingClientRect().right }));
    expect(h1.scroll).toBeLessThanOrEqual(h1.client);
    expect(h1.right).toBeLessThanOrEqual(390);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await shot(page, 'r12-phone-execution-390');
    await page.context().close();
  });

  it('fits a 375 px phone screen', async () => {
    const page = await signedIn(live.tokens.a, 'ru-RU', 375);
    for (const p of ['incidents', 'fleet', 'remediation']) {
      await page.goto(`${live.url}/ui/${p}`);
      await shot(page, `r10-phone-${p}`);
      expect(await page.evaluate(() => document.documentElement.scrollWidth), p).toBeLessThanOrEqual(375);
    }
    await page.context().close();
  });
});
