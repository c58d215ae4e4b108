// Pages through app.request(): escaping, tenant isolation, the wizard's steps as form posts
// (validation errors next to their field, a job saved through the API), delete with confirmation.
import { describe, expect, it } from 'vitest';
import { TOKENS } from '../hub/world.js';
import { createWebWorld, WebClient, wizardState } from './helpers.js';
import { hashToken } from '../../hub/mqtt/passwords.js';
import type { Draft } from '../../hub/web/draft.js';
import { draftOwner } from '../../hub/web/drafts.js';

describe('web pages', () => {
  it('escapes what users and devices wrote', async () => {
    const w = await createWebWorld();
    await w.store.putJob(w.job('a', { name: '<script>alert(1)</script>', device: { key_type: 'device_id', key: 'dev-a-1', name: '"><img src=x onerror=alert(2)>' } }));
    const b = new WebClient(w.app);
    await b.signIn(TOKENS.a);
    const page = await b.get('/ui/jobs');
    expect(page.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page.text).not.toContain('<script>alert(1)');
    expect(page.text).not.toContain('<img src=x');
  });

  it('keeps tenants apart: platform b cannot list, open, clone, change or delete a job of a', async () => {
    const w = await createWebWorld();
    const job = w.job('a', { name: 'secret job of a' });
    await w.store.putJob(job);
    const b = new WebClient(w.app);
    await b.signIn(TOKENS.b);
    expect((await b.get('/ui/jobs')).text).not.toContain('secret job of a');
    for (const path of [`/ui/jobs/${job.id}/edit`, `/ui/jobs/${job.id}/clone`, `/ui/jobs/${job.id}/delete`]) {
      const r = await b.get(path);
      expect(r.status, path).toBe(404);
      expect(r.text).not.toContain('secret job of a');
    }
    await b.get('/ui/jobs');
    expect((await b.post(`/ui/jobs/${job.id}/delete`)).status).toBe(404);
    expect((await b.post(`/ui/jobs/${job.id}/disable`)).status).toBe(404);
    expect(w.store.job(job.id)).toMatchObject({ enabled: true, name: 'secret job of a' });
    // The device search of b never shows a's devices.
    const search = await b.get('/ui/jobs/wizard/devices?q=Player');
    expect(search.text).toContain('dev-b-1');
    expect(search.text).not.toContain('dev-a-1');
  });

  it('searches jobs on the server with paging and filters', async () => {
    const w = await createWebWorld();
    for (let i = 0; i < 25; i++) await w.store.putJob(w.job('a', { name: `job ${String(i).padStart(2, '0')}`, enabled: i % 5 !== 0 }));
    const b = new WebClient(w.app);
    await b.signIn(TOKENS.a);
    const first = await b.get('/ui/jobs');
    expect(first.text).toContain('Всего: 25');
    expect(first.text).toContain('Страница 1 из 2');
    expect((first.text.match(/data-job-id=/g) ?? []).length).toBe(20);
    const second = await b.get('/ui/jobs?offset=20');
    expect((second.text.match(/data-job-id=/g) ?? []).length).toBe(5);
    // "Next" carries the API's keyset cursor (fast at any depth); the page it opens is the same.
    const nextHref = /<a href="([^"]*)">[^<]*→<\/a>/.exec(first.text)?.[1]?.replace(/&amp;/g, '&') ?? '';
    expect(nextHref).toMatch(/[?&]cursor=[A-Za-z0-9_-]+/);
    expect(nextHref).toContain('offset=20');
    const byCursor = await b.get(nextHref);
    expect(byCursor.text).toContain('Страница 2 из 2');
    const ids = (t: string) => [...t.matchAll(/data-job-id="([^"]+)"/g)].map((m) => m[1]);
    expect(ids(byCursor.text)).toEqual(ids(second.text));
    const off = await b.get('/ui/jobs?enabled=false');
    expect(off.text).toContain('Всего: 5');
    const q = await b.get('/ui/jobs?q=job%2007');
    expect(q.text).toContain('Всего: 1');
    await w.store.putSite({ id: 's2', platform_id: 'a', name: 'Site two', mqtt_password: null, created_at: new Date(0).toISOString() });
    await w.store.putJob(w.job('a', { name: 'on s2', steps: [{ type: 'send', site_id: 's2', control_device_id: 'cd-a', command: { kind: 'text', text: 'x' }, expires_s: 900 }] }));
    const bySite = await b.get('/ui/jobs?site_id=s2');
    expect(bySite.text).toContain('Всего: 1');
    expect(bySite.text).toContain('on s2');
  });

  it('walks the wizard: device, metric, condition (error, then fixed), action, review, save', async () => {
    const w = await createWebWorld();
    const b = new WebClient(w.app);
    await b.signIn(TOKENS.a);
    let page = await b.get('/ui/jobs/new');
    expect(page.text).toContain('Шаг 1 из 5');
    expect(page.text).toContain('Player a1');
    expect(page.text).toMatch(/Player a2[\s\S]*?не в сети/);
    const post = async (form: Record<string, string | string[]>) => {
      page = await b.post('/ui/jobs/wizard', { ...wizardState(page.text), ...form });
      return page;
    };
    await post({ go: 'search', q: 'a3' });
    expect(page.text).toContain('dev-a-3');
    expect(page.text).not.toContain('dev-a-1');
    // Next without a device: the error sits by the device field.
    await post({ go: 'next' });
    expect(page.status).toBe(400);
    expect(page.text).toMatch(/data-error-for="device"[^>]*>[^<]+</);
    await post({ pick: JSON.stringify({ key_type: 'device_id', key: 'dev-a-3', name: 'Player a3' }) });
    expect(page.text).toContain('Шаг 2 из 5');
    expect(page.text).toContain('node_cpu_temperature_celsius');
    expect(page.text).toContain('сейчас: 63');
    await post({ go: 'next', metric: 'node_cpu_temperature_celsius' });
    expect(page.text).toContain('Шаг 3 из 5');
    const cond = { 'conditions[0].metric': 'node_cpu_temperature_celsius', 'conditions[0].op': '>', combine: 'and', for_min: '5', 'no_data.mode': 'ignore', no_data_min: '5', cooldown_min: '30' };
    await post({ ...cond, 'conditions[0].value': 'hot', go: 'next' });
    expect(page.status).toBe(400);
    expect(page.text).toContain('Шаг 3 из 5');
    expect(page.text).toMatch(/id="f-conditions-0-value"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*id="f-conditions-0-value"/);
    expect(page.text).toMatch(/data-error-for="conditions\[0\]\.value"[^>]*>[^<]+</);
    await post({ ...cond, 'conditions[0].value': '80', go: 'next' });
    expect(page.text).toContain('Шаг 4 из 5');
    await post({ 'steps[0].site_id': 's1', 'steps[0].control_device_id': 'cd-a', 'steps[0].command.kind': 'text', go: 'refresh' });
    expect(page.text).toContain('+79160000001');
    await post({ 'steps[0].site_id': 's1', 'steps[0].control_device_id': 'cd-a', 'steps[0].command.kind': 'text', 'steps[0].command.text': 'Перезагрузка {device}: {value}', go: 'next' });
    expect(page.text).toContain('Шаг 5 из 5');
    expect(page.text).toContain('Срабатывает, когда node_cpu_temperature_celsius выше 80 в течение 5 мин');
    expect(page.text).toContain('Мониторинг Player a3 - node_cpu_temperature_celsius &gt; 80');
    expect(page.text).toContain('Перезагрузка Player a3: 63');
    await post({ name: '', enabled: 'on', go: 'save' });
    expect(page.status).toBe(303);
    expect(page.location).toMatch(/^\/ui\/jobs\?msg=saved&job=/);
    const saved = w.store.jobs('a');
    expect(saved).toHaveLength(1);
    expect(saved[0]).toMatchObject({ name_auto: true, for_s: 300, cooldown_s: 1800, conditions: [{ metric: 'node_cpu_temperature_celsius', op: '>', value: 80 }] });
    expect((await b.get('/ui/jobs?msg=saved')).text).toContain('Мониторинг Player a3');
  });

  it('shows a refusal of the server next to the field (a catalog parameter)', async () => {
    const w = await createWebWorld();
    const b = new WebClient(w.app);
    await b.signIn(TOKENS.a);
    const job = w.job('a');
    await w.store.putJob(job);
    let page = await b.get(`/ui/jobs/${job.id}/edit`);
    expect(page.text).toContain('Шаг 5 из 5');
    page = await b.post('/ui/jobs/wizard', { ...wizardState(page.text), go: 'goto:4' });
    expect(page.text).toContain('Шаг 4 из 5');
    page = await b.post('/ui/jobs/wizard', {
      ...wizardState(page.text),
      'steps[0].site_id': 's1',
      'steps[0].control_device_id': 'cd-a',
      'steps[0].command.kind': 'catalog',
      'steps[0].command.command_id': '12_0_minutes_1',
      'steps[0].command.params.minutes': '1.5',
      go: 'next',
    });
    expect(page.status).toBe(400);
    expect(page.text).toMatch(/data-error-for="steps\[0\]\.command\.params\.minutes"[^>]*>[^<]+</);
    const check = await b.request('POST', '/ui/jobs/wizard/check', { _csrf: b.csrf, ...wizardState(page.text), 'steps[0].site_id': 's1', 'steps[0].control_device_id': 'cd-a', 'steps[0].command.kind': 'catalog', 'steps[0].command.command_id': '12_0_minutes_1', 'steps[0].command.params.minutes': '2' });
    const body = JSON.parse(check.text) as { errors: Record<string, string>; sms: { text: string } };
    expect(body.errors).toEqual({});
    expect(body.sms.text).toBe('#12#0#2#1#');
  });

  it('says a job was deleted meanwhile in the user\'s words, keeps the draft and saves it as a new job', async () => {
    const w = await createWebWorld();
    const job = w.job('a', { name: 'edited elsewhere' });
    await w.store.putJob(job);
    const b = new WebClient(w.app);
    await b.signIn(TOKENS.a);
    const page = await b.get(`/ui/jobs/${job.id}/edit`);
    await w.store.deleteJob(job.id);
    // The post redirects to the draft's conflict page (the client follows it).
    const conflict = await b.post('/ui/jobs/wizard', { ...wizardState(page.text), name: 'my new name', enabled: 'on', go: 'save' });
    expect(conflict.text).toContain('Это задание удалил кто-то другой, пока вы его редактировали');
    expect(conflict.text).not.toContain('job not found');
    expect(conflict.text).toContain('my new name');
    expect(w.store.jobs('a')).toHaveLength(0);
    const again = await b.post('/ui/jobs/wizard', { ...wizardState(conflict.text), go: 'save_new' });
    expect(again.location).toMatch(/^\/ui\/jobs\?msg=saved&job=/);
    expect(w.store.jobs('a').map((j) => j.name)).toEqual(['my new name']);
  });

  it('refuses the live check without the CSRF token', async () => {
    const w = await createWebWorld();
    const b = new WebClient(w.app);
    await b.signIn(TOKENS.a);
    await b.get('/ui/jobs/new');
    const res = await b.request('POST', '/ui/jobs/wizard/check', { step: '3' });
    expect(res.status).toBe(403);
    const ok = await b.request('POST', '/ui/jobs/wizard/check', { step: '3' }, { 'x-csrf-token': b.csrf });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.text)).toHaveProperty('preview');
  });

  it('edits a job in place (PUT) and clones one under an automatic name', async () => {
    const w = await createWebWorld();
    const job = w.job('a', { name: 'old name' });
    await w.store.putJob(job);
    const b = new WebClient(w.app);
    await b.signIn(TOKENS.a);
    let page = await b.get(`/ui/jobs/${job.id}/edit`);
    expect(page.text).toContain('Изменение задания');
    expect(page.text).toContain('value="old name"');
    page = await b.post('/ui/jobs/wizard', { ...wizardState(page.text), name: 'new name', go: 'save' });
    expect(page.location).toMatch(/^\/ui\/jobs\?msg=saved&job=/);
    expect(w.store.job(job.id)).toMatchObject({ name: 'new name', name_auto: false, created_at: job.created_at });
    page = await b.get(`/ui/jobs/${job.id}/clone`);
    expect(page.text).toContain('Шаг 1 из 5');
    // A complete copy may jump ahead; the steps before are checked on the way.
    page = await b.post('/ui/jobs/wizard', { ...wizardState(page.text), go: 'goto:5' });
    expect(page.text).toContain('Шаг 5 из 5');
    page = await b.post('/ui/jobs/wizard', { ...wizardState(page.text), go: 'goto:2' });
    expect(page.text).toContain('Шаг 2 из 5');
    for (let i = 2; i < 5; i++) page = await b.post('/ui/jobs/wizard', { ...wizardState(page.text), ...(i === 2 ? { metric: 'signage_device_online' } : {}), ...(i === 3 ? { 'conditions[0].metric': 'signage_device_online', 'conditions[0].op': '==', 'conditions[0].value': '0', for_min: '1', 'no_data.mode': 'ignore', no_data_min: '5', cooldown_min: '10', combine: 'and' } : {}), go: 'next' });
    expect(page.text).toContain('Шаг 5 из 5');
    page = await b.post('/ui/jobs/wizard', { ...wizardState(page.text), name: '', enabled: 'on', go: 'save' });
    expect(page.location).toMatch(/^\/ui\/jobs\?msg=saved&job=/);
    const jobs = w.store.jobs('a');
    expect(jobs).toHaveLength(2);
    expect(jobs.find((j) => j.id !== job.id)).toMatchObject({ name_auto: true, name: 'Мониторинг Player a - онлайн = 0', cooldown_s: 600 });
  });

  it('time windows and metrics: refresh, errors by field, add and remove', async () => {
    const w = await createWebWorld();
    const b = new WebClient(w.app);
    await b.signIn(TOKENS.a);
    let page = await b.get(`/ui/jobs/new`);
    page = await b.post('/ui/jobs/wizard', { ...wizardState(page.text), pick: JSON.stringify({ key_type: 'device_id', key: 'dev-a-1', name: 'Player a1' }) });
    // No metric ticked: the error sits by the metric list.
    page = await b.post('/ui/jobs/wizard', { ...wizardState(page.text), go: 'next' });
    expect(page.status).toBe(400);
    expect(page.text).toMatch(/data-error-for="conditions"[^>]*>[^<]+</);
    page = await b.post('/ui/jobs/wizard', { ...wizardState(page.text), metric: ['signage_device_online', 'node_cpu_temperature_celsius'], go: 'next' });
    expect(page.text).toContain('Условие 2');
    const cond = { 'conditions[0].value': '0', 'conditions[1].value': '90', 'conditions[0].op': '==', 'conditions[1].op': '>', combine: 'or', for_min: '0', 'no_data.mode': 'fire', no_data_min: '10', cooldown_min: '30' };
    page = await b.post('/ui/jobs/wizard', { ...wizardState(page.text), ...cond, windows_on: 'on', go: 'refresh', focus: 'windows_on' });
    expect(page.text).toContain('Интервал 1');
    expect(page.text).toContain('data-focus="windows_on"');
    page = await b.post('/ui/jobs/wizard', { ...wizardState(page.text), ...cond, windows_on: 'on', 'windows.tz': 'Europe/Moscow', 'windows.ranges[0].from': '25:00', 'windows.ranges[0].to': '20:00', go: 'add_range' });
    expect(page.text).toContain('Интервал 2');
    page = await b.post('/ui/jobs/wizard', { ...wizardState(page.text), ...cond, windows_on: 'on', 'windows.tz': 'Europe/Moscow', 'windows.ranges[0].from': '25:00', 'windows.ranges[0].to': '20:00', 'windows.ranges[0].days': ['1', '2'], 'windows.ranges[1].from': '10:00', 'windows.ranges[1].to': '18:00', go: 'next' });
    expect(page.status).toBe(400);
    expect(page.text).toMatch(/data-error-for="windows\.ranges\[0\]\.from"[^>]*>Время в виде ЧЧ:ММ/);
    expect(page.text).toMatch(/data-error-for="windows\.ranges\[1\]\.days"[^>]*>[^<]+</);
    page = await b.post('/ui/jobs/wizard', { ...wizardState(page.text), ...cond, windows_on: 'on', 'windows.tz': 'Europe/Moscow', 'windows.ranges[0].from': '08:00', 'windows.ranges[0].to': '20:00', 'windows.ranges[0].days': ['1', '2'], go: 'remove_range:1' });
    expect(page.text).not.toContain('Интервал 2');
    page = await b.post('/ui/jobs/wizard', { ...wizardState(page.text), ...cond, windows_on: 'on', 'windows.tz': 'Europe/Moscow', 'windows.ranges[0].from': '08:00', 'windows.ranges[0].to': '20:00', 'windows.ranges[0].days': ['1', '2'], go: 'next' });
    expect(page.text).toContain('Шаг 4 из 5');
    // Without script: choosing a control device and pressing Update shows its catalog.
    page = await b.post('/ui/jobs/wizard', { ...wizardState(page.text), 'steps[0].control_device_id': 'cd-a', 'steps[0].command.kind': 'catalog', go: 'refresh' });
    expect(page.text).toContain('Выключить питание на определенное время');
    const d = (await w.drafts.get('a', wizardState(page.text).draft_id, draftOwner(hashToken(TOKENS.a), 'a')))?.draft as Draft;
    expect(d).toMatchObject({ windows_on: true, combine: 'or', ranges: [{ days: [1, 2], from: '08:00', to: '20:00' }] });
    expect(d.conditions).toHaveLength(2);
  });

  it('deletes a job only after confirmation', async () => {
    const w = await createWebWorld();
    const job = w.job('a', { name: 'to delete' });
    await w.store.putJob(job);
    const b = new WebClient(w.app);
    await b.signIn(TOKENS.a);
    const confirm = await b.get(`/ui/jobs/${job.id}/delete`);
    expect(confirm.text).toContain('Задание «to delete» будет удалено');
    expect(w.store.job(job.id)).toBeDefined();
    const done = await b.post(`/ui/jobs/${job.id}/delete`);
    expect(done.location).toBe('/ui/jobs?msg=deleted');
    expect(w.store.job(job.id)).toBeUndefined();
  });

  it('shows executions with their timeline and sites with their state, without secrets', async () => {
    const w = await createWebWorld();
    const job = w.job('a');
    await w.store.putJob(job);
    const id = await w.remediation.fire(job, 'manual', {});
    const b = new WebClient(w.app);
    await b.signIn(TOKENS.a);
    const list = await b.get('/ui/executions');
    expect(list.text).toContain(job.name);
    const detail = await b.get(`/ui/executions/${id}`);
    expect(detail.text).toContain('Ход выполнения');
    // Timeline states and step names in the user's language; the message sent for the execution.
    expect(detail.text).toMatch(/<strong>создано<\/strong>/);
    expect(detail.text).toMatch(/Шаг 1 · команда<\/span> <strong>передано площадке/);
    expect(detail.text).toMatch(/id="exec-messages"[\s\S]*\+79160000001 ← s1/);
    const other = new WebClient(w.app);
    await other.signIn(TOKENS.b);
    expect((await other.get(`/ui/executions/${id}`)).status).toBe(404);
    const sites = await b.get('/ui/sites');
    expect(sites.text).toContain('Site a');
    expect(sites.text).not.toContain('scrypt$');
  });
});
