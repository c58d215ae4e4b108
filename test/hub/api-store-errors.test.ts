// Store errors as HTTP (issue 20): the store unreachable is 503 with Retry-After (never a 500
// that a client would not retry), a create racing another create of the same id is 409, a
// record written under another platform's scope (a bug) is 500 without details.
import { describe, expect, it } from 'vitest';
import { createApp } from '../../hub/api/app.js';
import type { ApiDeps } from '../../hub/api/context.js';
import { ScopeError, scopeOf, StoreUnavailableError, type StorePort, VersionConflictError } from '../../hub/store/port.js';
import { jobBody } from './api-helpers.js';
import { createWorld, TOKENS } from './world.js';

/** The world's port with `jobs` replaced by a repo whose calls throw `err`. */
function failingJobs(port: StorePort, err: () => Error): StorePort {
  const jobs = new Proxy(port.jobs, { get: (t, k) => (k === 'then' ? undefined : () => Promise.reject(err())) });
  return new Proxy(port, { get: (t, k, r) => (k === 'jobs' ? jobs : Reflect.get(t, k, r)) as unknown });
}

async function call(deps: ApiDeps, method: string, path: string, body?: unknown) {
  const res = await createApp(deps).request(path, { method, headers: { authorization: `Bearer ${TOKENS.a}`, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as { error: { code: string; message: string } } };
}

describe('store errors through the API', () => {
  it('StoreUnavailableError: 503 store_unavailable with Retry-After', async () => {
    const w = await createWorld();
    const deps = { ...w.deps, port: failingJobs(w.deps.port, () => new StoreUnavailableError('connection refused')) };
    for (const [m, p, b] of [
      ['GET', '/api/v1/jobs'],
      ['POST', '/api/v1/jobs', jobBody()],
      ['GET', '/api/v1/jobs/x'],
    ] as const) {
      const r = await call(deps, m, p, b);
      expect(r.status, `${m} ${p}`).toBe(503);
      expect(r.body.error.code).toBe('store_unavailable');
      expect(Number(r.retryAfter)).toBeGreaterThan(0);
      expect(r.body.error.message).not.toContain('connection refused');
    }
  });

  it('VersionConflictError on create: 409 exists; ScopeError: 500 without details', async () => {
    const w = await createWorld();
    const race = { ...w.deps, port: failingJobs(w.deps.port, () => new VersionConflictError('jobs', 'j1', null, 1)) };
    const r = await call(race, 'POST', '/api/v1/jobs', jobBody());
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe('exists');
    const bug = { ...w.deps, port: failingJobs(w.deps.port, () => new ScopeError('jobs', 'j1', scopeOf('a'), 'b')) };
    const s = await call(bug, 'GET', '/api/v1/jobs');
    expect(s.status).toBe(500);
    expect(s.body.error.code).toBe('internal');
    expect(JSON.stringify(s.body)).not.toContain('platform b');
  });
});
