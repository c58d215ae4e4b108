// Issue 20: POST /jobs:bulk. Each item is validated as POST /jobs; errors name the item
// ({index, issues} with codes); atomic (the default) writes all or nothing through
// port.jobs.putMany; ?atomic=false writes the valid ones; caps on count and body size.
import { describe, expect, it } from 'vitest';
import { createApp } from '../../hub/api/app.js';
import { BULK_MAX_JOBS } from '../../hub/api/jobs-bulk.js';
import { jobBody } from './api-helpers.js';
import { createWorld, TOKENS, type World } from './world.js';

type Answer = { status: number; body: any }; // eslint-disable-line @typescript-eslint/no-explicit-any

function client(w: World, token: string) {
  const app = createApp(w.deps);
  return async (path: string, body: unknown): Promise<Answer> => {
    const res = await app.request(path, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as unknown) : null };
  };
}

describe('POST /jobs:bulk', () => {
  it('atomic: one invalid item writes nothing and names every bad item with codes', async () => {
    const w = await createWorld();
    const post = client(w, TOKENS.a);
    const jobs = [jobBody({ name: 'ok 1' }), jobBody({ for_s: -5 }), jobBody({ name: 'ok 2' }), jobBody({ steps: [{ type: 'send', site_id: 's1', control_device_id: 'cd-b', command: { kind: 'text', text: 'x' } }] })];
    const r = await post('/api/v1/jobs:bulk', { jobs });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('invalid');
    expect(r.body.error.items.map((i: { index: number }) => i.index)).toEqual([1, 3]);
    expect(r.body.error.items[0].issues[0]).toMatchObject({ field: 'for_s', code: 'out_of_range', params: { min: 0 } });
    // Another platform's control device is unknown here, as with POST /jobs.
    expect(r.body.error.items[1].issues[0]).toMatchObject({ field: 'steps[0].control_device_id', code: 'not_found', params: { what: 'control_device', id: 'cd-b' } });
    expect(w.store.jobs('a')).toHaveLength(0);
  });

  it('atomic: all valid items are stored at version 1 with their names; /jobs/bulk is the same route', async () => {
    const w = await createWorld();
    const post = client(w, TOKENS.a);
    const r = await post('/api/v1/jobs:bulk?lang=en', { jobs: [jobBody({ name: 'first' }), jobBody()] });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ atomic: true, created: 2, errors: [] });
    expect(r.body.items.map((i: { index: number; version: number }) => [i.index, i.version])).toEqual([
      [0, 1],
      [1, 1],
    ]);
    expect(r.body.items[1].name).toMatch(/online/);
    const stored = w.store.jobs('a');
    expect(stored.map((j) => j.name).sort()).toEqual([r.body.items[0].name, r.body.items[1].name].sort());
    expect((await post('/api/v1/jobs/bulk', { jobs: [jobBody({ name: 'third' })] })).status).toBe(201);
    expect(w.store.jobs('a')).toHaveLength(3);
  });

  it('?atomic=false writes the valid items and reports the others', async () => {
    const w = await createWorld();
    const post = client(w, TOKENS.a);
    const r = await post('/api/v1/jobs:bulk?atomic=false', { jobs: [jobBody({ name: 'good' }), 'not a job', jobBody({ name: 'x'.repeat(300) })] });
    expect(r.status).toBe(200);
    expect(r.body.created).toBe(1);
    expect(r.body.errors.map((e: { index: number }) => e.index)).toEqual([1, 2]);
    expect(r.body.errors[0].issues[0]).toMatchObject({ field: '(root)', code: 'invalid_type', params: { expected: 'object' } });
    expect(r.body.errors[1].issues[0]).toMatchObject({ field: 'name', code: 'too_long' });
    expect(w.store.jobs('a').map((j) => j.name)).toEqual(['good']);
  });

  it(`refuses more than ${BULK_MAX_JOBS} jobs, an empty list and an oversized body`, async () => {
    const w = await createWorld();
    const post = client(w, TOKENS.a);
    const one = jobBody();
    const many = await post('/api/v1/jobs:bulk', { jobs: Array.from({ length: BULK_MAX_JOBS + 1 }, () => one) });
    expect(many.status).toBe(400);
    expect(many.body.error.issues[0]).toMatchObject({ field: 'jobs', code: 'max_items', params: { max: BULK_MAX_JOBS } });
    const none = await post('/api/v1/jobs:bulk', { jobs: [] });
    expect(none.body.error.issues[0]).toMatchObject({ field: 'jobs', code: 'min_items', params: { min: 1 } });
    const huge = await post('/api/v1/jobs:bulk', JSON.stringify({ jobs: [{ ...one, name: 'y'.repeat(9 * 1024 * 1024) }] }));
    expect(huge.status).toBe(413);
    expect(w.store.jobs('a')).toHaveLength(0);
  });

  it(`imports ${BULK_MAX_JOBS} jobs in one request`, async () => {
    const w = await createWorld();
    const post = client(w, TOKENS.a);
    const jobs = Array.from({ length: BULK_MAX_JOBS }, (_, i) => jobBody({ name: `row ${i}`, device: { key_type: 'device_id', key: `dev-${i}`, name: `Player ${i}` } }));
    const r = await post('/api/v1/jobs:bulk', { jobs });
    expect(r.status).toBe(201);
    expect(r.body.created).toBe(BULK_MAX_JOBS);
    expect(w.store.jobs('a')).toHaveLength(BULK_MAX_JOBS);
  }, 60_000);
});
