// The remediation pages through app.request() against the hub's own API: the power-cycle choice
// of the wizard (template, plain words, playbook dry run, save, edit without losing steps), the
// settings form (API errors next to their field), webhooks (secret shown once, enable / disable,
// delete after confirmation), the fleet page with its CSV proxy, incidents, CSRF and tenancy.
import { describe, expect, it } from 'vitest';
import { remediationSettings } from '../../hub/model/remediation.js';
import { correlationConfig } from '../../hub/remediation/correlation.js';
import { powerCycleTemplate } from '../../hub/remediation/playbook.js';
import { ADMIN_TOKEN, TOKENS } from '../hub/world.js';
import { createWebWorld, decodeEntities, WebClient, wizardState } from './helpers.js';

async function signedIn(token = TOKENS.a) {
  const w = await createWebWorld();
  const b = new WebClient(w.app);
  await b.signIn(token);
  return { w, b };
}

const COND = { 'conditions[0].metric': 'signage_device_online', 'conditions[0].op': '==', 'conditions[0].value': '0', combine: 'and', for_min: '0', 'no_data.mode': 'ignore', no_data_min: '5', cooldown_min: '30' };
const STEP4 = { 'steps[0].site_id': 's1', 'steps[0].control_device_id': 'cd-a', 'steps[0].command.kind': 'catalog', 'steps[0].command.command_id': '12_0_minutes_1', 'steps[0].command.params.minutes': '1' };
const PC = { action_mode: 'power_cycle', 'pc.off_min': '2', 'pc.long_off_min': '6', 'pc.boot_s': '240', 'pc.notify.sms': 'on', 'pc.notify.sms.site_id': 's1' };

describe('wizard: power-cycle and verify', () => {
  it('offers the choice for a SimPal socket, builds the steps with the API, shows them and the dry run, saves them', async () => {
    const { w, b } = await signedIn();
    await b.get('/ui/remediation');
    const saved = await b.post('/ui/remediation', { 'on_call[0].name': 'Иван', 'on_call[0].phone': '+79995550011', notify_site_id: 's1', 'device_limit.max': '3', 'device_limit.window_s': '86400', 'sms_budget.per_hour': '60', 'correlation.window_s': '300', 'correlation.min_count': '10', 'correlation.min_share': '', 'correlation.share_min_count': '3' });
    expect(saved.location).toBe('/ui/remediation?msg=saved');
    let page = await b.get('/ui/jobs/new');
    const post = async (form: Record<string, string | string[]>) => (page = await b.post('/ui/jobs/wizard', { ...wizardState(page.text), ...form }));
    await post({ pick: JSON.stringify({ key_type: 'device_id', key: 'dev-a-2', name: 'Player a2' }) });
    await post({ metric: 'signage_device_online', go: 'next' });
    await post({ ...COND, go: 'next' });
    expect(page.text).toContain('Шаг 4 из 5');
    // One command stays the default; the choice shows for the D210 socket.
    await post({ ...STEP4, go: 'refresh' });
    expect(page.text).toMatch(/name="action_mode" value="command" checked/);
    expect(page.text).toContain('Перезагрузка питания с проверкой (SimPal)');
    // A number field holding words: the error sits next to it.
    await post({ ...STEP4, ...PC, 'pc.off_min': 'две', go: 'next' });
    expect(page.status).toBe(400);
    expect(page.text).toMatch(/data-error-for="pc\.off_min"[^>]*>Введите число</);
    await post({ ...STEP4, ...PC, go: 'next' });
    expect(page.text).toContain('Шаг 5 из 5');
    const steps = /<ol class="playbook" id="review-steps">([\s\S]*?)<\/ol>/.exec(page.text)?.[1] ?? '';
    expect(steps.match(/<li>/g)).toHaveLength(7);
    expect(decodeEntities(steps)).toContain('Подождать 2 мин');
    const dry = decodeEntities(/id="playbook-dry-run">([\s\S]*?)<\/section>/.exec(page.text)?.[1] ?? '');
    expect(dry).toContain('+79160000001');
    expect(dry).toContain('#12#0#2#1#');
    expect(dry).toContain('+79995550011 (дежурные)');
    // The people's SMS names the job by its automatic name before it is saved.
    expect(dry).toContain('«Мониторинг Player a2 - онлайн = 0: Player a2 не восстановлен');
    expect(dry).toMatch(/ожидание<\/span> · 2 мин/);
    await post({ name: 'PC a2', enabled: 'on', go: 'save' });
    expect(page.location).toBe('/ui/jobs?msg=saved');
    const job = w.store.jobs('a').find((j) => j.name === 'PC a2');
    expect(job?.steps).toEqual(powerCycleTemplate({ model: 'SIMPAL_D210', site_id: 's1', control_device_id: 'cd-a', off_min: 2, long_off_min: 6, boot_s: 240, notify: { sms: { site_id: 's1', to: 'on_call' }, webhooks: [] }, lang: 'ru' }));

    // Edit: opens on review with the steps; saving without touching them keeps them.
    page = await b.get(`/ui/jobs/${job?.id}/edit`);
    expect(page.text).toContain('id="review-steps"');
    await post({ name: 'PC a2 renamed', enabled: 'on', go: 'save' });
    expect(w.store.job(job?.id ?? '')).toMatchObject({ name: 'PC a2 renamed', steps: job?.steps });
    // Step 4 of the edit shows the same values.
    page = await b.get(`/ui/jobs/${job?.id}/edit`);
    await post({ go: 'goto:4' });
    expect(page.text).toMatch(/name="action_mode" value="power_cycle" checked/);
    expect(page.text).toMatch(/id="f-pc-long_off_min"[^>]*value="6"|value="6"[^>]*id="f-pc-long_off_min"/);
  });

  it('keeps a playbook the wizard cannot edit and shows it read-only', async () => {
    const { w, b } = await signedIn();
    const steps = [
      { type: 'send', site_id: 's1', control_device_id: 'cd-a', command: { kind: 'text', text: 'FIRST' }, expires_s: 900 },
      { type: 'wait', duration_s: 120 },
      { type: 'send', site_id: 's1', control_device_id: 'cd-a', command: { kind: 'text', text: 'SECOND' }, expires_s: 900 },
    ];
    const job = w.job('a', { name: 'custom', steps: steps as never });
    await w.store.putJob(job);
    let page = await b.get(`/ui/jobs/${job.id}/edit`);
    page = await b.post('/ui/jobs/wizard', { ...wizardState(page.text), go: 'goto:4' });
    expect(page.text).toContain('сценарий из 3 шагов');
    expect(decodeEntities(page.text)).toContain('Подождать 2 мин');
    page = await b.post('/ui/jobs/wizard', { ...wizardState(page.text), 'steps[0].site_id': 's1', 'steps[0].control_device_id': 'cd-a', action_mode: 'playbook', go: 'next' });
    expect(page.text).toContain('Шаг 5 из 5');
    page = await b.post('/ui/jobs/wizard', { ...wizardState(page.text), name: 'custom', enabled: 'on', go: 'save' });
    expect(page.location).toBe('/ui/jobs?msg=saved');
    expect(w.store.job(job.id)?.steps).toEqual(steps);
  });
});

