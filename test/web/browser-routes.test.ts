// Backup routes in a real browser (Debian's chromium through playwright-core) against a live hub
// (issue 19): a dispatcher reorders a control device's sites with the ↑/↓ buttons at desktop
// width (mouse) and at 390 px (keyboard only), saves, and sees the route in the list and the
// store; an execution whose message moved from its home site to a backup shows the route taken,
// readable at 390 px. Screenshots go to test-artifacts/web/; every page is checked for basic
// accessibility and CSP errors like the other browser tests.
import { mkdirSync } from 'node:fs';
import mqtt from 'mqtt';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { siteTopic } from '../../hub/common/contract/index.js';
import { scopeOf } from '../../hub/store/port.js';
import { execution } from '../hub/store-contract-fixtures.js';
import { a11yProblems, launchChromium, problemsOf, signedInPage } from './browser-a11y.js';
import { type LiveHub, startLiveHub } from './live-hub.js';

/** Waits long enough for a loaded CI machine (vitest's default is 1 s). */
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

const signedIn = (token: string, locale?: string, width?: number): Promise<Page> => signedInPage(browser, live.url, token, locale, width);

async function shot(page: Page, name: string) {
  await page.screenshot({ path: `${SHOTS}${name}.png`, fullPage: true });
  expect(problemsOf(page), name).toEqual([]);
  expect(await a11yProblems(page), name).toEqual([]);
}

async function api(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${live.url}/api/v1${path}`, { method, headers: { authorization: `Bearer ${live.tokens.a}`, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
  const json = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${method} ${path}: ${JSON.stringify(json)}`);
  return json;
}

const positions = (page: Page) => page.locator('#route li').evaluateAll((lis) => lis.map((li) => `${li.getAttribute('data-site')}=${li.querySelector('.route-pos')?.textContent ?? ''}`));

