// Issue 17: optimistic concurrency on every resource. GET answers `ETag: "<version>"`; a write
// with a stale If-Match is 412 version_conflict carrying the current version and record; the
// same write with the current ETag passes and answers the next ETag; without If-Match a write is
// unconditional; If-Match on a record deleted meanwhile is 412 with current null (not 404).
import { describe, expect, it } from 'vitest';
import { createApp } from '../../hub/api/app.js';
import { parsePrecondition } from '../../hub/api/versions.js';
import { jobBody } from './api-helpers.js';
import { ADMIN_TOKEN, createWorld, TOKENS, type World } from './world.js';

type Answer = { status: number; body: any; etag: string | null }; // eslint-disable-line @typescript-eslint/no-explicit-any

function client(w: World, token: string) {
  const app = createApp(w.deps);
  return async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> => {
    const h: Record<string, string> = { authorization: `Bearer ${token}`, ...headers };
    if (body !== undefined) h['content-type'] = 'application/json';
    const res = await app.request(path, { method, headers: h, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as unknown) : null, etag: res.headers.get('etag') };
  };
}

interface Resource {
  name: string;
  token: 'a' | 'admin';
  /** Creates the record; returns its path. */
  create(api: ReturnType<typeof client>): Promise<string>;
  method: 'PUT' | 'PATCH';
  /** A valid change (`n` makes each one differ). */
  change(n: number): unknown;
  /** The field that shows the change in the answer. */
  shows(body: any, n: number): void; // eslint-disable-line @typescript-eslint/no-explicit-any
  deletable: boolean;
}

const RESOURCES: Resource[] = [
  {
    name: 'jobs',
    token: 'a',
    create: async (api) => `/api/v1/jobs/${(await api('POST', '/api/v1/jobs', jobBody({ name: 'v1' }))).body.id}`,
    method: 'PUT',
    change: (n) => jobBody({ name: `v${n}` }),
    shows: (b, n) => expect(b.name).toBe(`v${n}`),
    deletable: true,
  },
  {
    name: 'control devices',
    token: 'a',
    create: async (api) => `/api/v1/control-devices/${(await api('POST', '/api/v1/control-devices', { name: 'D1', phone: '+79160000009', model: 'SIMPAL_D210', site_ids: ['s1'] })).body.id}`,
    method: 'PUT',
    change: (n) => ({ name: `D${n}`, phone: '+79160000009', model: 'SIMPAL_D210', site_ids: ['s1'] }),
    shows: (b, n) => expect(b.name).toBe(`D${n}`),
    deletable: true,
  },
  {
    name: 'webhooks',
    token: 'a',
    create: async (api) => `/api/v1/webhooks/${(await api('POST', '/api/v1/webhooks', { url: 'https://example.org/h1' })).body.id}`,
    method: 'PATCH',
    change: (n) => ({ url: `https://example.org/h${n}` }),
    shows: (b, n) => expect(b.url).toBe(`https://example.org/h${n}`),
    deletable: true,
  },
  {
    name: 'platforms',
    token: 'admin',
    create: async (api) => {
      await api('POST', '/api/v1/platforms', { id: 'v', name: 'V1', prometheus: { url: 'http://prom-v.invalid:9090' } });
      return '/api/v1/platforms/v';
    },
    method: 'PUT',
    change: (n) => ({ name: `V${n}`, prometheus: { url: 'http://prom-v.invalid:9090' } }),
    shows: (b, n) => expect(b.name).toBe(`V${n}`),
    deletable: false,
  },
  {
    name: 'remediation settings',
    token: 'a',
    create: async () => '/api/v1/remediation/settings',
    method: 'PUT',
    change: (n) => ({ on_call: [{ name: `Duty ${n}`, phone: '+79990000001' }] }),
    shows: (b, n) => expect(b.on_call[0].name).toBe(`Duty ${n}`),
    deletable: false,
  },
];

