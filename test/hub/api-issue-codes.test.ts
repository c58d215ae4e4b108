// Issue 17: every validation error the API returns carries a code and params; each code has a
// Russian and an English text (hub/api/issue-codes.ts) and no validation library text reaches a
// user. Walks every code in both languages, then real bad requests through the API.
import { describe, expect, it } from 'vitest';
import { createApp } from '../../hub/api/app.js';
import { z } from 'zod';
import { classifyZod, ISSUE_CODES, issueText } from '../../hub/api/issue-codes.js';
import { coded } from '../../hub/model/issue.js';
import { jobInput } from '../../hub/model/job.js';
import { validateWebhookUrl } from '../../hub/remediation/webhook.js';
import { renderCommand } from '../../hub/catalog/catalog.js';
import { jobBody } from './api-helpers.js';
import { ADMIN_TOKEN, createWorld, TOKENS, type World } from './world.js';

const LEAKS = /Invalid input|expected|received|Неверный ввод|ожидалось|получено|Too (big|small)|\{(min|max|expected|values|format|pattern|keys|what|id|device|site|model|command|text|parts|encoding)\}|undefined|NaN|\[object/;

/** Params as the API fills them, so every placeholder has a value. */
const SAMPLE: Record<string, unknown> = { min: 1, max: 3, expected: 'number', values: ['a', 'b'], format: 'email', pattern: '^x$', keys: ['foo'], what: 'site', id: 's9', device: 'Socket', site: 's1', model: 'SIMPAL_D210', command: 'cmd', text: '#12#{minutes}#', parts: 15, encoding: 'ucs2' };

type Issue = { field: string; message: string; code: string; params: Record<string, unknown> };

function client(w: World, token: string) {
  const app = createApp(w.deps);
  return async (method: string, path: string, body?: unknown): Promise<{ status: number; issues: Issue[] }> => {
    const res = await app.request(path, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}) });
    const json = (await res.json()) as { error?: { issues?: Issue[] } };
    return { status: res.status, issues: json.error?.issues ?? [] };
  };
}

