import { describe, expect, it } from 'vitest';
import {
  TOPICS,
  aclAllows,
  agentStatus,
  decodePayload,
  encodePayload,
  eventTopic,
  examples,
  executionUpdate,
  inboundSms,
  jobRequest,
  parseTopic,
  siteTopic,
  usernames,
} from '../../hub/common/contract/index.js';

describe('contract examples', () => {
  for (const spec of TOPICS) {
    it(`accepts every documented example of ${spec.name}`, () => {
      expect(spec.examples.length).toBeGreaterThan(0);
      for (const ex of spec.examples) {
        const r = decodePayload(spec.schema, JSON.stringify(ex));
        expect(r, JSON.stringify(r)).toMatchObject({ ok: true });
      }
    });
  }

  it('round-trips a job through encode and decode', () => {
    const wire = encodePayload(jobRequest, examples.exampleJob);
    const back = decodePayload(jobRequest, Buffer.from(wire));
    expect(back).toEqual({ ok: true, value: examples.exampleJob });
  });

  it('defaults status_report to true when a job omits it', () => {
    const { status_report: _, ...job } = examples.exampleJob;
    const r = decodePayload(jobRequest, JSON.stringify(job));
    expect(r.ok && r.value.status_report).toBe(true);
  });

  it('drops unknown fields instead of refusing them (forward compatibility)', () => {
    const r = decodePayload(agentStatus, JSON.stringify({ ...examples.exampleStatus, future_field: 42 }));
    expect(r.ok).toBe(true);
    expect(r.ok && 'future_field' in r.value).toBe(false);
  });
});

describe('malformed payloads are refused with the bad field named', () => {
  const job = examples.exampleJob;
  const cases: Array<[string, unknown, RegExp]> = [
    ['missing execution_id', { ...job, execution_id: undefined }, /^execution_id: /],
    ['bad phone number', { ...job, to: '+7 916 123' }, /^to: .*digits/],
    ['empty text', { ...job, text: '' }, /^text: must not be empty/],
    ['text too long', { ...job, text: 'x'.repeat(2000) }, /^text: must be at most/],
    ['attempt 0', { ...job, attempt: 0 }, /^attempt: /],
    ['expiry before creation', { ...job, expires_at: '2026-11-25T08:00:00.000Z' }, /^expires_at: must be later/],
    ['date without zone', { ...job, created_at: 'yesterday' }, /^created_at: /],
    ['wrong version', { ...job, v: 2 }, /^v: /],
    ['platform with a slash', { ...job, platform_id: 'a/b' }, /^platform_id: /],
    ['site with a wildcard', { ...job, site_id: 'site+' }, /^site_id: /],
  ];
  for (const [name, payload, pattern] of cases) {
    it(name, () => {
      const r = decodePayload(jobRequest, JSON.stringify(payload));
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error).toMatch(pattern);
    });
  }

  it('names nested fields with their path', () => {
    const bad = { ...examples.exampleUpdates[2], delivery: { status: 'ok' } };
    const r = decodePayload(executionUpdate, JSON.stringify(bad));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/^delivery\.status: /);
  });

  it('names array elements by index', () => {
    const bad = { ...examples.exampleUpdates[1], message_refs: [1, 300] };
    const r = decodePayload(executionUpdate, JSON.stringify(bad));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/^message_refs\[1\]: /);
  });

  it('refuses an unknown agent state', () => {
    const r = decodePayload(executionUpdate, JSON.stringify({ ...examples.exampleUpdates[0], state: 'teleported' }));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/^state: /);
  });

  it('refuses text that is not JSON, without throwing', () => {
    const r = decodePayload(inboundSms, Buffer.from('{"v":1,'));
    expect(r).toMatchObject({ ok: false, error: expect.stringMatching(/not valid JSON/) });
  });

  it('refuses a JSON array at the top level', () => {
    const r = decodePayload(inboundSms, '[1,2]');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/^\(root\): /);
  });

  it('refuses an oversized payload before parsing it', () => {
    const r = decodePayload(inboundSms, Buffer.alloc(70_000, 0x20));
    expect(r).toMatchObject({ ok: false, error: expect.stringMatching(/exceeds/) });
  });

  it('encodePayload refuses to publish an invalid payload', () => {
    expect(() => encodePayload(jobRequest, { ...job, to: 'nobody' })).toThrow(/to: /);
  });
});

