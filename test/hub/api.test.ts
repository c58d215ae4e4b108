// The HTTP API through app.request(): jobs CRUD, filters, validation naming the field, dry run,
// trigger, executions, devices, sites, control devices, catalogs, platforms and tokens, health.
import { describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, createWorld, TOKENS } from './world.js';
import { caller, jobBody } from './api-helpers.js';

describe('API', () => {
  it('refuses requests without a valid token', async () => {
    const w = await createWorld();
    expect((await caller(w, null)('GET', '/api/v1/jobs')).status).toBe(401);
    expect((await caller(w, 'wrong-token-0000000000')('GET', '/api/v1/jobs')).status).toBe(401);
    expect((await caller(w, null)('GET', '/healthz')).status).toBe(200);
  });

  it('creates a job with an automatic name, lists, filters, reads, replaces, disables, deletes', async () => {
    const w = await createWorld();
    const api = caller(w, TOKENS.a);
    const created = await api('POST', '/api/v1/jobs', jobBody());
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ platform_id: 'a', name: 'Мониторинг Player a - онлайн = 0', name_auto: true, enabled: true, cooldown_s: 1800, status: { state: 'ok' } });
    expect(created.body.auto_names).toEqual({ ru: 'Мониторинг Player a - онлайн = 0', en: 'Monitoring Player a - online = 0' });
    const id = created.body.id as string;
    await api('POST', '/api/v1/jobs', jobBody({ name: 'Other', device: { key_type: 'device_id', key: 'dev-a-2', name: 'Second' } }));
    expect((await api('GET', '/api/v1/jobs')).body.total).toBe(2);
    expect((await api('GET', '/api/v1/jobs?key=dev-a-2')).body.items.map((j: { name: string }) => j.name)).toEqual(['Other']);
    expect((await api('GET', '/api/v1/jobs?q=player')).body.total).toBe(1);
    expect((await api('GET', '/api/v1/jobs?limit=1&offset=1')).body.items).toHaveLength(1);
    expect((await api('GET', `/api/v1/jobs/${id}`)).body.id).toBe(id);
    const replaced = await api('PUT', `/api/v1/jobs/${id}`, jobBody({ name: 'Renamed', cooldown_s: 60 }));
    expect(replaced.body).toMatchObject({ id, name: 'Renamed', name_auto: false, cooldown_s: 60, created_at: created.body.created_at });
    expect((await api('POST', `/api/v1/jobs/${id}/disable`)).body).toMatchObject({ enabled: false, status: { state: 'disabled' } });
    expect((await api('GET', '/api/v1/jobs?enabled=false')).body.total).toBe(1);
    expect((await api('POST', `/api/v1/jobs/${id}/enable`)).body.enabled).toBe(true);
    expect((await api('DELETE', `/api/v1/jobs/${id}`)).status).toBe(204);
    expect((await api('GET', `/api/v1/jobs/${id}`)).status).toBe(404);
  });

  it('errors name the field', async () => {
    const w = await createWorld();
    const api = caller(w, TOKENS.a);
    const bad = await api('POST', '/api/v1/jobs', jobBody({ conditions: [{ metric: 'x', op: '~', value: 1 }] }));
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 'invalid', field: 'conditions[0].op' });
    const param = await api('POST', '/api/v1/jobs', jobBody({ steps: [{ type: 'send', site_id: 's1', control_device_id: 'cd-a', command: { kind: 'catalog', command_id: '12_0_minutes_1', params: { minutes: 'soon' } } }] }));
    expect(param.body.error.field).toBe('steps[0].command.params.minutes');
    const site = await api('POST', '/api/v1/jobs', jobBody({ steps: [{ type: 'send', site_id: 'nowhere', control_device_id: 'cd-a', command: { kind: 'text', text: 'x' } }] }));
    expect(site.body.error.issues.map((i: { field: string }) => i.field)).toContain('steps[0].site_id');
    const json = await caller(w, TOKENS.a)('POST', '/api/v1/jobs', undefined);
    expect(json.body.error.field).toBe('device');
    const q = await api('GET', '/api/v1/jobs?limit=0');
    expect(q.body.error.field).toBe('limit');
  });

  it('dry run says what would happen without firing; trigger fires now', async () => {
    const w = await createWorld();
    const api = caller(w, TOKENS.a);
    w.prom.set('signage_device_online', { platform_id: 'a', device_id: 'dev-a-1', name: 'Player a' }, 0);
    const unsaved = await api('POST', '/api/v1/jobs/dry-run', jobBody({ for_s: 0 }));
    expect(unsaved.body).toMatchObject({ values: { signage_device_online: 0 }, conditions_hold: true, would_fire: true, sms: { to: '+79160000001', text: '#12#0#1#1#', parts: 1, encoding: 'gsm7', site_online: null } });
    const created = await api('POST', '/api/v1/jobs', jobBody());
    const dry = await api('POST', `/api/v1/jobs/${created.body.id}/dry-run`);
    expect(dry.body).toMatchObject({ would_fire: false, next_state: 'pending', reason: 'Условия выполняются, ждём 1 мин', reason_detail: { code: 'pending', params: { for_s: 60 } } });
    expect(w.store.executionList()).toHaveLength(0);
    const trig = await api('POST', `/api/v1/jobs/${created.body.id}/trigger`, {});
    expect(trig.status).toBe(202);
    await w.publisher.idle();
    const ex = await api('GET', `/api/v1/executions?job_id=${created.body.id}`);
    expect(ex.body.items[0]).toMatchObject({ id: trig.body.execution_id, state: 'dispatched', trigger: { reason: 'manual' } });
    const one = (await api('GET', `/api/v1/executions/${trig.body.execution_id}`)).body;
    expect(one.timeline.map((t: { state: string }) => t.state)).toEqual(['created', 'started', 'dispatched']);
    expect(one.run).toBeUndefined(); // internal state stays internal
    expect(one.playbook).toHaveLength(1);
    expect((await api('GET', '/api/v1/executions?state=delivered')).body.total).toBe(0);
    expect((await api('GET', '/api/v1/executions?since=2030-01-01T00:00:00Z')).body.total).toBe(0);
  });

  it('devices and their metrics with current values, from Prometheus, by platform', async () => {
    const w = await createWorld();
    w.prom.set('signage_device_online', { platform_id: 'a', device_id: '30785', name: 'Arzamas_Lesnaia_1' }, 1);
    w.prom.set('signage_device_last_seen_timestamp_seconds', { platform_id: 'a', device_id: '30785', name: 'Arzamas_Lesnaia_1' }, 1.7e9);
    w.prom.set('signage_device_online', { platform_id: 'a', mac: 'aa:bb:cc:dd:ee:ff', name: 'Cubic_1' }, 0);
    w.prom.set('signage_device_online', { platform_id: 'b', device_id: '999', name: 'Secret_B' }, 1);
    const api = caller(w, TOKENS.a);
    const list = await api('GET', '/api/v1/devices');
    expect(list.body.items.map((d: { key: string; metrics: number; online: boolean | null }) => [d.key, d.metrics, d.online])).toEqual([
      ['30785', 2, true],
      ['aa:bb:cc:dd:ee:ff', 1, false],
    ]);
    expect((await api('GET', '/api/v1/devices?q=cubic')).body.total).toBe(1);
    expect((await api('GET', '/api/v1/devices?online=false')).body.items.map((d: { key: string }) => d.key)).toEqual(['aa:bb:cc:dd:ee:ff']);
    expect((await api('GET', '/api/v1/devices?online=true')).body.items.map((d: { key: string }) => d.key)).toEqual(['30785']);
    expect((await api('GET', '/api/v1/devices?online=maybe')).body.error.field).toBe('online');
    const metrics = await api('GET', '/api/v1/devices/device_id/30785/metrics');
    expect(metrics.body.items.map((m: { metric: string; value: number }) => [m.metric, m.value])).toEqual([
      ['signage_device_last_seen_timestamp_seconds', 1.7e9],
      ['signage_device_online', 1],
    ]);
    expect((await api('GET', '/api/v1/devices/metric-names')).body.items).toEqual(['signage_device_last_seen_timestamp_seconds', 'signage_device_online']);
    expect((await api('GET', '/api/v1/devices/serial/1/metrics')).body.error.field).toBe('key_type');
    w.prom.failing = new Error('down');
    expect((await api('GET', '/api/v1/devices/device_id/30785/metrics')).status).toBe(502);
  });

  it('admin seeds a platform, a token, a site (MQTT password once), a control device', async () => {
    const w = await createWorld();
    const admin = caller(w, ADMIN_TOKEN);
    const p = await admin('POST', '/api/v1/platforms', { id: 'cm', name: 'CubicMedia', prometheus: { url: 'http://127.0.0.1:9090', headers: { 'X-Scope-OrgID': 'cm' } } });
    expect(p.status).toBe(201);
    expect(p.body.prometheus.headers).toEqual(['X-Scope-OrgID']);
    expect((await admin('POST', '/api/v1/platforms', { id: 'cm', name: 'x', prometheus: { url: 'http://x' } })).status).toBe(409);
    const t = await admin('POST', '/api/v1/platforms/cm/tokens', { label: 'web' });
    expect(t.body.token).toMatch(/^gsmj_/);
    expect(JSON.stringify(w.store.platform('cm'))).not.toContain(t.body.token);
    const cm = caller(w, t.body.token as string);
    const site = await cm('POST', '/api/v1/sites', { id: 'moscow-1', name: 'Moscow 1' });
    expect(site.body).toMatchObject({ mqtt_username: 'site/cm/moscow-1', online: false });
    expect(site.body.mqtt_password.length).toBeGreaterThan(20);
    expect(w.store.site('cm', 'moscow-1')?.mqtt_password).toMatch(/^scrypt\$/);
    expect((await cm('GET', '/api/v1/sites/moscow-1')).body.mqtt_password).toBeUndefined();
    const before = w.store.site('cm', 'moscow-1')?.mqtt_password;
    const rotated = await cm('POST', '/api/v1/sites/moscow-1/password', {});
    expect(rotated.body.mqtt_password).not.toBe(site.body.mqtt_password);
    expect(w.store.site('cm', 'moscow-1')?.mqtt_password).not.toBe(before);
    expect((await cm('POST', '/api/v1/sites/moscow-1/password', { mqtt_password: 'short' })).body.error.field).toBe('mqtt_password');
    const cd = await cm('POST', '/api/v1/control-devices', { name: 'Socket', phone: '+79161112233', model: 'SIMPAL_D410', site_ids: ['moscow-1'] });
    expect(cd.status).toBe(201);
    const badCd = await cm('POST', '/api/v1/control-devices', { name: 'Socket', phone: '12 34', model: 'X', site_ids: ['nope'] });
    expect(badCd.body.error.field).toBe('phone');
    const badModel = await cm('POST', '/api/v1/control-devices', { name: 'Socket', phone: '+79161112233', model: 'X', site_ids: ['nope'] });
    expect(badModel.body.error.issues.map((i: { field: string }) => i.field)).toEqual(['model', 'site_ids[0]']);
    expect((await cm('POST', '/api/v1/platforms', { id: 'x', name: 'x', prometheus: { url: 'http://x' } })).status).toBe(403);
    expect((await admin('GET', '/api/v1/sites')).body.error.field).toBe('platform_id');
    expect((await admin('GET', '/api/v1/sites?platform_id=cm')).body.items).toHaveLength(1);
    const catalogs = await cm('GET', '/api/v1/catalogs');
    expect(catalogs.body.items.map((c: { model: string }) => c.model)).toEqual(['SIMPAL_D210', 'SIMPAL_D410']);
    expect((await cm('GET', '/api/v1/catalogs/SIMPAL_D410')).body.commands.length).toBeGreaterThan(50);
  });

  it('serves an OpenAPI document and readiness', async () => {
    const w = await createWorld();
    const doc = await caller(w, null)('GET', '/api/v1/openapi.json');
    expect(doc.body.openapi).toBe('3.1.0');
    expect(doc.body.paths['/api/v1/jobs'].post.requestBody.content['application/json'].schema.properties.conditions).toBeDefined();
    expect((await caller(w, null)('GET', '/readyz')).status).toBe(503); // no cycle yet
    await w.poller.cycle();
    expect((await caller(w, null)('GET', '/readyz')).body).toMatchObject({ status: 'ready', prometheus: 'up', mqtt: 'up' });
  });
});

describe('composition', () => {
  it('a web sub-app mounts beside the API and shares the error handler', async () => {
    const w = await createWorld();
    const { createApp } = await import('../../hub/api/app.js');
    const { Hono } = await import('hono');
    const { ApiError } = await import('../../hub/api/errors.js');
    const app = createApp(w.deps);
    const web = new Hono();
    web.get('/', (c) => c.html('<h1>jobs</h1>'));
    web.get('/boom', () => {
      throw new ApiError(400, 'invalid', 'bad', [{ field: 'name', message: 'bad' }]);
    });
    app.route('/ui', web);
    expect(await (await app.request('/ui')).text()).toBe('<h1>jobs</h1>');
    const boom = await app.request('/ui/boom');
    expect(boom.status).toBe(400);
    expect(await boom.json()).toMatchObject({ error: { field: 'name' } });
    expect((await app.request('/api/v1/jobs', { headers: { authorization: `Bearer ${TOKENS.a}` } })).status).toBe(200);
  });
});
