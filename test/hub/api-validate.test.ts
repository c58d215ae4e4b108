// POST /api/v1/jobs/validate (create's validation without the write), automatic names in the
// caller's language (?lang= / Accept-Language), and the structured, bilingual dry-run reason.
import { describe, expect, it } from 'vitest';
import { createApp } from '../../hub/api/app.js';
import { dryReason } from '../../hub/jobs/dry-reasons.js';
import { hashToken } from '../../hub/mqtt/passwords.js';
import { caller, jobBody } from './api-helpers.js';
import { createWorld, TOKENS } from './world.js';

describe('jobs/validate', () => {
  it('accepts a valid job without storing it and tells the name it would get', async () => {
    const w = await createWorld();
    const api = caller(w, TOKENS.a);
    const r = await api('POST', '/api/v1/jobs/validate', jobBody());
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ valid: true, name: 'Мониторинг Player a - онлайн = 0', name_auto: true, auto_names: { ru: 'Мониторинг Player a - онлайн = 0', en: 'Monitoring Player a - online = 0' } });
    expect((await api('POST', '/api/v1/jobs/validate?lang=en', jobBody())).body.name).toBe('Monitoring Player a - online = 0');
    expect((await api('POST', '/api/v1/jobs/validate', jobBody({ name: '  Mine ' }))).body).toMatchObject({ name: 'Mine', name_auto: false });
    expect(w.store.jobs()).toHaveLength(0);
    const doc = (await caller(w, null)('GET', '/api/v1/openapi.json')).body;
    expect(doc.paths['/api/v1/jobs/validate'].post.requestBody.content['application/json'].schema.properties.conditions).toBeDefined();
  });

  it('refuses like create: schema errors and references by field, another platform included', async () => {
    const w = await createWorld();
    const api = caller(w, TOKENS.a);
    const bad = await api('POST', '/api/v1/jobs/validate', jobBody({ conditions: [{ metric: 'm', op: '~', value: 1 }] }));
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe('conditions[0].op');
    const foreign = jobBody({ steps: [{ type: 'send', site_id: 's1', control_device_id: 'cd-b', command: { kind: 'text', text: 'x' } }] });
    const ref = await api('POST', '/api/v1/jobs/validate', foreign);
    expect(ref.status).toBe(400);
    expect(ref.body.error.field).toBe('steps[0].control_device_id');
    // The same answer as create gives.
    const created = await api('POST', '/api/v1/jobs', foreign);
    expect(created.body.error.issues).toEqual(ref.body.error.issues);
    expect((await api('POST', '/api/v1/jobs/validate', jobBody({ steps: [{ type: 'send', site_id: 's1', control_device_id: 'cd-a', command: { kind: 'catalog', command_id: '12_0_minutes_1', params: { minutes: 1.5 } } }] }))).body.error.field).toBe('steps[0].command.params.minutes');
    expect((await caller(w, null)('POST', '/api/v1/jobs/validate', jobBody())).status).toBe(401);
    expect(w.store.jobs()).toHaveLength(0);
  });

  it('the automatic name of a created or updated job follows the caller language', async () => {
    const w = await createWorld();
    const app = createApp(w.deps);
    const post = async (path: string, body: unknown, headers: Record<string, string>, method = 'POST') =>
      (await app.request(path, { method, headers: { authorization: `Bearer ${TOKENS.a}`, 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })).json() as Promise<{ id: string; name: string; auto_names: { ru: string } }>;
    const en = await post('/api/v1/jobs', jobBody(), { 'accept-language': 'en-GB,en;q=0.9,ru;q=0.5' });
    expect(en.name).toBe('Monitoring Player a - online = 0');
    expect(en.auto_names.ru).toBe('Мониторинг Player a - онлайн = 0'); // the other language stays derivable
    const ru = await post(`/api/v1/jobs/${en.id}?lang=ru`, jobBody({ conditions: [{ metric: 'signage_device_online', op: '!=', value: 1 }] }), { 'accept-language': 'en' }, 'PUT');
    expect(ru.name).toBe('Мониторинг Player a - онлайн ≠ 1');
  });
});

describe('dry-run reason', () => {
  it('has a code, parameters and both languages; `reason` is in the caller language', async () => {
    const w = await createWorld();
    const api = caller(w, TOKENS.a);
    w.prom.set('signage_device_online', { platform_id: 'a', device_id: 'dev-a-1', name: 'Player a' }, 0);
    const ru = await api('POST', '/api/v1/jobs/dry-run', jobBody({ for_s: 300 }));
    expect(ru.body.reason_detail).toEqual({ code: 'pending', params: { for_s: 300 }, text: { ru: 'Условия выполняются, ждём 5 мин', en: 'Conditions hold, waiting for 5 min' } });
    expect(ru.body.reason).toBe('Условия выполняются, ждём 5 мин');
    const en = await api('POST', '/api/v1/jobs/dry-run?lang=en', jobBody({ for_s: 0 }));
    expect(en.body).toMatchObject({ would_fire: true, reason: 'Conditions hold: would fire now', reason_detail: { code: 'would_fire' }, source_stale: false });
  });

  it('a stale source makes the values no evidence, and says so', async () => {
    const w = await createWorld();
    const api = caller(w, TOKENS.a);
    w.prom.set('signage_device_online', { platform_id: 'a', device_id: 'dev-a-1', name: 'Player a' }, 0);
    w.prom.set('signage_exporter_account_up', { platform_id: 'a', account: 'main' }, 0);
    const r = await api('POST', '/api/v1/jobs/dry-run?lang=en', jobBody({ for_s: 0 }));
    expect(r.body).toMatchObject({ would_fire: false, conditions_hold: null, source_stale: true, values: { signage_device_online: 0 }, reason_detail: { code: 'source_stale' } });
  });

  it('every code has a Russian and an English sentence', () => {
    for (const code of ['prometheus_error', 'would_fire', 'would_fire_no_data', 'disabled', 'source_stale', 'no_data', 'not_hold', 'outside_window', 'already_fired', 'cooldown', 'pending'] as const) {
      const r = dryReason(code, { error: 'boom', for_s: 90 });
      expect(r.text.ru.length, code).toBeGreaterThan(5);
      expect(r.text.en.length, code).toBeGreaterThan(5);
      expect(r.text.ru).not.toBe(r.text.en);
    }
    expect(dryReason('pending', { for_s: 90 }).text).toEqual({ ru: 'Условия выполняются, ждём 1 мин 30 с', en: 'Conditions hold, waiting for 1 min 30 s' });
  });
});

describe('in-process authentication by token hash', () => {
  it('works only through the env of app.request, never from a header', async () => {
    const w = await createWorld();
    const app = createApp(w.deps);
    expect((await app.request('/api/v1/jobs', {}, { gsmjobsTokenHash: hashToken(TOKENS.a) })).status).toBe(200);
    expect((await app.request('/api/v1/jobs', {}, { gsmjobsTokenHash: hashToken('revoked-or-unknown') })).status).toBe(401);
    expect((await app.request('/api/v1/jobs', { headers: { gsmjobsTokenHash: hashToken(TOKENS.a) } })).status).toBe(401);
    // Scoped like the token itself.
    await w.store.putJob(w.job('b'));
    expect(((await (await app.request('/api/v1/jobs', {}, { gsmjobsTokenHash: hashToken(TOKENS.a) })).json()) as { total: number }).total).toBe(0);
  });
});