describe('backup routes in chromium', () => {
  it('reorders a device route with the mouse at desktop width (RU)', { timeout: 60_000 }, async () => {
    const page = await signedIn(live.tokens.a, 'ru-RU', 1100);
    await page.getByRole('link', { name: 'Устройства' }).click();
    await poll(() => page.locator('#controls .route-text').first().innerText()).toBe('домашняя: moscow-1 · запасные: spb-2');
    await page.getByRole('link', { name: 'Изменить: Розетка Холл' }).click();
    await page.waitForURL(/\/controls\/.+\/edit$/);
    expect(await positions(page)).toEqual(['moscow-1=1 · домашняя', 'spb-2=2 · запасная']);
    await page.getByRole('button', { name: 'Ниже: Москва, ТЦ Север' }).click();
    await poll(() => positions(page)).toEqual(['spb-2=1 · домашняя', 'moscow-1=2 · запасная']);
    await shot(page, 'rt01-route-edit');
    await page.getByRole('button', { name: 'Сохранить устройство' }).click();
    await page.waitForURL(/msg=control_saved/);
    expect(await page.locator('#controls .route-text').first().innerText()).toBe('домашняя: spb-2 · запасные: moscow-1');
    const stored = await api('GET', `/control-devices/${live.controls.a}`);
    expect(stored.site_ids).toEqual(['spb-2', 'moscow-1']);
    await shot(page, 'rt02-route-list');
  });

  it('builds a route with the keyboard only at 390 px (EN)', { timeout: 60_000 }, async () => {
    await api('POST', '/sites', { id: 'kazan-3', name: 'Kazan depot' });
    const page = await signedIn(live.tokens.a, 'en-GB', 390);
    await page.goto(`${live.url}/ui/controls`);
    await page.getByLabel('Name').fill('Relay 390');
    await page.getByLabel("Phone number of the device's SIM").fill('+79165550390');
    // Shown in id order: kazan-3, moscow-1, spb-2. Tick spb-2 and kazan-3, then bring spb-2 to the top.
    await page.getByRole('checkbox', { name: /spb-2/ }).focus();
    await page.keyboard.press('Space');
    await page.getByRole('checkbox', { name: /kazan-3/ }).focus();
    await page.keyboard.press('Space');
    await page.getByRole('button', { name: 'Move up: Петербург, склад' }).focus();
    await page.keyboard.press('Enter');
    await poll(() => positions(page)).toEqual(['kazan-3=1 · home', 'spb-2=2 · backup', 'moscow-1=not used']);
    // The moved row's button keeps the focus: Enter again moves it once more.
    expect(await page.evaluate(() => document.activeElement?.getAttribute('value'))).toBe('up:spb-2');
    await page.keyboard.press('Enter');
    await poll(() => positions(page)).toEqual(['spb-2=1 · home', 'kazan-3=2 · backup', 'moscow-1=not used']);
    expect(await page.getByLabel('Name').inputValue()).toBe('Relay 390');
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await shot(page, 'rt03-route-390');
    // Enter in a text field saves (the form's default button), it does not move a site.
    await page.getByLabel('Name').focus();
    await page.keyboard.press('Enter');
    await poll(() => page.locator('.banner.ok').innerText()).toContain('Device "Relay 390" added.');
    const relay = ((await api('GET', '/control-devices')).items as Array<{ name: string; site_ids: string[] }>).find((d) => d.name === 'Relay 390');
    expect(relay?.site_ids).toEqual(['spb-2', 'kazan-3']);
  });

  it('shows the route a message took on the execution page, at 390 px and desktop', { timeout: 60_000 }, async () => {
    const e = execution('a', 'ex-browser-route', { state: 'delivered', created_at: new Date().toISOString() });
    const m = e.messages[0];
    if (!m) throw new Error('no message');
    e.messages[0] = { ...m, site_id: 'spb-2', attempt: 2, modem: 'tele2', parts: 1, hops: [{ site_id: 'moscow-1', first_attempt: 1, last_attempt: 1, state: 'failed', modem: 'mts', left_because: 'failed', left_at: new Date().toISOString() }] };
    await live.hub.port.executions.put(scopeOf('a'), e);
    for (const [width, locale, name] of [[390, 'ru-RU', 'rt04-exec-route-390'], [1100, 'en-GB', 'rt05-exec-route']] as const) {
      const page = await signedIn(live.tokens.a, locale, width);
      await page.goto(`${live.url}/ui/executions/ex-browser-route`);
      const hops = page.locator('ol.hops li');
      await poll(() => hops.count()).toBe(2);
      const [first, now] = await hops.allInnerTexts();
      if (locale === 'ru-RU') {
        expect(first).toMatch(/^moscow-1 · попытка 1 · .+ · модем mts · ушли .+: не смог отправить$/);
        expect(now).toBe('сейчас: spb-2 · модем tele2');
      } else {
        expect(first).toMatch(/^moscow-1 · attempt 1 · .+ · modem mts · left .+: it could not send$/);
        expect(now).toBe('now: spb-2 · modem tele2');
      }
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
      await shot(page, name);
    }
  });

  it('takes a status v2 over MQTT: every modem on the sites page at 390 px, and per-modem gauges on /metrics', { timeout: 60_000 }, async () => {
    const site = await api('POST', '/sites', { id: 'omsk-4', name: 'Омск, склад' });
    const agent = await mqtt.connectAsync(live.hub.broker?.url ?? '', { username: 'site/a/omsk-4', password: site.mqtt_password as string, clientId: 'web-test-agent-v2', reconnectPeriod: 0 });
    const status = {
      v: 2, type: 'status', platform_id: 'a', site_id: 'omsk-4', state: 'online', at: new Date().toISOString(), modem: { state: 'up', signal_dbm: -65 }, outbox: { depth: 0 },
      modems: [
        { id: 'mts', carrier: 'MTS', priority: 1, state: 'up', signal_dbm: -65, budget: { parts_per_hour: 30, parts_last_hour: 3 }, parts_today: 9, cost_today: 22.5, currency: 'RUB' },
        { id: 'tele2', carrier: 'Tele2', priority: 2, state: 'down', error: 'no SIM', parts_today: 0, cost_today: 0, currency: 'RUB' },
      ],
    };
    await agent.publishAsync(siteTopic({ platform_id: 'a', site_id: 'omsk-4' }, 'status'), JSON.stringify(status), { qos: 1, retain: true });
    await agent.endAsync();
    await poll(() => live.hub.sites.get('a', 'omsk-4')?.status.modems?.length ?? 0).toBe(2);
    const metrics = await (await fetch(`${live.url}/metrics`)).text();
    expect(metrics).toContain('gsmjobs_hub_modem_up{platform_id="a",site_id="omsk-4",modem="mts"} 1');
    expect(metrics).toContain('gsmjobs_hub_modem_up{platform_id="a",site_id="omsk-4",modem="tele2"} 0');
    expect(metrics).toContain('gsmjobs_hub_site_sms_parts_today{platform_id="a",site_id="omsk-4",modem="mts"} 9');
    expect(metrics).toContain('gsmjobs_hub_site_sms_cost_today{platform_id="a",site_id="omsk-4",modem="mts",currency="RUB"} 22.5');
    // The v1 site of the live hub: its one modem, unnamed.
    expect(metrics).toContain('gsmjobs_hub_modem_up{platform_id="a",site_id="moscow-1",modem=""} 1');
    const page = await signedIn(live.tokens.a, 'ru-RU', 390);
    await page.goto(`${live.url}/ui/sites`);
    const modems = page.locator('ul.modems li');
    await poll(() => modems.count()).toBe(2);
    expect(await modems.first().innerText()).toBe('mts · оператор MTS · работает · -65 dBm · 3 из 30 частей в час · сегодня 9 частей · 22,5 RUB');
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await shot(page, 'rt06-sites-modems-390');
  });
});