describe('remediation settings', () => {
  it('shows the settings, puts the API refusal next to its field, saves, and keeps platforms apart', async () => {
    const { w, b } = await signedIn();
    let page = await b.get('/ui/remediation');
    expect(page.status).toBe(200);
    expect(page.text).toContain('Дежурные');
    const form = { 'on_call[0].name': 'Иван', 'on_call[0].phone': 'not a phone', notify_site_id: 's1', 'device_limit.max': '3', 'device_limit.window_s': '86400', 'sms_budget.per_hour': '60', 'correlation.window_s': '300', 'correlation.min_count': '10', 'correlation.min_share': '0.2', 'correlation.share_min_count': '3' };
    page = await b.post('/ui/remediation', form);
    expect(page.status).toBe(400);
    expect(page.text).toMatch(/data-error-for="on_call\[0\]\.phone"[^>]*>[^<]+</);
    expect(page.text).toContain('value="not a phone"');
    page = await b.post('/ui/remediation', { ...form, 'device_limit.max': 'x', 'on_call[0].phone': '+79995550011' });
    expect(page.text).toMatch(/data-error-for="device_limit\.max"[^>]*>Введите число</);
    page = await b.post('/ui/remediation', { ...form, 'on_call[0].phone': '+79995550011', 'correlation.min_share': '' });
    expect(page.location).toBe('/ui/remediation?msg=saved');
    page = await b.get('/ui/remediation?msg=saved');
    expect(page.text).toContain('Настройки сохранены');
    expect(page.text).toContain('value="+79995550011"');
    const other = new WebClient(w.app);
    await other.signIn(TOKENS.b);
    expect((await other.get('/ui/remediation')).text).not.toContain('+79995550011');
  });

  it('adds a webhook showing its secret once, disables, and deletes it after confirmation', async () => {
    const { b } = await signedIn();
    await b.get('/ui/remediation');
    const refused = await b.post('/ui/remediation/webhooks', { url: 'ftp://nowhere', enabled: 'on' });
    expect(refused.status).toBe(400);
    expect(refused.text).toMatch(/data-error-for="url"[^>]*>[^<]+</);
    const added = await b.post('/ui/remediation/webhooks', { url: 'https://ops.example.com/hook', secret: 'my-own-secret-0123456789', enabled: 'on' });
    expect(added.status).toBe(200);
    expect(added.text).toMatch(/id="webhook-secret"[\s\S]*my-own-secret-0123456789/);
    const id = /data-webhook-id="([^"]+)"/.exec(added.text)?.[1] ?? '';
    expect(id).not.toBe('');
    const list = await b.get('/ui/remediation');
    expect(list.text).toContain('https://ops.example.com/hook');
    expect(list.text).not.toContain('my-own-secret-0123456789');
    const off = await b.post(`/ui/remediation/webhooks/${id}/disable`);
    expect(off.location).toBe('/ui/remediation?msg=wh_disabled_ok#webhooks');
    expect((await b.get('/ui/remediation')).text).toMatch(/ops\.example\.com\/hook<\/code> <span class="badge on-unknown">выключен/);
    const confirm = await b.get(`/ui/remediation/webhooks/${id}/delete`);
    expect(confirm.text).toContain('Удалить вебхук?');
    await b.post(`/ui/remediation/webhooks/${id}/delete`);
    expect((await b.get('/ui/remediation')).text).not.toContain('ops.example.com/hook');
  });
});

