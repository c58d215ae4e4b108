// Backup routes and carriers in the form (issue 19), over the hub's app in process: a control
// device's route ordered with the ↑/↓ buttons and saved (create and edit, If-Match), shown in the
// list; failover_after_s in the settings (seconds or never); every modem of a status v2 on the
// sites page (v1 still renders); the route a message took on the execution page; carriers and
// cost on the fleet page and its CSV. Russian and English.
import { describe, expect, it } from 'vitest';
import { scopeOf } from '../../hub/store/port.js';
import { moved, postedOrder, routeOf, shownOrder } from '../../hub/web/route-order.js';
import { routeText } from '../../hub/web/routes-controls.js';
import { translator } from '../../hub/web/i18n.js';
import { execution } from '../hub/store-contract-fixtures.js';
import { TOKENS } from '../hub/world.js';
import { createWebWorld, decodeEntities, WebClient, type WebWorld } from './helpers.js';

const errorOf = (html: string, field: string) => new RegExp(`data-error-for="${field.replace(/[[\]]/g, '\\$&')}"[^>]*>([^<]*)<`).exec(html)?.[1] ?? '';
/** The sites of the route form in the order shown, with their position text. */
const rows = (html: string) => [...html.matchAll(/<li data-site="([^"]+)">[\s\S]*?<span class="route-pos muted">([^<]*)<\/span>/g)].map((m) => `${m[1]}=${decodeEntities(m[2] ?? '')}`);
const orderOf = (html: string) => [...html.matchAll(/name="order" value="([^"]+)"/g)].map((m) => m[1] as string);

async function world(): Promise<WebWorld> {
  const w = await createWebWorld();
  for (const [id, name] of [['msk', 'Москва'], ['spb', 'Петербург'], ['kzn', 'Казань']] as const) await w.store.putSite({ id, platform_id: 'a', name, mqtt_password: null, created_at: new Date(w.clock.now()).toISOString() });
  return w;
}

const status = (site: string, over: Record<string, unknown>) => Buffer.from(JSON.stringify({ type: 'status', platform_id: 'a', site_id: site, state: 'online', at: new Date().toISOString(), ...over }));

describe('route order (pure)', () => {
  it('shows the route first, moves a row by one, and saves the ticked rows in the order shown', () => {
    const sites = ['a', 'b', 'c', 'd'];
    expect(shownOrder(['c', 'a', 'gone', 'c'], sites)).toEqual(['c', 'a', 'b', 'd']);
    expect(moved(['c', 'a', 'b', 'd'], 'up:b')).toEqual(['c', 'b', 'a', 'd']);
    expect(moved(['c', 'a', 'b', 'd'], 'down:b')).toEqual(['c', 'a', 'd', 'b']);
    // The ends, unknown sites and nonsense change nothing.
    expect(moved(['c', 'a'], 'up:c')).toEqual(['c', 'a']);
    expect(moved(['c', 'a'], 'down:a')).toEqual(['c', 'a']);
    expect(moved(['c', 'a'], 'up:zz')).toEqual(['c', 'a']);
    expect(moved(['c', 'a'], 'sideways:a')).toEqual(['c', 'a']);
    // A posted order made whole against the sites that exist now.
    expect(postedOrder(['d', 'x', 'b', 'd'], [], sites)).toEqual(['d', 'b', 'a', 'c']);
    // Without `order`: the ticked sites in the order posted come first.
    expect(postedOrder([], ['c', 'a'], sites)).toEqual(['c', 'a', 'b', 'd']);
    expect(routeOf(['d', 'b', 'a', 'c'], ['a', 'd'])).toEqual(['d', 'a']);
    // A ticked site the order does not show still reaches the API (which refuses an unknown one).
    expect(routeOf(['a', 'b'], ['b', 'zz'])).toEqual(['b', 'zz']);
    expect(routeText(translator('en'), ['a', 'b', 'c'])).toBe('home: a · backups: b, c');
    expect(routeText(translator('ru'), ['a'])).toBe('домашняя: a');
  });
});

