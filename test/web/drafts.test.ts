// Wizard drafts kept on the server (issue 17) and field errors in the user's words: the draft
// store (owner, 24 h, bounds, a 0600 file that survives a restart), every issue code said in
// Russian and English, the API's English messages recognised, library text never shown.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCatalogs } from '../../hub/catalog/catalog.js';
import { categoryName, commandPhrase, paramTitle } from '../../hub/catalog/words.js';
import type { Job, JobInput } from '../../hub/model/job.js';
import type { ApiCall, ApiResult } from '../../hub/web/api-client.js';
import { emptyDraft } from '../../hub/web/draft.js';
import { DRAFT_TTL_MS, type DraftRecord, draftOwner, MAX_PER_OWNER, PortDraftStore } from '../../hub/web/drafts.js';
import { LowdbStore } from '../../hub/store/lowdb-adapter.js';
import { VersionConflictError } from '../../hub/store/port.js';
import { HubStore } from '../../hub/store/store.js';
import { ISSUE_WORDS, issueWords, zodIssue } from '../../hub/web/issue-words.js';
import { ifMatch, saveDraft, versionOf } from '../../hub/web/wizard-save.js';
import { tempDir } from '../hub/fixtures.js';
import { TOKENS } from '../hub/world.js';
import { createWebWorld, WebClient, wizardState } from './helpers.js';

describe('draft store', () => {
  async function lowdbPort(dir: string): Promise<LowdbStore> {
    const store = new HubStore(dir);
    await store.load();
    return LowdbStore.open(store, dir);
  }

  it('keeps a draft for its owner only, 24 h after its last change, in a 0600 file across a restart', async () => {
    let now = 1_000_000;
    const dir = tempDir('drafts');
    const port = await lowdbPort(dir);
    const store = new PortDraftStore(port.drafts, () => now);
    const alice = draftOwner('hash-a', 'a');
    const rec = await store.create('a', alice, { ...emptyDraft(), name: 'черновик' }, '3');
    expect(await store.get('a', rec.id, draftOwner('hash-a', 'b'))).toBeUndefined();
    expect(await store.get('b', rec.id, alice)).toBeUndefined();
    expect(await store.get('a', rec.id, draftOwner('hash-b', 'a'))).toBeUndefined();
    expect(await store.get('a', '../../etc', alice)).toBeUndefined();
    await port.close();
    expect(statSync(join(dir, 'web-drafts.json')).mode & 0o777).toBe(0o600);
    now += DRAFT_TTL_MS - 1000;
    rec.draft = { ...rec.draft, for_min: '7' };
    await store.put(rec);
    expect(rec.version).toBe(2);
    // A stale copy (another tab, another hub) cannot overwrite the newer write.
    await expect(store.put({ ...rec, version: 1 })).rejects.toBeInstanceOf(VersionConflictError);
    await port.close();
    // A restarted hub reads the file: the draft, its key and version are there.
    now += DRAFT_TTL_MS - 1000;
    const port2 = await lowdbPort(dir);
    const again = await new PortDraftStore(port2.drafts, () => now).get('a', rec.id, alice);
    expect(again).toMatchObject({ key: rec.key, opened_version: '3', version: 2, draft: { name: 'черновик', for_min: '7' } });
    now += 2000;
    expect(await new PortDraftStore(port2.drafts, () => now).get('a', rec.id, alice)).toBeUndefined();
    await port2.close();
    // Expired drafts are removed from the file too.
    expect(readFileSync(join(dir, 'web-drafts.json'), 'utf8')).not.toContain(rec.id);
  });

  it('bounds the drafts of one owner (the oldest go first) and drops expired ones when a draft is created', async () => {
    let now = 0;
    const port = await lowdbPort(tempDir('drafts-bound'));
    const store = new PortDraftStore(port.drafts, () => now);
    const owner = draftOwner('h', 'a');
    const ids: string[] = [];
    for (let i = 0; i < MAX_PER_OWNER + 5; i++) {
      now += 10;
      ids.push((await store.create('a', owner, emptyDraft())).id);
    }
    const kept = await Promise.all(ids.map((id) => store.get('a', id, owner)));
    expect(kept.filter(Boolean)).toHaveLength(MAX_PER_OWNER);
    expect(kept[0]).toBeUndefined();
    expect(kept.at(-1)).toBeDefined();
    expect(new Set(ids).size).toBe(ids.length);
    now += DRAFT_TTL_MS + 60_000;
    const other = draftOwner('h2', 'a');
    await store.create('a', other, emptyDraft());
    expect(Object.keys(port.drafts.doc.data.drafts)).toHaveLength(1);
    await port.close();
  });
});

