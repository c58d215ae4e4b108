// Tenancy: a platform token cannot see, change or trigger anything of another platform, and
// every Prometheus query it causes carries its own platform_id.
import { describe, expect, it } from 'vitest';
import { caller, jobBody } from './api-helpers.js';
import { createWorld, TOKENS } from './world.js';

describe('tenant isolation', () => {
  it('platform b cannot read, list, change, delete, dry-run or trigger platform a jobs', async () => {
    const w = await createWorld();
    const a = caller(w, TOKENS.a);
    const b = caller(w, TOKENS.b);
    const job = (await a('POST', '/api/v1/jobs', jobBody())).body;
    const id = job.id as string;
    expect((await b('GET', '/api/v1/jobs')).body.total).toBe(0);
    for (const [method, path, body] of [
      ['GET', `/api/v1/jobs/${id}`],
      ['PUT', `/api/v1/jobs/${id}`, jobBody({ steps: [{ type: 'send', site_id: 's1', control_device_id: 'cd-b', command: { kind: 'text', text: 'x' } }] })],
      ['DELETE', `/api/v1/jobs/${id}`],
      ['POST', `/api/v1/jobs/${id}/disable`],
      ['POST', `/api/v1/jobs/${id}/dry-run`],
      ['POST', `/api/v1/jobs/${id}/trigger`, {}],
    ] as const) {
      const r = await b(method, path, body);
      expect(r.status, `${method} ${path}`).toBe(404);
    }
    // Asking for the other platform explicitly is refused too.
    expect((await b('GET', '/api/v1/jobs?platform_id=a')).status).toBe(403);
    expect(w.store.job(id)).toMatchObject({ enabled: true, platform_id: 'a' });
    expect(w.store.executionList()).toHaveLength(0);
  });

  it('a job cannot point at another platform\'s site or control device', async () => {
    const w = await createWorld();
    const b = caller(w, TOKENS.b);
    const r = await b('POST', '/api/v1/jobs', jobBody({ steps: [{ type: 'send', site_id: 's1', control_device_id: 'cd-a', command: { kind: 'text', text: 'x' } }] }));
    expect(r.status).toBe(400);
    expect(r.body.error.field).toBe('steps[0].control_device_id');
  });

  it('executions, sites, control devices and devices are scoped', async () => {
    const w = await createWorld();
    const a = caller(w, TOKENS.a);
    const b = caller(w, TOKENS.b);
    const job = (await a('POST', '/api/v1/jobs', jobBody())).body;
    const exec = (await a('POST', `/api/v1/jobs/${job.id}/trigger`, {})).body.execution_id as string;
    await w.publisher.idle();
    expect((await b('GET', '/api/v1/executions')).body.total).toBe(0);
    expect((await b('GET', `/api/v1/executions/${exec}`)).status).toBe(404);
    expect((await b('GET', '/api/v1/control-devices')).body.items.map((d: { id: string }) => d.id)).toEqual(['cd-b']);
    expect((await b('GET', '/api/v1/control-devices/cd-a')).status).toBe(404);
    expect((await b('PUT', '/api/v1/control-devices/cd-a', { name: 'x', phone: '+79990000000', model: 'generic', site_ids: ['s1'] })).status).toBe(404);
    expect((await b('DELETE', '/api/v1/control-devices/cd-a')).status).toBe(404);
    expect((await b('GET', '/api/v1/sites')).body.items.map((s: { platform_id: string }) => s.platform_id)).toEqual(['b']);
    expect((await b('GET', '/api/v1/platforms')).body.items.map((p: { id: string }) => p.id)).toEqual(['b']);
    expect((await b('GET', '/api/v1/platforms/a')).status).toBe(404);
    expect((await b('POST', '/api/v1/platforms/a/tokens', {})).status).toBe(403);

    // Device lookups: the key is escaped and the platform matcher is always b's.
    w.prom.set('signage_device_online', { platform_id: 'a', device_id: 'dev-a-1' }, 0);
    w.prom.queries = [];
    const evil = encodeURIComponent('x"}or{platform_id="a');
    const r = await b('GET', `/api/v1/devices/device_id/${evil}/metrics`);
    expect(r.body.items).toEqual([]);
    await b('GET', '/api/v1/devices');
    expect(w.prom.queries.length).toBeGreaterThan(0);
    for (const q of w.prom.queries) {
      expect(q.promql).toContain('platform_id="b"');
      expect(q.promql).not.toMatch(/platform_id="a"|platform_id=~/);
      expect(q.endpoint.url).toBe('http://prom-b.invalid');
    }
  });
});
