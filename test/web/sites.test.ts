// Sites and control devices managed in the form (issue 17), through the API in process: create
// a site (its MQTT password shown once), rotate it, delete with the API's refusal in the user's
// words; add and delete a control device; bad input answered on its field in RU and EN.
import { describe, expect, it } from 'vitest';
import { verifyPassword } from '../../hub/mqtt/passwords.js';
import { TOKENS } from '../hub/world.js';
import { createWebWorld, decodeEntities, WebClient } from './helpers.js';

const LIBRARY = /Invalid input|Неверный ввод|expected|ожидалось|must be|must name/;
const errorOf = (html: string, field: string) => new RegExp(`data-error-for="${field.replace(/[[\]]/g, '\\$&')}"[^>]*>([^<]*)<`).exec(html)?.[1] ?? '';
const password = (html: string) => /id="mqtt-password">([^<]+)</.exec(html)?.[1] ?? '';

describe('sites in the form', () => {
  it('creates a site showing its password once, rotates it, and deletes with the refusal in words', async () => {
    const w = await createWebWorld();
    await w.store.putJob(w.job('a'));
    const b = new WebClient(w.app);
    await b.signIn(TOKENS.a);
    const list = await b.get('/ui/sites');
    expect(list.text).toContain('href="/ui/sites/s1/password"');
    const form = await b.get('/ui/sites/new');
    expect(form.text).toContain('name="key"');
    // Bad id: said in Russian next to the field, marked.
    const bad = await b.post('/ui/sites/new', { id: 'Плохой код', name: '', key: /name="key" value="([^"]+)"/.exec(form.text)?.[1] ?? '' });
    expect(bad.status).toBe(400);
    expect(errorOf(bad.text, 'id')).toBe('До 63 знаков: латинские строчные буквы, цифры, _ и -');
    expect(errorOf(bad.text, 'name')).toBe('Заполните это поле');
    expect(bad.text).toMatch(/id="f-id"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*id="f-id"/);
    expect(bad.text).not.toMatch(LIBRARY);
    const created = await b.post('/ui/sites/new', { id: 'kazan-3', name: 'Казань', key: 'k-123456789012345' });
    expect(created.status).toBe(201);
    expect(created.headers.get('cache-control')).toBe('no-store');
    const first = password(created.text);
    expect(first.length).toBeGreaterThanOrEqual(12);
    const stored = w.store.site('a', 'kazan-3');
    expect(stored?.name).toBe('Казань');
    expect(verifyPassword(first, stored?.mqtt_password ?? '')).toBe(true);
    // Shown once: the list does not carry it.
    expect((await b.get('/ui/sites')).text).not.toContain(first);
    // The same id again: the API's refusal on the field.
    const twice = await b.post('/ui/sites/new', { id: 'kazan-3', name: 'Казань 2', key: 'k-other-123456789' });
    expect(errorOf(twice.text, 'id')).toBe('Такой код уже занят');

    // Rotate after confirmation: a new password, the old one stops working.
    expect((await b.get('/ui/sites/kazan-3/password')).text).toContain('Сменить пароль MQTT площадки «Казань»?');
    const rotated = await b.post('/ui/sites/kazan-3/password');
    const second = password(rotated.text);
    expect(second).not.toBe(first);
    const after = w.store.site('a', 'kazan-3')?.mqtt_password ?? '';
    expect(verifyPassword(second, after)).toBe(true);
    expect(verifyPassword(first, after)).toBe(false);

    // Another platform does not see the site, let alone rotate it.
    const other = new WebClient(w.app);
    await other.signIn(TOKENS.b);
    await other.get('/ui/sites');
    const foreign = await other.post('/ui/sites/kazan-3/password');
    expect(foreign.status).toBe(404);
    expect(verifyPassword(second, w.store.site('a', 'kazan-3')?.mqtt_password ?? '')).toBe(true);

    // Delete: a site used by a job is refused in the user's words; an unused one goes.
    await b.get('/ui/sites/s1/delete');
    const refused = await b.post('/ui/sites/s1/delete');
    expect(refused.status).toBe(409);
    expect(refused.text).toContain('Площадку «Site a» нельзя удалить: её используют задания.');
    expect(refused.text).not.toMatch(/job\(s\)/);
    expect(w.store.site('a', 's1')).toBeDefined();
    const gone = await b.post('/ui/sites/kazan-3/delete');
    expect(gone.location).toBe('/ui/sites?msg=site_deleted');
    expect(w.store.site('a', 'kazan-3')).toBeUndefined();
  });

  it('adds and deletes control devices, with errors in English on their fields', async () => {
    const w = await createWebWorld();
    await w.store.putJob(w.job('a'));
    const b = new WebClient(w.app, { 'accept-language': 'en' });
    await b.signIn(TOKENS.a);
    const page = await b.get('/ui/controls');
    expect(page.text).toContain('Socket a');
    expect(page.text).toContain('Sites the device takes commands from');
    const bad = await b.post('/ui/controls', { name: 'Relay', phone: 'call me', model: 'SIMPAL_D410', key: 'key-1234567890123' });
    expect(bad.status).toBe(400);
    expect(errorOf(bad.text, 'phone')).toBe('A number in international form, such as +79161234567');
    expect(errorOf(bad.text, 'site_ids')).toBe('Choose at least one');
    expect(bad.text).not.toMatch(LIBRARY);
    const ok = await b.post('/ui/controls', { name: 'Relay', phone: '+7 916 555-44-33', model: 'SIMPAL_D410', site_ids: 's1', key: 'key-abcdefghijkl' });
    expect(decodeEntities(ok.text)).toContain('Device "Relay" added.');
    const relay = w.store.controlDevices('a').find((d) => d.name === 'Relay');
    expect(relay).toMatchObject({ phone: '+79165554433', model: 'SIMPAL_D410', site_ids: ['s1'] });
    // In use by a job: refused in words; unused: deleted.
    const refused = await b.post('/ui/controls/cd-a/delete');
    expect(refused.status).toBe(409);
    expect(decodeEntities(refused.text)).toContain('Device "Socket a" cannot be deleted: jobs use it.');
    const gone = await b.post(`/ui/controls/${relay?.id}/delete`);
    expect(gone.location).toBe('/ui/controls?msg=control_deleted');
    expect(w.store.controlDevices('a').some((d) => d.name === 'Relay')).toBe(false);
  });
});