const CYRILLIC = /[а-яё]/i;

describe('issue words', () => {
  it('says every code in Russian and English, with its parameters', () => {
    const params = { min: 2, max: 3, parts: 15, encoding: 'ucs2', id: 's9', device: 'Socket', site: 's1', values: 'a, b', unit: 'min' };
    for (const code of Object.keys(ISSUE_WORDS)) {
      const ru = issueWords({ field: 'x', message: '', code, params }, 'ru');
      const en = issueWords({ field: 'x', message: '', code, params }, 'en');
      expect(ru, code).toMatch(CYRILLIC);
      expect(en, code).not.toMatch(/[а-яё]{4,}/i);
      expect(ru).not.toBe(en);
      for (const s of [ru, en]) expect(s, code).not.toMatch(/undefined|\$\{|\{\w+\}|Invalid input|expected/);
    }
    expect(issueWords({ field: 'steps[0].command.text', message: '', code: 'sms_parts', params: { parts: 15, max: 3 } }, 'ru')).toBe('Получится 15 SMS, можно не больше 3: сократите текст');
  });

  it('says the API\u2019s codes in the form\u2019s words (never parsing a message) and never shows library text', () => {
    const cases: Array<[string, string, Record<string, unknown>, string, string]> = [
      ['steps', 'min_items', { min: 1 }, 'Выберите площадку, устройство и команду', 'Choose a site, a device and a command'],
      ['steps[0].command.text', 'too_many_sms_parts', { parts: 15, encoding: 'ucs2', max: 3 }, 'Получится 15 SMS, можно не больше 3: сократите текст', 'This takes 15 SMS, at most 3 allowed: shorten the text'],
      ['windows.ranges[0].from', 'time_hhmm', {}, 'Время в виде ЧЧ:ММ, от 00:00 до 24:00', 'A time as HH:MM, 00:00 to 24:00'],
      ['url', 'url_scheme', {}, 'Полный адрес, начинается с http:// или https://', 'A full address starting with http:// or https://'],
      ['steps[0].command.text', 'too_long', { max: 1530 }, 'Не длиннее 1530 символов', 'At most 1530 characters'],
    ];
    for (const [field, code, params, ru, en] of cases) {
      // The message is whatever the source wrote: only the code counts.
      expect(issueWords({ field, message: 'any text', code, params }, 'ru'), code).toBe(ru);
      expect(issueWords({ field, message: 'any text', code, params }, 'en'), code).toBe(en);
    }
    // Without a code, library text is never shown.
    for (const message of ['Invalid input: expected object, received undefined', 'Неверный ввод: ожидалось object, получено undefined', 'must be HH:MM (00:00-24:00)']) {
      expect(issueWords({ field: 'device', message }, 'ru'), message).toBe('Проверьте это значение');
      expect(issueWords({ field: 'device', message }, 'en'), message).toBe('Check this value');
    }
    // A sentence the API wrote for people stays as it is.
    expect(issueWords({ field: 'x', message: 'Сначала освободите площадку' }, 'ru')).toBe('Сначала освободите площадку');
    // The form's own validation: zod issues by code.
    expect(issueWords(zodIssue({ code: 'invalid_type', path: ['device'], input: undefined, expected: 'object' }), 'en')).toBe('Fill in this field');
    expect(issueWords(zodIssue({ code: 'too_big', path: ['for_s'], maximum: 604800, origin: 'number' }), 'ru')).toBe('Не больше 10080 мин');
    expect(issueWords(zodIssue({ code: 'too_small', path: ['conditions'], minimum: 1, origin: 'array' }), 'en')).toBe('Tick at least one metric');
  });
});

describe('commands in plain words', () => {
  it('names groups, parameters and the common commands in both languages', () => {
    const d210 = loadCatalogs().get('SIMPAL_D210');
    const off = d210?.commands.find((c) => c.id === '12_0_minutes_1');
    expect(off).toBeDefined();
    if (!off) return;
    expect(commandPhrase(off, { minutes: 1 }, 'en')).toBe('power off for 1 minute');
    expect(commandPhrase(off, { minutes: 5 }, 'en')).toBe('power off for 5 minutes');
    expect(commandPhrase(off, { minutes: 1 }, 'ru')).toBe('выключить питание на 1 минуту');
    expect(commandPhrase(off, { minutes: 3 }, 'ru')).toBe('выключить питание на 3 минуты');
    expect(commandPhrase(off, { minutes: 11 }, 'ru')).toBe('выключить питание на 11 минут');
    expect(paramTitle('Минуты', 'en')).toBe('Minutes');
    for (const c of d210?.commands ?? []) {
      expect(categoryName(c.category, 'en'), c.category).not.toMatch(CYRILLIC);
      for (const spec of Object.values(c.params)) expect(paramTitle(spec.title, 'en').replace(/ПН, ВТ, \.\.\., ВС/, ''), spec.title).not.toMatch(CYRILLIC);
    }
  });
});

describe('sign-in returns to the draft', () => {
  it('sends a post of an expired session to sign-in and back to its step; next is only a local path', async () => {
    const w = await createWebWorld();
    const b = new WebClient(w.app);
    await b.signIn(TOKENS.a);
    const page = await b.get('/ui/jobs/new');
    const { draft_id } = wizardState(page.text);
    expect(draft_id).toMatch(/^[\w-]{16,}$/);
    // The session ends (cookie gone); the post of step 3 goes to sign-in with the draft as next.
    b.cookies.delete('gsmjobs_sid');
    const res = await b.request('POST', '/ui/jobs/wizard', { _csrf: b.csrf, draft_id, step: '3', go: 'next' });
    expect(res.status).toBe(303);
    const next = `/ui/jobs/draft/${draft_id}/3`;
    expect(res.location).toBe(`/ui/signin?next=${encodeURIComponent(next)}`);
    await b.get(res.location ?? '');
    // Signed in again: redirected to the draft's step (the client follows the redirect).
    const signed = await b.post('/ui/signin', { token: TOKENS.a, next });
    expect(signed.status).toBe(200);
    expect(signed.text).toContain('Шаг 3 из 5');
    expect(signed.text).toContain(`name="draft_id" value="${draft_id}"`);
    // Another origin or a scheme-relative path is never a target.
    for (const bad of ['https://evil.example/ui/jobs', '//evil.example/ui/jobs', '/ui\\..\\evil']) {
      const c = new WebClient(w.app);
      await c.get('/ui/signin');
      expect((await c.post('/ui/signin', { token: TOKENS.a, next: bad })).location, bad).toBe('/ui/jobs');
    }
    // Someone else's session does not see the draft.
    const other = new WebClient(w.app);
    await other.signIn(TOKENS.b);
    expect((await other.get(next)).status).toBe(404);
  });
});

describe('the catalog list', () => {
  it("puts the platform's most used commands first", async () => {
    const w = await createWebWorld();
    const job = w.job('a');
    await w.store.putJob(job);
    const first = async () => {
      const b = new WebClient(w.app);
      await b.signIn(TOKENS.a);
      const { draft_id } = wizardState((await b.get(`/ui/jobs/${job.id}/edit`)).text);
      const page = await b.get(`/ui/jobs/draft/${draft_id}/4`);
      return /<optgroup label="Часто используемые">\s*<option value="([^"]+)"/.exec(page.text)?.[1];
    };
    expect(await first()).toBe('12_0_minutes_1');
    for (const n of [1, 2]) {
      const other = w.job('a', { name: `off ${n}` });
      const send = other.steps[0] as { command: unknown };
      send.command = { kind: 'catalog', command_id: '02_0', params: {} };
      await w.store.putJob({ ...other, id: `job-off-${n}` });
    }
    expect(await first()).toBe('02_0');
  });
});

