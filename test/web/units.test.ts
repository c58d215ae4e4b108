// Pure parts of the web form: plain-words preview, language choice, the draft <-> API input
// mapping, field -> step mapping, sessions with an injected clock.
import { describe, expect, it } from 'vitest';
import { jobInput } from '../../hub/model/job.js';
import { draftFromJob, formField, stepOf } from '../../hub/web/draft.js';
import { pickLang } from '../../hub/web/i18n.js';
import { PortSessions, SessionStore } from '../../hub/web/session.js';
import type { WebSessionDoc, WebSessionsRepo } from '../../hub/store/port.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../hub/fixtures.js';
import { draftIssues, inputOf, stepErrors } from '../../hub/web/wizard-logic.js';
import { decisionWords, duration } from '../../hub/web/words.js';
import { createWorld } from '../hub/world.js';

describe('plain-words preview', () => {
  const base = { combine: 'and' as const, no_data: { mode: 'ignore' as const, after_s: 300 }, windows: null, cooldown_s: 1800 };
  it('says when the job fires, in Russian and English', () => {
    const d = { ...base, conditions: [{ metric: 'cpu_temp', op: '>' as const, value: 80 }], for_s: 300 };
    expect(decisionWords('ru', d)).toBe('Срабатывает, когда cpu_temp выше 80 в течение 5 мин. Без данных не срабатывает. Не чаще одного раза в 30 мин.');
    expect(decisionWords('en', d)).toBe('Fires when cpu_temp is above 80 for 5 min. Does not fire without data. At most once every 30 min.');
  });
  it('names AND/OR, windows, the no-data policy and known metrics', () => {
    const d = {
      ...base,
      combine: 'or' as const,
      conditions: [
        { metric: 'signage_device_online', op: '==' as const, value: 0 },
        { metric: 'cpu_temp', op: '>=' as const, value: 90.5 },
      ],
      for_s: 0,
      no_data: { mode: 'fire' as const, after_s: 600 },
      windows: { tz: 'Europe/Moscow', ranges: [{ days: [1, 2, 3, 4, 5], from: '08:00', to: '20:00' }] },
      cooldown_s: 0,
    };
    expect(decisionWords('ru', d)).toBe('Срабатывает, когда онлайн равно 0 или cpu_temp не ниже 90,5 (сразу), только в пн, вт, ср, чт, пт 08:00–20:00 (Europe/Moscow). Если данных нет дольше 10 мин, тоже срабатывает.');
    expect(decisionWords('en', d)).toContain('Fires when online equals 0 or cpu_temp is at least 90.5 (at once), only during Mon, Tue, Wed, Thu, Fri 08:00–20:00 (Europe/Moscow).');
  });
  it('writes durations', () => {
    expect(duration('ru', 5400)).toBe('1 ч 30 мин');
    expect(duration('en', 45)).toBe('45 s');
    expect(duration('en', 90061)).toBe('1 d 1 h 1 min 1 s');
  });
});

describe('language choice', () => {
  it('prefers the explicit choice, then Accept-Language by weight, then Russian', () => {
    expect(pickLang('en', 'ru')).toBe('en');
    expect(pickLang(undefined, 'de-DE,en;q=0.8,ru;q=0.9')).toBe('ru');
    expect(pickLang(undefined, 'de-DE,en;q=0.8')).toBe('en');
    expect(pickLang('fr', 'fr-FR')).toBe('ru');
    expect(pickLang(null, undefined)).toBe('ru');
    expect(pickLang(undefined, 'en;q=0, ru;q=0')).toBe('ru');
  });
});

describe('wizard draft', () => {
  it('turns a stored job into a draft and back into the same API input', async () => {
    const w = await createWorld();
    const job = w.job('a', {
      for_s: 90,
      cooldown_s: 3600,
      no_data: { mode: 'fire', after_s: 600 },
      windows: { tz: 'Europe/Moscow', ranges: [{ days: [6, 7], from: '22:00', to: '06:00' }] },
      conditions: [
        { metric: 'a', op: '>', value: 1.5 },
        { metric: 'b', op: '!=', value: -2 },
      ],
      combine: 'or',
    });
    const input = jobInput.parse(await inputOf(draftFromJob(job, false), w.deps, 'a'));
    const { id: _i, platform_id: _p, name: _n, name_auto: _a, created_at: _c, updated_at: _u, ...rest } = job;
    expect(input).toEqual({ ...rest, name: job.name });
    const clone = draftFromJob(job, true);
    expect(clone.edit_id).toBeNull();
    expect(clone.name).toBe('');
  });

  it('maps API fields to form fields and steps', () => {
    expect(formField('for_s')).toBe('for_min');
    expect(formField('no_data.after_s')).toBe('no_data_min');
    expect(formField('steps[0].command.text')).toBe('steps[0].command.text');
    expect(stepOf('device.key')).toBe(1);
    expect(stepOf('conditions')).toBe(2);
    expect(stepOf('conditions[1].value')).toBe(3);
    expect(stepOf('cooldown_min')).toBe(3);
    expect(stepOf('windows.ranges[0].from')).toBe(3);
    expect(stepOf('steps[0].control_device_id')).toBe(4);
    expect(stepOf('name')).toBe(5);
  });

  it('validates with the API schema and states minute bounds in minutes', async () => {
    const w = await createWorld();
    const d = draftFromJob(w.job('a'), false);
    const bad = { ...d, for_min: '99999', conditions: [{ metric: 'x', op: '>', value: 'много' }], windows_on: true, tz: 'Mars/Base', site_id: 's9' };
    const ru = stepErrors(await draftIssues(bad, 'ru', 'a', w.deps), 1, 5, 'ru');
    expect(ru['for_min']).toBe('Не больше 10080 мин');
    expect(ru['conditions[0].value']).toBe('Введите число');
    expect(ru['windows.tz']).toBe('Часовой пояс, например Europe/Moscow');
    const en = stepErrors(await draftIssues({ ...d, site_id: 's9' }, 'en', 'a', w.deps), 4, 4, 'en');
    expect(en['steps[0].site_id']).toBe('There is no site "s9"');
    expect(stepErrors(await draftIssues(d, 'ru', 'a', w.deps), 1, 5, 'ru')).toEqual({});
    // Another platform's control device is refused as the API refuses it.
    expect(stepErrors(await draftIssues(d, 'ru', 'b', w.deps), 1, 5, 'ru')['steps[0].control_device_id']).toBe('Такого управляемого устройства нет');
  });
});