describe('a control device route in the form', () => {
  it('orders backup sites with move buttons, saves the route in that order and shows it in the list (RU)', async () => {
    const w = await world();
    const b = new WebClient(w.app);
    await b.signIn(TOKENS.a);
    const page = await b.get('/ui/controls');
    expect(orderOf(page.text)).toEqual(['kzn', 'msk', 's1', 'spb']);
    // The default button of the form saves (Enter in a field), not a move.
    expect(page.text).toMatch(/<form method="post" action="\/ui\/controls" class="card narrow" id="control-form" novalidate=""><button type="submit" class="sr-only" tabindex="-1" aria-hidden="true">/);
    const key = /name="key" value="([^"]+)"/.exec(page.text)?.[1] ?? '';
    const base = { name: 'Реле', phone: '+79165550001', model: 'SIMPAL_D210', key };
    // Tick msk and spb; move spb up twice (above s1, then above msk): spb is home, msk backup.
    let order = orderOf(page.text);
    let r = await b.post('/ui/controls', { ...base, order, site_ids: ['msk', 'spb'], move: 'up:spb' });
    expect(r.status).toBe(200);
    expect(w.store.controlDevices('a').some((d) => d.name === 'Реле')).toBe(false);
    order = orderOf(r.text);
    expect(order).toEqual(['kzn', 'msk', 'spb', 's1']);
    expect(r.text).toMatch(/value="up:spb"[^>]*autofocus/);
    r = await b.post('/ui/controls', { ...base, order, site_ids: ['msk', 'spb'], move: 'up:spb' });
    order = orderOf(r.text);
    expect(rows(r.text)).toEqual(['kzn=не используется', 'spb=1 · домашняя', 'msk=2 · запасная', 's1=не используется']);
    // Values typed so far survive a move.
    expect(r.text).toContain('value="Реле"');
    // The first row cannot move up, the last cannot move down.
    expect(r.text).toMatch(/value="up:kzn"[^>]*disabled/);
    expect(r.text).toMatch(/value="down:s1"[^>]*disabled/);
    const saved = await b.post('/ui/controls', { ...base, order, site_ids: ['msk', 'spb'] });
    expect(saved.text).toContain('Устройство «Реле» добавлено.');
    const relay = w.store.controlDevices('a').find((d) => d.name === 'Реле');
    expect(relay?.site_ids).toEqual(['spb', 'msk']);
    expect(decodeEntities(saved.text)).toContain('домашняя: spb · запасные: msk');
  });

  it('edits a route with If-Match, refuses a stale form, and says errors on the field (EN)', async () => {
    const w = await world();
    const b = new WebClient(w.app, { 'accept-language': 'en' });
    await b.signIn(TOKENS.a);
    const edit = await b.get('/ui/controls/cd-a/edit');
    expect(edit.status).toBe(200);
    expect(rows(edit.text)[0]).toBe('s1=1 · home');
    const version = /name="version" value="([^"]*)"/.exec(edit.text)?.[1] ?? '';
    expect(version).not.toBe('');
    const base = { name: 'Socket a', phone: '+79160000001', model: 'SIMPAL_D210', version: decodeEntities(version) };
    // s1 moves below spb: spb is home now.
    expect(orderOf(edit.text)).toEqual(['s1', 'kzn', 'msk', 'spb']);
    const moved = await b.post('/ui/controls/cd-a/edit', { ...base, order: ['s1', 'msk', 'spb', 'kzn'], site_ids: ['s1', 'spb'], move: 'down:s1' });
    const order = orderOf(moved.text);
    expect(order).toEqual(['msk', 's1', 'spb', 'kzn']);
    const moved2 = await b.post('/ui/controls/cd-a/edit', { ...base, order, site_ids: ['s1', 'spb'], move: 'down:s1' });
    expect(rows(moved2.text).slice(0, 3)).toEqual(['msk=not used', 'spb=1 · home', 's1=2 · backup']);
    // Nothing ticked: the API's refusal on the route's field, in English.
    const none = await b.post('/ui/controls/cd-a/edit', { ...base, order: orderOf(moved2.text) });
    expect(none.status).toBe(400);
    expect(errorOf(none.text, 'site_ids')).toBe('Choose at least one');
    const ok = await b.post('/ui/controls/cd-a/edit', { ...base, order: orderOf(moved2.text), site_ids: ['s1', 'spb'] });
    expect(ok.location).toBe('/ui/controls?msg=control_saved');
    expect(w.store.controlDevices('a').find((d) => d.id === 'cd-a')?.site_ids).toEqual(['spb', 's1']);
    const list = await b.get(ok.location ?? '');
    expect(list.text).toContain('Device saved.');
    expect(list.text).toContain('home: spb · backups: s1');
    // The same (now stale) version again: not overwritten, the stored route shown.
    const stale = await b.post('/ui/controls/cd-a/edit', { ...base, order: ['kzn', 's1', 'spb', 'msk'], site_ids: ['kzn'] });
    expect(stale.status).toBe(409);
    expect(stale.text).toContain('Someone else changed this device.');
    expect(w.store.controlDevices('a').find((d) => d.id === 'cd-a')?.site_ids).toEqual(['spb', 's1']);
    expect(orderOf(stale.text).slice(0, 2)).toEqual(['spb', 's1']);
    // Another platform's device: not found.
    expect((await b.get('/ui/controls/cd-b/edit')).status).toBe(404);
  });
});