describe('saving a draft', () => {
  type Call = { method: string; path: string; headers: Record<string, string> };
  /** An API that answers from a script (the real API's shapes) and records what it was sent. */
  function fakeApi(answers: Record<string, ApiResult<unknown>>, calls: Call[]): ApiCall {
    return (async (method: string, path: string, _body?: unknown, headers: Record<string, string> = {}) => {
      calls.push({ method, path, headers });
      return answers[`${method} ${path}`] ?? { ok: false, status: 500, error: { code: 'x', message: 'x' } };
    }) as ApiCall;
  }
  const job = { id: 'j1', name: 'J', updated_at: '2026-12-07T10:00:00.000Z', version: 3 } as unknown as Job;
  const rec = (over: Partial<DraftRecord> = {}): DraftRecord => ({ id: 'd'.repeat(20), platform_id: 'a', owner: 'o', version: 1, draft: { ...emptyDraft(), edit_id: 'j1' }, key: 'k'.repeat(20), opened_version: '3', view: {}, conflict: null, saved_job_id: null, saved_digest: null, updated_at: 0, ...over });
  const ok = (data: unknown, etag: string | null = null): ApiResult<unknown> => ({ ok: true, status: 200, data, etag, replayed: false });

  it('posts a new job with the Idempotency-Key and puts an edit with If-Match', async () => {
    const calls: Call[] = [];
    const api = fakeApi({ 'POST /jobs': ok(job), 'GET /jobs/j1': ok(job, '"3"'), 'PUT /jobs/j1': ok({ ...job, version: 4 }, '"4"') }, calls);
    expect(await saveDraft(api, rec({ draft: emptyDraft() }), {} as JobInput)).toMatchObject({ kind: 'saved', job: { id: 'j1' } });
    expect(calls[0]).toMatchObject({ method: 'POST', headers: { 'idempotency-key': 'k'.repeat(20) } });
    const out = await saveDraft(api, rec(), {} as JobInput);
    expect(out).toMatchObject({ kind: 'saved', etag: '"4"' });
    expect(calls.at(-1)).toMatchObject({ method: 'PUT', headers: { 'if-match': '"3"' } });
    // Before the API sends versions: updated_at is compared here and no If-Match is sent.
    expect(ifMatch('u:2026-12-07T10:00:00.000Z')).toEqual({});
    expect(versionOf({ ...job, version: undefined } as unknown as Job)).toBe('u:2026-12-07T10:00:00.000Z');
  });

  it('turns a changed version, a 412 and a 404 into the conflict and deleted pages', async () => {
    const calls: Call[] = [];
    // Changed since the draft was opened (seen before the PUT).
    const changed = fakeApi({ 'GET /jobs/j1': ok({ ...job, version: 5 }, '"5"') }, calls);
    expect(await saveDraft(changed, rec(), {} as JobInput)).toMatchObject({ kind: 'conflict', current_version: '5' });
    expect(calls.some((c) => c.method === 'PUT')).toBe(false);
    // Changed between the read and the PUT: the API's 412 with the current record, or null when deleted.
    const refused = (current: unknown): ApiResult<unknown> => ({ ok: false, status: 412, error: { code: 'version_conflict', message: 'stale', current_version: 6, current } });
    const race = fakeApi({ 'GET /jobs/j1': ok(job, '"3"'), 'PUT /jobs/j1': refused({ ...job, version: 6, name: 'theirs' }) }, []);
    expect(await saveDraft(race, rec(), {} as JobInput)).toMatchObject({ kind: 'conflict', current_version: '6', current: { name: 'theirs' } });
    const raceGone = fakeApi({ 'GET /jobs/j1': ok(job, '"3"'), 'PUT /jobs/j1': refused(null) }, []);
    expect(await saveDraft(raceGone, rec(), {} as JobInput)).toEqual({ kind: 'deleted' });
    const gone = fakeApi({ 'GET /jobs/j1': { ok: false, status: 404, error: { code: 'not_found', message: 'job not found' } } }, []);
    expect(await saveDraft(gone, rec(), {} as JobInput)).toEqual({ kind: 'deleted' });
  });
});
