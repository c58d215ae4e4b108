// Issue 17: Idempotency-Key on every creating POST. The same key within 24 h replays the first
// answer (status, body, ETag) with `Idempotent-Replayed: true` and creates nothing more; the
// same key with another request is 422; keys are per platform; after 24 h a key is forgotten.
// Answers holding secrets are stored encrypted under the client's key, never in clear.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../hub/api/app.js';
import { jobBody } from './api-helpers.js';
import { ADMIN_TOKEN, createWorld, TOKENS, type World } from './world.js';

type Answer = { status: number; body: any; headers: Headers }; // eslint-disable-line @typescript-eslint/no-explicit-any

function client(w: World, token: string) {
  const app = createApp(w.deps);
  return async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> => {
    const h: Record<string, string> = { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers };
    const res = await app.request(path, { method, headers: h, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as unknown) : null, headers: res.headers };
  };
}

interface Create {
  name: string;
  admin?: boolean;
  path: string;
  body: (n: number) => unknown;
  /** How many records exist now (to prove one create happened). */
  count: (w: World) => number;
}

const CREATES: Create[] = [
  { name: 'jobs', path: '/api/v1/jobs', body: (n) => jobBody({ name: `job ${n}` }), count: (w) => w.store.jobs('a').length },
  { name: 'sites', path: '/api/v1/sites', body: (n) => ({ id: `s-new-${n}`, name: `S ${n}` }), count: (w) => w.store.sites('a').length },
  { name: 'control devices', path: '/api/v1/control-devices', body: (n) => ({ name: `D ${n}`, phone: '+79160000009', model: 'SIMPAL_D210', site_ids: ['s1'] }), count: (w) => w.store.controlDevices('a').length },
  { name: 'webhooks', path: '/api/v1/webhooks', body: (n) => ({ url: `https://example.org/h${n}` }), count: (w) => w.store.webhooks('a').length },
  { name: 'tokens', admin: true, path: '/api/v1/platforms/a/tokens', body: (n) => ({ label: `ci ${n}` }), count: (w) => w.store.platform('a')?.tokens.length ?? 0 },
  { name: 'platforms', admin: true, path: '/api/v1/platforms', body: (n) => ({ id: `p${n}`, name: `P ${n}`, prometheus: { url: 'http://prom.invalid:9090' } }), count: (w) => w.store.platforms().length },
  { name: 'bulk jobs', path: '/api/v1/jobs:bulk', body: (n) => ({ jobs: [jobBody({ name: `bulk ${n}a` }), jobBody({ name: `bulk ${n}b` })] }), count: (w) => w.store.jobs('a').length },
];

