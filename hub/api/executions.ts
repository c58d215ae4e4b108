// /api/v1/executions: history with filters (job, device key, site, state, time), one execution
// with its timeline, and the inbound SMS log.
import { Hono } from 'hono';
import { executionListQuery, executionView, publicExecution } from '../model/execution.js';
import { scope } from './auth.js';
import type { HubEnv } from './context.js';
import { ApiError, notFound, parseQuery } from './errors.js';

export function executionsApi(): Hono<HubEnv> {
  const app = new Hono<HubEnv>();
  app.get('/', (c) => {
    const platform = scope(c);
    const q = parseQuery(c, executionListQuery);
    const since = q.since ? Date.parse(q.since) : -Infinity;
    const until = q.until ? Date.parse(q.until) : Infinity;
    const items = c
      .get('deps')
      .store.executionList(platform.id)
      .map(executionView)
      .filter((e) => {
        if (q.job_id !== undefined && e.job_id !== q.job_id) return false;
        if (q.key !== undefined && e.device.key !== q.key) return false;
        if (q.site_id !== undefined && !e.messages.some((s) => s.site_id === q.site_id)) return false;
        if (q.state !== undefined && e.state !== q.state) return false;
        if (q.phase !== undefined && e.phase !== q.phase) return false;
        if (q.outcome !== undefined && e.outcome !== q.outcome) return false;
        if (q.incident_id !== undefined && e.incident_id !== q.incident_id) return false;
        const t = Date.parse(e.created_at);
        return t >= since && t <= until;
      })
      .sort((a, b) => b.created_at.localeCompare(a.created_at));
    return c.json({ total: items.length, items: items.slice(q.offset, q.offset + q.limit) });
  });
  app.get('/inbound', (c) => {
    const platform = scope(c);
    return c.json({ items: c.get('deps').store.inbound(platform.id).slice(-500).reverse() });
  });
  app.post('/:id/cancel', async (c) => {
    const platform = scope(c);
    const deps = c.get('deps');
    const e = deps.store.execution(c.req.param('id'));
    if (!e || e.platform_id !== platform.id) throw notFound('execution');
    if (!deps.remediation) throw new ApiError(503, 'unavailable', 'remediation is not running');
    if (!(await deps.remediation.cancel(e, c.get('auth').admin ? 'admin' : 'platform token'))) throw new ApiError(409, 'conflict', 'the execution has already ended');
    return c.json(publicExecution(deps.store.execution(e.id) ?? e));
  });
  app.get('/:id', (c) => {
    const platform = scope(c);
    const e = c.get('deps').store.execution(c.req.param('id'));
    if (!e || e.platform_id !== platform.id) throw notFound('execution');
    return c.json(publicExecution(e));
  });
  return app;
}