describe('fleet, incidents, executions', () => {
  it('renders the fleet page with the chart and serves the CSV through the session', async () => {
    const { w, b } = await signedIn();
    const page = await b.get('/ui/fleet?since=2026-11-01&until=2026-11-23');
    expect(page.status).toBe(200);
    expect(page.text.match(/<g class="day"/g)).toHaveLength(23);
    expect(page.text).toContain('id="fleet-tiles"');
    // Every site is listed with its modem uptime (unknown here: no agent ever reported).
    expect(page.text).toMatch(/id="report-sites"[\s\S]*<code>s1<\/code>[\s\S]*data-label="Модем в работе">—</);
    const csv = await b.get('/ui/fleet/devices.csv?since=2026-11-01&until=2026-11-23');
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toContain('text/csv');
    expect(csv.headers.get('content-disposition')).toBe('attachment; filename="gsmjobs-devices-2026-11-01-2026-11-23.csv"');
    expect(csv.text.split('\r\n')[0]).toContain('device_key');
    expect((await b.get('/ui/fleet/secrets.csv')).status).toBe(404);
    const anon = new WebClient(w.app);
    const res = await anon.get('/ui/fleet/devices.csv');
    expect(res.status).toBe(303);
  });

  it('shows an incident opened by a correlated failure on the jobs list and the incidents page, and releases it', async () => {
    const { w, b } = await signedIn();
    const jobs = [1, 2, 3].map((i) => w.job('a', { name: `watch ${i}`, device: { key_type: 'device_id', key: `dev-a-${i}`, name: `Player a${i}` } }));
    for (const j of jobs) await w.store.putJob(j);
    // People hear of it through a webhook (added through the page).
    await b.get('/ui/remediation');
    await b.post('/ui/remediation/webhooks', { url: 'https://ops.example.com/incidents', enabled: 'on' });
    // (On a fleet this small the default share rule needs 5 trips; this platform's needs 3.)
    await w.store.putRemediationSettings('a', { ...w.store.remediationSettings('a', remediationSettings.parse({})), correlation: correlationConfig.parse({ share_min_count: 3 }) });
    // All three devices of the platform trip in one cycle: the share rule opens an incident.
    const ids = await w.remediation.fireMany(jobs.map((job) => ({ job, reason: 'condition' as const, values: { signage_device_online: 0 } })));
    expect(ids.every((id) => w.store.execution(id ?? '')?.run.phase === 'held')).toBe(true);
    const list = await b.get('/ui/jobs');
    expect(list.text).toMatch(/id="incident-banner"[\s\S]*задержано устройств — 3/);
    let page = await b.get('/ui/incidents');
    const id = /data-incident-id="([^"]+)"/.exec(page.text)?.[1] ?? '';
    expect(id).not.toBe('');
    for (const k of ['dev-a-1', 'dev-a-2', 'dev-a-3']) expect(page.text).toContain(k);
    expect(page.text).toContain('Отпущенных инцидентов нет');
    // The held execution links to its incident.
    expect((await b.get(`/ui/executions/${ids[0]}`)).text).toContain(`/ui/incidents#inc-${id}`);
    // Another platform sees nothing of it and cannot release it.
    const other = new WebClient(w.app);
    await other.signIn(TOKENS.b);
    expect((await other.get('/ui/incidents')).text).not.toContain(id);
    expect((await other.get(`/ui/incidents/${id}/release`)).status).toBe(404);
    page = await b.get(`/ui/incidents/${id}/release`);
    expect(page.text).toContain('Отпустить инцидент?');
    expect(page.text).toContain('Задержанные выполнения (3, устройств: 3)');
    page = await b.post(`/ui/incidents/${id}/release`);
    expect(page.location).toBe('/ui/incidents?msg=released&resumed=3');
    page = await b.get(page.location ?? '');
    expect(page.text).toContain('продолжено выполнений: 3');
    expect(page.text).toContain('id="no-open-incidents"');
    expect(ids.every((x) => w.store.execution(x ?? '')?.run.phase !== 'held')).toBe(true);
    expect((await b.get('/ui/jobs')).text).not.toContain('id="incident-banner"');
    // The webhook's delivery of the incident is listed under it (no sender runs here: pending).
    const settings = await b.get('/ui/remediation');
    expect(settings.text).toMatch(/ops\.example\.com\/incidents[\s\S]*class="badge dl-pending">ждёт<\/span> incident\.opened/);
  });

  it('an admin signed in for a platform gets that platform\'s settings and CSV', async () => {
    const w = await createWebWorld();
    await w.store.putRemediationSettings('b', { ...w.store.remediationSettings('b', w.deps.remediationConfig.defaults), on_call: [{ name: 'B on call', phone: '+79990000002' }] });
    const b = new WebClient(w.app);
    const login = await b.get('/ui/signin');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(login.text)?.[1] ?? '';
    expect((await b.post('/ui/signin', { _csrf: csrf, token: ADMIN_TOKEN, platform_id: 'b' })).status).toBe(303);
    expect((await b.get('/ui/remediation')).text).toContain('value="+79990000002"');
    const csv = await b.get('/ui/fleet/sites.csv');
    expect(csv.status).toBe(200);
    expect(csv.text).toContain('b,s1,');
    expect(csv.text).not.toContain('a,s1,');
  });

  it('lists no incident when none is open, refuses a release without CSRF or of an unknown incident', async () => {
    const { b } = await signedIn();
    const page = await b.get('/ui/incidents');
    expect(page.text).toContain('Открытых инцидентов нет');
    expect((await b.get('/ui/jobs')).text).not.toContain('id="incident-banner"');
    expect((await b.request('POST', '/ui/incidents/nope/release', {})).status).toBe(403);
    expect((await b.get('/ui/incidents/nope/release')).status).toBe(404);
    expect((await b.post('/ui/incidents/nope/release')).status).toBe(404);
  });

  it('shows an execution with its messages and cancels a running one (CSRF required)', async () => {
    const { w, b } = await signedIn();
    const job = w.job('a', { steps: powerCycleTemplate({ model: 'SIMPAL_D210', site_id: 's1', control_device_id: 'cd-a', notify: { sms: { site_id: 's1', to: 'on_call' }, webhooks: [] }, lang: 'ru' }).slice(0, 3) as never });
    await w.store.putJob(job);
    const id = await w.remediation.fire(job, 'manual', {});
    let page = await b.get(`/ui/executions/${id}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('id="exec-messages"');
    expect(page.text).toMatch(/Шаг 1 · команда/);
    expect((await b.request('POST', `/ui/executions/${id}/cancel`, {})).status).toBe(403);
    expect(page.text).toContain('id="cancel-form"');
    page = await b.post(`/ui/executions/${id}/cancel`);
    expect(page.location).toBe(`/ui/executions/${id}?msg=cancelled`);
    page = await b.get(page.location ?? '');
    expect(page.text).toContain('Выполнение остановлено');
    expect(page.text).not.toContain('id="cancel-form"');
  });

  it('speaks English to an English user on every remediation page', async () => {
    const { w, b } = await signedIn();
    const job = w.job('a', { steps: powerCycleTemplate({ model: 'SIMPAL_D210', site_id: 's1', control_device_id: 'cd-a', notify: { sms: { site_id: 's1', to: 'on_call' }, webhooks: [] }, lang: 'en' }) as never });
    await w.store.putJob(job);
    const exec = await w.remediation.fire(job, 'manual', {});
    await b.get('/ui/jobs?lang=en');
    for (const path of ['/ui/incidents', '/ui/fleet', '/ui/remediation', `/ui/executions/${exec}`, '/ui/executions', `/ui/jobs/${job.id}/edit`]) {
      const page = await b.get(path);
      expect(page.status, path).toBe(200);
      // Everything but the language switch ("Русский") is English: no Cyrillic left in the page.
      const text = page.text.replace(/<a [^>]*lang="ru"[^>]*>Русский<\/a>/, '');
      expect(text.match(/[А-Яа-яЁё]+/g), path).toBeNull();
    }
  });
});