describe('Idempotency-Key', () => {
  for (const k of CREATES) {
    it(`${k.name}: a retried create replays the first answer and creates once; another request under the key is 422`, async () => {
      const w = await createWorld();
      const api = client(w, k.admin ? ADMIN_TOKEN : TOKENS.a);
      const before = k.count(w);
      const key = `key-${k.name.replace(/\s/g, '-')}-0f9c2a`;
      const first = await api('POST', k.path, k.body(1), { 'idempotency-key': key });
      expect(first.status).toBe(201);
      expect(first.headers.get('idempotent-replayed')).toBeNull();
      const again = await api('POST', k.path, k.body(1), { 'idempotency-key': key });
      expect(again.status).toBe(201);
      expect(again.body).toEqual(first.body);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(again.headers.get('etag')).toBe(first.headers.get('etag'));
      expect(k.count(w)).toBe(before + (k.name === 'bulk jobs' ? 2 : 1));
      const other = await api('POST', k.path, k.body(2), { 'idempotency-key': key });
      expect(other.status).toBe(422);
      expect(other.body.error.code).toBe('idempotency_key_reused');
      // A new key creates again; no key at all is the old behaviour.
      expect((await api('POST', k.path, k.body(3), { 'idempotency-key': `${key}-2` })).status).toBe(201);
      expect((await api('POST', k.path, k.body(4))).status).toBe(201);
      expect(k.count(w)).toBe(before + (k.name === 'bulk jobs' ? 6 : 3));
    });
  }

  it('keys are per platform, errors are not remembered, keys expire after 24 h', async () => {
    const w = await createWorld();
    const a = client(w, TOKENS.a);
    const b = client(w, TOKENS.b);
    const key = 'shared-key-7d1e';
    expect((await a('POST', '/api/v1/jobs', jobBody(), { 'idempotency-key': key })).status).toBe(201);
    const bb = jobBody({ steps: [{ type: 'send', site_id: 's1', control_device_id: 'cd-b', command: { kind: 'catalog', command_id: '12_0_minutes_1', params: { minutes: 1 } } }] });
    const theirs = await b('POST', '/api/v1/jobs', bb, { 'idempotency-key': key });
    expect(theirs.status).toBe(201);
    expect(theirs.headers.get('idempotent-replayed')).toBeNull();
    expect(w.store.jobs('b')).toHaveLength(1);
    // A refused request is not kept: fixed and retried under the same key, it creates.
    const badKey = 'retry-after-fix-01';
    expect((await a('POST', '/api/v1/jobs', jobBody({ for_s: -1 }), { 'idempotency-key': badKey })).status).toBe(400);
    expect((await a('POST', '/api/v1/jobs', jobBody({ name: 'fixed' }), { 'idempotency-key': badKey })).status).toBe(201);
    // 24 h later the key is forgotten (and pruned): the same request creates again.
    const jobs = w.store.jobs('a').length;
    w.clock.advance(24 * 3600_000 + 1000);
    const later = await a('POST', '/api/v1/jobs', jobBody(), { 'idempotency-key': key });
    expect(later.status).toBe(201);
    expect(later.headers.get('idempotent-replayed')).toBeNull();
    expect(w.store.jobs('a')).toHaveLength(jobs + 1);
  });

  it('concurrent requests with one key create once', async () => {
    const w = await createWorld();
    const a = client(w, TOKENS.a);
    const answers = await Promise.all(Array.from({ length: 5 }, () => a('POST', '/api/v1/jobs', jobBody(), { 'idempotency-key': 'burst-key-42' })));
    expect(answers.map((r) => r.status)).toEqual([201, 201, 201, 201, 201]);
    expect(new Set(answers.map((r) => r.body.id)).size).toBe(1);
    expect(answers.filter((r) => r.headers.get('idempotent-replayed') === 'true')).toHaveLength(4);
    expect(w.store.jobs('a')).toHaveLength(1);
  });

  it('stores secrets shown once only encrypted under the key, and refuses malformed keys', async () => {
    const w = await createWorld();
    const a = client(w, TOKENS.a);
    const site = await a('POST', '/api/v1/sites', { id: 's5', name: 'S5', mqtt_password: 'site-password-visible-once' }, { 'idempotency-key': 'site-key-1234' });
    expect(site.body.mqtt_password).toBe('site-password-visible-once');
    const token = await client(w, ADMIN_TOKEN)('POST', '/api/v1/platforms/a/tokens', { label: 'x' }, { 'idempotency-key': 'token-key-1234' });
    await w.deps.port.close();
    const stored = readFileSync(join(w.dir, 'port.json'), 'utf8');
    expect(stored).not.toContain('site-password-visible-once');
    expect(stored).not.toContain(token.body.token as string);
    expect(stored).not.toContain('site-key-1234');
    expect(stored).toContain('"v":1');
    const replay = await a('POST', '/api/v1/sites', { id: 's5', name: 'S5', mqtt_password: 'site-password-visible-once' }, { 'idempotency-key': 'site-key-1234' });
    expect(replay.body.mqtt_password).toBe('site-password-visible-once');
    for (const bad of ['has space', 'x'.repeat(256)]) {
      const r = await a('POST', '/api/v1/jobs', jobBody(), { 'idempotency-key': bad });
      expect(r.status).toBe(400);
      expect(r.body.error.issues[0]).toMatchObject({ field: 'Idempotency-Key', code: 'invalid_idempotency_key', params: { max: 255 } });
    }
  });
});