describe('sessions', () => {
  it('in the store (PostgreSQL mode, PortSessions): hashed keys, expiry, sliding written at most once a minute, sign-out', async () => {
    let now = 0;
    const rows = new Map<string, WebSessionDoc>();
    const writes: string[] = [];
    const repo: WebSessionsRepo = {
      get: async (k) => (rows.has(k) ? { ...(rows.get(k) as WebSessionDoc) } : undefined),
      put: async (k, v) => void (writes.push(k), rows.set(k, { ...v })),
      delete: async (k) => rows.delete(k),
      expire: async (t) => [...rows].filter(([k, v]) => v.expires_at <= t && rows.delete(k)).length,
    };
    const ttl = 3600_000;
    const sessions = new PortSessions(repo, () => now, ttl);
    const { id, session } = await sessions.create({ token_hash: 'h', admin: false, platform_id: 'a', platform_name: 'A', lang: null });
    expect([...rows.keys()]).not.toContain(id); // only the id's hash is a key
    expect(await sessions.get(id)).toMatchObject({ platform_id: 'a', csrf: session.csrf, expires_at: ttl });
    expect(await sessions.get(`${id}x`)).toBeUndefined();
    now = 30_000;
    await sessions.get(id);
    expect(writes).toHaveLength(1); // within a minute: no write for the sliding expiry
    now = 120_000;
    expect((await sessions.get(id))?.expires_at).toBe(120_000 + ttl);
    expect(writes).toHaveLength(2);
    await sessions.touch(id, { ...session, lang: 'en' });
    expect((await sessions.get(id))?.lang).toBe('en');
    now += ttl + 1;
    expect(await sessions.get(id)).toBeUndefined(); // expired: gone from the store
    expect(rows.size).toBe(0);
    const again = await sessions.create({ token_hash: 'h', admin: false, platform_id: 'a', platform_name: 'A', lang: null });
    await sessions.destroy(again.id);
    expect(await sessions.get(again.id)).toBeUndefined();
  });
  it('expire after idle time, slide on use and are found only by their id', () => {
    let now = 0;
    const store = new SessionStore(() => now, 1000);
    const { id, session } = store.create({ token_hash: 'h', admin: false, platform_id: 'a', platform_name: 'A', lang: null });
    expect(session.csrf.length).toBeGreaterThanOrEqual(32);
    expect(store.get(id)).toBe(session);
    expect(store.get(`${id}x`)).toBeUndefined();
    now = 900;
    expect(store.get(id)).toBe(session);
    now = 1800;
    expect(store.get(id)).toBe(session);
    now = 2900;
    expect(store.get(id)).toBeUndefined();
    expect(store.size).toBe(0);
  });
  it('survive a restart through their file, which holds only hashes, and drop expired ones', () => {
    let now = 0;
    const file = join(tempDir('sessions'), 'web-sessions.json');
    const first = new SessionStore(() => now, 1000, 10, file);
    const { id, session } = first.create({ token_hash: 'a'.repeat(64), admin: false, platform_id: 'a', platform_name: 'A', lang: 'en' });
    const stale = first.create({ token_hash: 'b'.repeat(64), admin: false, platform_id: 'b', platform_name: 'B', lang: null });
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain(id);
    expect(text).toContain('"id_hash"');
    now = 500;
    // A "restarted" store reads the file: the same session, by the same cookie id.
    const second = new SessionStore(() => now, 1000, 10, file);
    expect(second.get(id)).toMatchObject({ platform_id: 'a', lang: 'en', csrf: session.csrf, admin: false, expires_at: 1500 });
    second.destroy(stale.id); // written, with the slid expiry of `id`
    now = 1200;
    const third = new SessionStore(() => now, 1000, 10, file);
    expect(third.get(id)?.platform_id).toBe('a');
    expect(third.get(stale.id)).toBeUndefined();
    now = 5000;
    expect(new SessionStore(() => now, 1000, 10, file).size).toBe(0);
  });

  it('keeps at most the configured number of sessions', () => {
    const store = new SessionStore(() => 0, 1000, 2);
    const first = store.create({ token_hash: 'h', admin: false, platform_id: 'a', platform_name: 'A', lang: null }).id;
    store.create({ token_hash: 'h', admin: false, platform_id: 'a', platform_name: 'A', lang: null });
    store.create({ token_hash: 'h', admin: false, platform_id: 'a', platform_name: 'A', lang: null });
    expect(store.size).toBe(2);
    expect(store.get(first)).toBeUndefined();
  });
});