describe('failover in the remediation settings', () => {
  it('saves seconds or never, and refuses out-of-range seconds on the field', async () => {
    const w = await world();
    const b = new WebClient(w.app);
    await b.signIn(TOKENS.a);
    const page = await b.get('/ui/remediation');
    expect(page.text).toContain('Запасные площадки');
    expect(page.text).toMatch(/id="f-failover_mode-after"[^>]*checked/);
    expect(page.text).toMatch(/name="failover_after_s"[^>]*value="120"|value="120"[^>]*name="failover_after_s"/);
    const form = Object.fromEntries([...page.text.matchAll(/<input type="text"[^>]*?value="([^"]*)"[^>]*?name="([^"]+)"/g)].map((m) => [decodeEntities(m[2] ?? ''), decodeEntities(m[1] ?? '')]));
    delete form.url;
    // The correlation rule off (it needs someone to notify).
    Object.assign(form, { 'correlation.min_count': '', 'correlation.min_share': '' });
    const never = await b.post('/ui/remediation', { ...form, failover_mode: 'never', failover_after_s: '120' });
    expect(never.location).toBe('/ui/remediation?msg=saved');
    expect(w.store.remediationSettings('a', w.deps.remediationConfig.defaults).failover_after_s).toBeNull();
    expect((await b.get('/ui/remediation')).text).toMatch(/id="f-failover_mode-never"[^>]*checked/);
    await b.post('/ui/remediation', { ...form, failover_mode: 'after', failover_after_s: '300' });
    expect(w.store.remediationSettings('a', w.deps.remediationConfig.defaults).failover_after_s).toBe(300);
    const bad = await b.post('/ui/remediation', { ...form, failover_mode: 'after', failover_after_s: '5' });
    expect(bad.status).toBe(400);
    expect(errorOf(bad.text, 'failover_after_s')).toBe('Не меньше 10');
    expect(w.store.remediationSettings('a', w.deps.remediationConfig.defaults).failover_after_s).toBe(300);
  });
});