describe('ETag / If-Match', () => {
  for (const r of RESOURCES) {
    it(`${r.name}: ETag on GET, 412 on a stale If-Match with the current record, unconditional without`, async () => {
      const w = await createWorld();
      const api = client(w, r.token === 'admin' ? ADMIN_TOKEN : TOKENS.a);
      const path = await r.create(api);
      const first = await api('GET', path);
      expect(first.status).toBe(200);
      expect(first.etag).toMatch(/^"\d+"$/);
      expect(first.etag).toBe(`"${first.body.version}"`);
      // Tab 1 saves with the ETag it read: passes, new ETag.
      const one = await api(r.method, path, r.change(2), { 'if-match': first.etag as string });
      expect(one.status).toBe(200);
      r.shows(one.body, 2);
      expect(one.etag).not.toBe(first.etag);
      expect(one.etag).toBe(`"${one.body.version}"`);
      // Tab 2 saves with the ETag it read before: refused, nothing overwritten, told what is there now.
      const two = await api(r.method, path, r.change(3), { 'if-match': first.etag as string });
      expect(two.status).toBe(412);
      expect(two.body.error.code).toBe('version_conflict');
      expect(`"${two.body.error.current_version}"`).toBe(one.etag);
      r.shows(two.body.error.current, 2);
      r.shows((await api('GET', path)).body, 2);
      // Weak and * forms are accepted; without If-Match the write is unconditional.
      expect((await api(r.method, path, r.change(4), { 'if-match': `W/${one.etag}` })).status).toBe(200);
      expect((await api(r.method, path, r.change(5), { 'if-match': '*' })).status).toBe(200);
      const blind = await api(r.method, path, r.change(6));
      expect(blind.status).toBe(200);
      r.shows(blind.body, 6);
      // A malformed If-Match is a 400 naming the header.
      const bad = await api(r.method, path, r.change(7), { 'if-match': 'yesterday' });
      expect(bad.status).toBe(400);
      expect(bad.body.error.issues[0]).toMatchObject({ field: 'If-Match', code: 'invalid_if_match' });
      if (r.deletable) {
        const cur = await api('GET', path);
        expect((await api('DELETE', path, undefined, { 'if-match': first.etag as string })).status).toBe(412);
        expect((await api('DELETE', path, undefined, { 'if-match': cur.etag as string })).status).toBe(204);
        // Deleted by someone else meanwhile: 412 with current null, not 404.
        const late = await api(r.method, path, r.change(8), { 'if-match': cur.etag as string });
        expect(late.status).toBe(412);
        expect(late.body.error).toMatchObject({ code: 'version_conflict', current_version: null, current: null });
        expect((await api('GET', path)).status).toBe(404);
      }
    });
  }

  it('sites: ETag on GET and create; password rotation and DELETE honour If-Match', async () => {
    const w = await createWorld();
    const api = client(w, TOKENS.a);
    const created = await api('POST', '/api/v1/sites', { id: 's7', name: 'S7' });
    expect(created.status).toBe(201);
    expect(created.etag).toBe('"1"');
    const read = await api('GET', '/api/v1/sites/s7');
    expect(read.etag).toBe('"1"');
    expect((await api('POST', '/api/v1/sites/s7/password', {}, { 'if-match': '"1"' })).status).toBe(200);
    const stale = await api('POST', '/api/v1/sites/s7/password', {}, { 'if-match': '"1"' });
    expect(stale.status).toBe(412);
    expect(stale.body.error).toMatchObject({ code: 'version_conflict', current_version: 2, current: { id: 's7', version: 2 } });
    expect(JSON.stringify(stale.body)).not.toContain('scrypt');
    expect((await api('DELETE', '/api/v1/sites/s7', undefined, { 'if-match': '"1"' })).status).toBe(412);
    expect((await api('DELETE', '/api/v1/sites/s7', undefined, { 'if-match': '"2"' })).status).toBe(204);
    expect((await api('DELETE', '/api/v1/sites/s7', undefined, { 'if-match': '"2"' })).body.error).toMatchObject({ code: 'version_conflict', current: null });
  });

  it('jobs: enable/disable honour If-Match; another platform gets 404 whatever it sends', async () => {
    const w = await createWorld();
    const a = client(w, TOKENS.a);
    const b = client(w, TOKENS.b);
    const job = await a('POST', '/api/v1/jobs', jobBody());
    expect(job.etag).toBe('"1"');
    expect((await a('POST', `/api/v1/jobs/${job.body.id}/disable`, undefined, { 'if-match': '"7"' })).status).toBe(412);
    const off = await a('POST', `/api/v1/jobs/${job.body.id}/disable`, undefined, { 'if-match': '"1"' });
    expect(off.status).toBe(200);
    expect(off.body.enabled).toBe(false);
    expect(off.etag).toBe('"2"');
    // Platform b sees the job as absent, exactly as an id that does not exist: 404 without
    // If-Match, 412 with current null with it.
    expect((await b('GET', `/api/v1/jobs/${job.body.id}`)).status).toBe(404);
    const theirs = await b('PUT', `/api/v1/jobs/${job.body.id}`, jobBody(), { 'if-match': '"2"' });
    const none = await b('PUT', '/api/v1/jobs/no-such-job', jobBody(), { 'if-match': '"2"' });
    expect(theirs.status).toBe(412);
    expect(theirs.body.error).toMatchObject({ current: null, current_version: null });
    expect({ ...theirs.body.error, message: '' }).toEqual({ ...none.body.error, message: '' });
  });

  it('PUT /jobs answers in a fixed order of errors, though it reads the job and parses the body at once', async () => {
    const w = await createWorld();
    const a = client(w, TOKENS.a);
    const job = await a('POST', '/api/v1/jobs', jobBody());
    const bad = { ...jobBody(), conditions: 'none' };
    // A missing job is 404 (412 with If-Match) even with an invalid body and unknown references.
    expect((await a('PUT', '/api/v1/jobs/no-such-job', bad)).status).toBe(404);
    expect((await a('PUT', '/api/v1/jobs/no-such-job', bad, { 'if-match': '"1"' })).status).toBe(412);
    // A stale If-Match is 412 before the body is judged; then an invalid body is 400.
    expect((await a('PUT', `/api/v1/jobs/${job.body.id}`, bad, { 'if-match': '"9"' })).status).toBe(412);
    const invalid = await a('PUT', `/api/v1/jobs/${job.body.id}`, bad, { 'if-match': '"1"' });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.issues.some((d: { field: string }) => d.field.startsWith('conditions'))).toBe(true);
    // A reference to another platform's site is refused as unknown, and the job is unchanged.
    const foreign = jobBody({ steps: [{ ...jobBody().steps[0], site_id: 'no-such-site' }] });
    const refused = await a('PUT', `/api/v1/jobs/${job.body.id}`, foreign, { 'if-match': '"1"' });
    expect(refused.status).toBe(400);
    expect((await a('GET', `/api/v1/jobs/${job.body.id}`)).etag).toBe('"1"');
  });

  it('versions survive a restart: the store loads records written with their version', async () => {
    const w = await createWorld();
    const a = client(w, TOKENS.a);
    const admin = client(w, ADMIN_TOKEN);
    const cd = await a('POST', '/api/v1/control-devices', { name: 'D1', phone: '+79160000009', model: 'SIMPAL_D210', site_ids: ['s1'] });
    await a('PUT', `/api/v1/control-devices/${cd.body.id}`, { name: 'D2', phone: '+79160000009', model: 'SIMPAL_D210', site_ids: ['s1'] });
    const job = await a('POST', '/api/v1/jobs', jobBody());
    await admin('PUT', '/api/v1/platforms/a', { name: 'A2', prometheus: { url: 'http://prom-a.invalid:9090' } });
    await a('POST', '/api/v1/webhooks', { url: 'https://example.org/h' });
    await w.deps.port.close();
    await w.store.flush();
    const again = await createWorld(w.dir);
    const a2 = client(again, TOKENS.a);
    expect((await a2('GET', `/api/v1/control-devices/${cd.body.id}`)).etag).toBe('"2"');
    expect((await a2('GET', `/api/v1/jobs/${job.body.id}`)).etag).toBe('"1"');
    // (The world seeds platforms a and b again after loading, so only the load proves the platform.)
    expect((await a2('GET', '/api/v1/webhooks')).body.items[0]).toMatchObject({ url: 'https://example.org/h', version: 1 });
  });

  it('parses If-Match as RFC 9110 says', () => {
    expect(parsePrecondition(undefined)).toEqual({ kind: 'none' });
    expect(parsePrecondition('*')).toEqual({ kind: 'any' });
    expect(parsePrecondition('"12"')).toEqual({ kind: 'version', version: 12 });
    expect(parsePrecondition('W/"3"')).toEqual({ kind: 'version', version: 3 });
    expect(parsePrecondition('"x", "4"')).toEqual({ kind: 'version', version: 4 });
    expect(() => parsePrecondition('4')).toThrow(/If-Match/);
  });
});