describe('topics', () => {
  const ref = { platform_id: 'acme', site_id: 's1' };

  it('builds and parses site topics', () => {
    for (const kind of ['job', 'update', 'status', 'inbound'] as const) {
      const t = siteTopic(ref, kind);
      expect(t).toBe(`gsmjobs/v1/site/acme/s1/${kind}`);
      expect(parseTopic(t)).toEqual({ scope: 'site', platform_id: 'acme', site_id: 's1', kind });
    }
  });

  it('builds and parses event topics', () => {
    expect(parseTopic(eventTopic('acme', 'execution'))).toEqual({ scope: 'events', platform_id: 'acme', kind: 'execution' });
    expect(parseTopic(eventTopic('acme', 'sms'))).toEqual({ scope: 'events', platform_id: 'acme', kind: 'sms' });
    expect(parseTopic(eventTopic('acme', 'site', 's1'))).toEqual({ scope: 'events', platform_id: 'acme', kind: 'site', site_id: 's1' });
  });

  it('rejects foreign and malformed topics', () => {
    for (const t of ['gsmjobs/v2/site/a/b/job', 'gsmjobs/v1/site/a/job', 'gsmjobs/v1/site/a/b/c/job', 'gsmjobs/v1/site/a/b/other', 'x/v1/site/a/b/job', 'gsmjobs/v1/events/a/site']) {
      expect(parseTopic(t), t).toBeUndefined();
    }
  });
});

describe('ACL by username only', () => {
  const s1 = usernames.site({ platform_id: 'acme', site_id: 's1' });
  const s2 = usernames.site({ platform_id: 'acme', site_id: 's2' });
  const other = usernames.site({ platform_id: 'globex', site_id: 's1' });
  const listener = usernames.platformEvents('acme');
  const ref = { platform_id: 'acme', site_id: 's1' };

  it('lets a site read its jobs and write its updates, status and inbound', () => {
    expect(aclAllows(s1, siteTopic(ref, 'job'), 'read')).toBe(true);
    for (const k of ['update', 'status', 'inbound'] as const) expect(aclAllows(s1, siteTopic(ref, k), 'write')).toBe(true);
    expect(aclAllows(s1, siteTopic(ref, 'job'), 'write')).toBe(false);
  });

  it('confines a site to its own topics, within and across platforms', () => {
    for (const u of [s2, other, listener]) {
      expect(aclAllows(u, siteTopic(ref, 'job'), 'read'), u).toBe(false);
      expect(aclAllows(u, siteTopic(ref, 'update'), 'write'), u).toBe(false);
    }
    expect(aclAllows(s1, 'gsmjobs/v1/site/acme/+/job', 'read')).toBe(false);
    expect(aclAllows(s1, 'gsmjobs/#', 'read')).toBe(false);
  });

  it('lets a platform listener read only its platform events and never publish them', () => {
    expect(aclAllows(listener, 'gsmjobs/v1/events/acme/#', 'read')).toBe(true);
    expect(aclAllows(listener, eventTopic('acme', 'execution'), 'read')).toBe(true);
    expect(aclAllows(listener, eventTopic('globex', 'execution'), 'read')).toBe(false);
    expect(aclAllows(listener, 'gsmjobs/v1/events/+/execution', 'read')).toBe(false);
    expect(aclAllows(listener, eventTopic('acme', 'execution'), 'write')).toBe(false);
    expect(aclAllows(listener, eventTopic('acme', 'sms'), 'write')).toBe(false);
    expect(aclAllows(listener, eventTopic('acme', 'site', 's1'), 'write')).toBe(false);
  });

  it('refuses empty and wildcard usernames', () => {
    expect(aclAllows(undefined, siteTopic(ref, 'job'), 'read')).toBe(false);
    expect(aclAllows('site/acme/#', 'gsmjobs/v1/site/acme/#/job', 'read')).toBe(false);
  });

  it('gives the hub everything under gsmjobs/', () => {
    expect(aclAllows('hub', siteTopic(ref, 'job'), 'write')).toBe(true);
    expect(aclAllows('hub', 'gsmjobs/#', 'read')).toBe(true);
    expect(aclAllows('hub', 'other/topic', 'read')).toBe(false);
  });
});

describe('CONTRACT.md', () => {
  it('is up to date with the schemas and examples (run `npm run contract:doc`)', async () => {
    const { readFileSync } = await import('node:fs');
    const { renderContractDoc } = await import('../../hub/common/contract/doc.js');
    const committed = readFileSync(new URL('../../hub/common/contract/CONTRACT.md', import.meta.url), 'utf8');
    expect(committed).toBe(renderContractDoc());
  });
});