describe('modems and routes on the pages', () => {
  it('lists every modem of a status v2 and still renders a v1 status (RU and EN)', async () => {
    const w = await world();
    await w.sites.handleStatus({ platform_id: 'a', site_id: 'msk' }, status('msk', { v: 2, modem: { state: 'up' }, modems: [
      { id: 'mts', carrier: 'MTS', priority: 1, state: 'up', signal_dbm: -67, budget: { parts_per_hour: 30, parts_last_hour: 4 }, parts_today: 12, cost_today: 30.5, currency: 'RUB' },
      { id: 'tele2', carrier: 'Tele2', priority: 2, state: 'down', error: 'no SIM', budget: { parts_per_hour: null, parts_last_hour: 0 }, parts_today: 0, cost_today: 0, currency: 'RUB' },
    ] }));
    await w.sites.handleStatus({ platform_id: 'a', site_id: 'spb' }, status('spb', { v: 1, modem: { state: 'up', operator: 'Beeline', signal_dbm: -80 } }));
    const b = new WebClient(w.app);
    await b.signIn(TOKENS.a);
    const ru = decodeEntities((await b.get('/ui/sites')).text);
    const mts = /<li data-modem="mts">([\s\S]*?)<\/li>/.exec(ru)?.[1]?.replace(/<[^>]+>/g, '') ?? '';
    expect(mts).toBe('mts · оператор MTS · работает · -67 dBm · 4 из 30 частей в час · сегодня 12 частей · 30,5 RUB');
    const tele2 = /<li data-modem="tele2">([\s\S]*?)<\/li>/.exec(ru)?.[1]?.replace(/<[^>]+>/g, '') ?? '';
    expect(tele2).toBe('tele2 · оператор Tele2 · не отвечает · no SIM · 0 частей за час, без лимита · сегодня 0 частей · 0 RUB');
    expect(ru).toContain('работает · Beeline');
    const en = decodeEntities((await b.get('/ui/sites?lang=en')).text);
    expect(en).toContain('4 of 30 parts per hour');
    expect(en).toContain('12 parts today');
    expect(en).toContain('30.5 RUB');
  });

  it('shows the route a message took: each hop, then the current site and modem (RU and EN)', async () => {
    const w = await world();
    const e = execution('a', 'ex-route', { state: 'delivered' });
    const m = e.messages[0];
    if (!m) throw new Error('no message');
    e.messages[0] = { ...m, site_id: 'spb', attempt: 3, modem: 'mts', hops: [{ site_id: 'msk', first_attempt: 1, last_attempt: 2, state: 'unacknowledged', left_because: 'offline', left_at: '2026-12-07T09:00:00.000Z' }] };
    await w.deps.port.executions.put(scopeOf('a'), e);
    const b = new WebClient(w.app);
    await b.signIn(TOKENS.a);
    const ru = decodeEntities((await b.get('/ui/executions/ex-route')).text);
    const route = (html: string) => (/<ol class="hops"[^>]*>([\s\S]*?)<\/ol>/.exec(html)?.[1] ?? '').split('</li>').map((x) => x.replace(/<[^>]+>/g, '').trim()).filter(Boolean);
    const [hop, now] = route(ru);
    expect(hop).toMatch(/^msk · попытки 1–2 · .+ · ушли .*2026.*: агент площадки без связи$/);
    expect(now).toBe('сейчас: spb · модем mts');
    const en = route(decodeEntities((await b.get('/ui/executions/ex-route?lang=en')).text));
    expect(en[0]).toMatch(/^msk · attempts 1–2 · .+ · left .*2026.*: the site's agent was offline$/);
    expect(en[1]).toBe('now: spb · modem mts');
    // Another platform does not see it.
    const other = new WebClient(w.app);
    await other.signIn(TOKENS.b);
    expect((await other.get('/ui/executions/ex-route')).status).toBe(404);
  });

  it('reports carriers and cost on the fleet page and in its CSV', async () => {
    const w = await world();
    await w.sites.handleStatus({ platform_id: 'a', site_id: 'msk' }, status('msk', { v: 2, modems: [{ id: 'mts', carrier: 'MTS', priority: 1, state: 'up', parts_today: 4, cost_today: 10, currency: 'RUB' }] }));
    const at = '2026-11-20T09:00:00.000Z';
    const e = execution('a', 'ex-cost', { created_at: at });
    const m = e.messages[0];
    if (!m) throw new Error('no message');
    e.messages[0] = { ...m, site_id: 'msk', modem: 'mts', parts: 30, dispatched_at: at };
    await w.deps.port.executions.put(scopeOf('a'), e);
    const b = new WebClient(w.app, { 'accept-language': 'en' });
    await b.signIn(TOKENS.a);
    // 30 days (the clock is at 2026-11-23 10:00 UTC).
    const range = '?since=2026-10-24&until=2026-11-22';
    const page = decodeEntities((await b.get(`/ui/fleet${range}`)).text);
    const row = /<tr data-site="msk">([\s\S]*?)<\/tr>/.exec(page)?.[1] ?? '';
    const cells = [...row.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((c) => (c[1] ?? '').replace(/<[^>]+>/g, '').trim());
    // 30 parts over the 30 days of the range, 2.5 RUB a part: 2.5 RUB a day.
    expect(cells).toEqual(['msk', '30', 'mts · MTS · 30 · Price per part: 2.5 RUB', '4', '10 RUB', '2.5 RUB']);
    expect(page).toMatch(/Platform total:.*Cost today: 10 RUB · Daily estimate: 2\.5 RUB/);
    const csv = await b.get(`/ui/fleet/carriers.csv${range}`);
    expect(csv.status).toBe(200);
    const lines = csv.text.trim().split(/\r?\n/);
    expect(lines[0]).toBe('platform_id,site_id,modem,carrier,state,parts,parts_today,cost_today,currency,price_per_part,daily_cost_estimate,site_daily_cost_estimate');
    expect(lines).toContain('a,msk,mts,MTS,up,30,4,10,RUB,2.5,2.5,2.5');
    const ru = decodeEntities((await b.get(`/ui/fleet${range}&lang=ru`)).text);
    expect(ru).toContain('Операторы и расходы');
    expect(ru).toContain('2,5 RUB');
  });
});
