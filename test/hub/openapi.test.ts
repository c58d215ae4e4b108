// The OpenAPI document is complete and true (issue 21): every route the app serves is in it,
// every operation has a response schema, the bodies the handlers read are documented (the
// events password, the power-cycle template's options), and every operation called for real on
// a world with data answers what the document says (status and schema, CSV where documented).
import { describe, expect, it } from 'vitest';
import { createApp } from '../../hub/api/app.js';
import { JOB_EXAMPLE } from '../../hub/api/openapi.js';
import { jobInput } from '../../hub/model/job.js';
import { validate } from '../support/json-schema.js';
import { caller } from './api-helpers.js';
import { walk } from './openapi-walk.js';

type Doc = { paths: Record<string, Record<string, { parameters: Array<{ name: string; in: string }>; requestBody?: { content: Record<string, { schema: Record<string, unknown>; example?: unknown }> }; responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>> };

describe('OpenAPI document', () => {
  it('every real answer of every operation matches its documented status and schema', async () => {
    const { w, calls } = await walk();
    const doc = (await caller(w, null)('GET', '/api/v1/openapi.json')).body as Doc;
    const documented = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`));
    // The walk calls every documented operation.
    expect(new Set(calls.map((c) => `${c.method} ${c.doc}`))).toEqual(new Set(documented));
    // Every route the app serves under /api/v1 is documented.
    const served = createApp(w.deps)
      .routes.filter((r) => r.method !== 'ALL' && r.path.startsWith('/api/v1/') && r.path !== '/api/v1/openapi.json')
      .map((r) => `${r.method} ${r.path.replace(/\/:(\w+)/g, '/{$1}')}`);
    expect(served.length).toBeGreaterThan(40);
    expect(served.filter((r) => !documented.includes(r))).toEqual([]);
    const problems: string[] = [];
    for (const c of calls) {
      const op = doc.paths[c.doc]?.[c.method.toLowerCase()];
      if (!op) {
        problems.push(`${c.method} ${c.doc}: not documented`);
        continue;
      }
      const answer = op.responses[String(c.status)];
      if (!answer) {
        problems.push(`${c.method} ${c.doc}: status ${c.status} not documented (${JSON.stringify(c.body).slice(0, 200)})`);
        continue;
      }
      if (c.body === null) {
        if (answer.content) problems.push(`${c.method} ${c.doc}: no body, but content documented`);
        continue;
      }
      const media = answer.content?.[c.contentType];
      if (!media) {
        problems.push(`${c.method} ${c.doc}: ${c.contentType} not documented`);
        continue;
      }
      for (const e of validate(media.schema, c.body, doc)) problems.push(`${c.method} ${c.doc}: ${e}`);
    }
    expect(problems).toEqual([]);
  });

  it('documents the bodies, queries and a full job example', async () => {
    const { w } = await walk();
    const doc = (await caller(w, null)('GET', '/api/v1/openapi.json')).body as Doc;
    const body = (p: string, m = 'post') => doc.paths[`/api/v1${p}`]?.[m]?.requestBody?.content['application/json'];
    expect(Object.keys((body('/platforms/{id}/events-password')?.schema.properties ?? {}) as object)).toEqual(['password']);
    expect(Object.keys((body('/playbooks/templates/power-cycle')?.schema.properties ?? {}) as object)).toEqual(expect.arrayContaining(['model', 'site_id', 'control_device_id', 'off_min', 'long_off_min', 'boot_s', 'line', 'online_metric', 'notify', 'lang']));
    expect(Object.keys((body('/playbooks/dry-run')?.schema.properties ?? {}) as object).sort()).toEqual(['job', 'job_id']);
    const put = body('/platforms/{id}', 'put')?.schema as { properties: { prometheus: { required?: string[] } } };
    expect(put.properties.prometheus.required ?? []).not.toContain('headers');
    expect(body('/jobs')?.example).toEqual(JOB_EXAMPLE);
    expect(jobInput.safeParse(JOB_EXAMPLE).success).toBe(true);
    const queries = (p: string) => doc.paths[`/api/v1${p}`]?.get?.parameters.filter((x) => x.in === 'query').map((x) => x.name) ?? [];
    expect(queries('/incidents')).toContain('status');
    expect(queries('/reports/daily')).toEqual(expect.arrayContaining(['since', 'until', 'format']));
    expect(queries('/webhooks/{id}/deliveries')).toContain('limit');
    expect(queries('/executions')).toEqual(expect.arrayContaining(['job_id', 'phase', 'incident_id']));
    for (const [p, ops] of Object.entries(doc.paths)) for (const [m, op] of Object.entries(ops)) expect(Object.keys(op.responses).some((s) => s.startsWith('2')), `${m} ${p}`).toBe(true);
  });
});