describe('issue codes', () => {
  it('every code reads in Russian and English, with its params, and no library text', () => {
    expect(ISSUE_CODES.length).toBeGreaterThan(40);
    for (const code of ISSUE_CODES) {
      const ru = issueText(code, SAMPLE, 'ru');
      const en = issueText(code, SAMPLE, 'en');
      expect(ru, code).toMatch(/[а-яё]/i);
      expect(en, code).not.toMatch(/[а-яё]/i);
      expect(ru, code).not.toBe(en);
      for (const t of [ru, en]) expect(t, `${code}: ${t}`).not.toMatch(LEAKS);
    }
    // Ranges with one bound, lists needing one item.
    expect(issueText('out_of_range', { min: 0 }, 'ru')).toBe('значение должно быть не меньше 0');
    expect(issueText('out_of_range', { max: 10 }, 'en')).toBe('must be at most 10');
    expect(issueText('out_of_range', { min: 1, max: 5 }, 'en')).toBe('must be between 1 and 5');
    expect(issueText('too_many_sms_parts', { parts: 15, max: 3, encoding: 'ucs2' }, 'ru')).toBe('нужно 15 частей SMS (ucs2), допустимо не больше 3');
    expect(issueText('not_found', { what: 'control_device', id: 'cd-x' }, 'ru')).toBe('устройство управления cd-x не найден(о)');
    expect(issueText('no-such-code', {}, 'en')).toBe('is invalid');
  });

  it('codes come from where an issue is raised, never from its text; an issue raised without a code is caught', () => {
    // A refinement that names its code keeps it whatever its message says.
    const withCode = z.string().refine((x) => x === 'ok', coded('no_hash', 'any words at all'));
    expect(classifyZod(withCode.safeParse('no').error?.issues[0] as z.core.$ZodIssue)).toEqual({ code: 'no_hash', params: {} });
    // One without a code (or with a code the list does not know) is `uncoded`, which no client knows.
    for (const bare of [z.string().refine((x) => x === 'ok', 'must be a Prometheus metric name'), z.string().refine((x) => x === 'ok', coded('no_such_code', 'x'))]) {
      const k = classifyZod(bare.safeParse('no').error?.issues[0] as z.core.$ZodIssue);
      expect(k.code).toBe('uncoded');
      expect(ISSUE_CODES).not.toContain(k.code);
    }
    // Pattern rules (zod built-in invalid_format) by the code registered with the pattern.
    const r = jobInput.safeParse({ name: 'x', device: { key_type: 'device_id', key: 'd', name: '' }, conditions: [{ metric: '1bad', op: '>', value: 1 }], steps: [] }, { reportInput: true });
    const codes = (r.error?.issues ?? []).map((i) => classifyZod(i).code);
    expect(codes).toContain('metric_name');
    // Checks outside zod: every refusal carries a known code and its params.
    const refusals = [
      validateWebhookUrl('not a url', { allow_loopback: false, allow_private: false }),
      validateWebhookUrl('ftp://example.org/', { allow_loopback: false, allow_private: false }),
      validateWebhookUrl('https://u:p@example.org/', { allow_loopback: false, allow_private: false }),
      validateWebhookUrl('https://example.org/#x', { allow_loopback: false, allow_private: false }),
      validateWebhookUrl('http://127.0.0.1/', { allow_loopback: false, allow_private: false }),
      validateWebhookUrl('http://10.0.0.1/', { allow_loopback: false, allow_private: false }),
    ];
    const cmd = { id: 'c1', template: '#{n}#{s}#', required: ['n'], params: { n: { type: 'integer' }, s: { type: 'string', pattern: '^[a-z]+$', enum: ['ab', 'cd'] } } } as unknown as Parameters<typeof renderCommand>[0];
    const cases: Array<Record<string, string | number>> = [{ x: 1 }, {}, { n: 'q' }, { n: 1.5 }, { n: -1 }, { n: 1, s: 'a#' }, { n: 1, s: 'A1' }, { n: 1, s: 'zz' }, { n: 1 }];
    for (const params of cases) refusals.push(renderCommand(cmd, params) as never);
    const seen = new Set<string>();
    for (const x of refusals) {
      expect(x.ok).toBe(false);
      if (x.ok) continue;
      expect(ISSUE_CODES, x.message).toContain(x.code);
      seen.add(x.code);
      for (const lang of ['ru', 'en'] as const) expect(issueText(x.code, x.params, lang)).not.toMatch(LEAKS);
    }
    expect([...seen].sort()).toEqual(['invalid_enum', 'missing_value', 'negative', 'no_hash', 'not_a_number', 'not_integer', 'pattern', 'required', 'unknown_param', 'url_credentials', 'url_fragment', 'url_loopback', 'url_private', 'url_scheme']);
  });

  it('every issue of real bad requests has a known code, params and readable texts', async () => {
    const w = await createWorld();
    const a = client(w, TOKENS.a);
    const admin = client(w, ADMIN_TOKEN);
    const long = 'Ж'.repeat(400);
    const bad: Array<[string, string, unknown, string[]]> = [
      ['POST', '/api/v1/jobs', {}, ['required']],
      ['POST', '/api/v1/jobs', jobBody({ for_s: -1, combine: 'xor', name: 'n'.repeat(300), extra: 1 }), ['out_of_range', 'invalid_enum', 'too_long', 'unknown_field']],
      ['POST', '/api/v1/jobs', jobBody({ conditions: [] }), ['min_items']],
      ['POST', '/api/v1/jobs', jobBody({ conditions: [{ metric: '1bad', op: '>', value: 'x' }] }), ['metric_name', 'invalid_type']],
      ['POST', '/api/v1/jobs', jobBody({ windows: { tz: 'Mars/Base', ranges: [{ days: [1], from: '25:00', to: '10:00' }] } }), ['invalid_time_zone', 'time_hhmm']],
      ['POST', '/api/v1/jobs', jobBody({ steps: [{ type: 'send', site_id: 's9', control_device_id: 'cd-b', command: { kind: 'text', text: 'x' } }] }), ['not_found']],
      ['POST', '/api/v1/jobs', jobBody({ steps: [{ type: 'send', site_id: 's1', control_device_id: 'cd-a', command: { kind: 'text', text: long } }] }), ['too_many_sms_parts']],
      ['POST', '/api/v1/jobs', jobBody({ steps: [{ type: 'send', site_id: 's1', control_device_id: 'cd-a', command: { kind: 'catalog', command_id: 'nope', params: {} } }] }), ['unknown_command']],
      ['POST', '/api/v1/jobs', '{not json', ['invalid_json']],
      ['POST', '/api/v1/control-devices', { name: 'D', phone: '12', model: 'SIMPAL_D210', site_ids: ['s1'] }, ['phone']],
      ['POST', '/api/v1/control-devices', { name: 'D', phone: '+79160000003', model: 'TOASTER', site_ids: ['s9'] }, ['unknown_model', 'not_found']],
      ['POST', '/api/v1/webhooks', { url: 'ftp://example.org/x' }, ['url_scheme']],
      ['POST', '/api/v1/webhooks', { url: 'http://127.0.0.1/x' }, ['url_loopback']],
      ['POST', '/api/v1/sites', { id: 'Bad Id', name: '' }, ['id_format', 'required']],
      ['GET', '/api/v1/jobs?limit=0', undefined, ['out_of_range']],
      ['PUT', '/api/v1/remediation/settings', { notify_site_id: 's9' }, ['not_found']],
    ];
    for (const [method, path, body, codes] of bad) {
      const r = await a(method, path, body);
      expect(r.status, `${method} ${path}`).toBe(400);
      expect(r.issues.map((i) => i.code)).toEqual(expect.arrayContaining(codes));
      for (const i of r.issues) {
        expect(ISSUE_CODES, `${path} ${i.field}: ${i.message}`).toContain(i.code);
        expect(i.code, `${path} ${i.field}: ${i.message}`).not.toBe('invalid');
        expect(typeof i.params).toBe('object');
        for (const lang of ['ru', 'en'] as const) expect(issueText(i.code, i.params, lang)).not.toMatch(LEAKS);
      }
    }
    const adminNoPlatform = await admin('GET', '/api/v1/jobs');
    expect(adminNoPlatform.issues[0]).toMatchObject({ field: 'platform_id', code: 'admin_needs_platform' });
  });
});
