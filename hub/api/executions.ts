// /api/v1/executions: history with filters (job, device key, site, state, time), one execution
// with its timeline (and its ETag), and the inbound SMS log; read through the store port.
import { Hono } from 'hono';
import { executionListQuery, publicExecution } from '../model/execution.js';
import { scopeOf } from '../store/port.js';
import { scope } from './auth.js';
import type { HubEnv } from './context.js';
import { ApiError, notFound, parseQuery } from './errors.js';
import { setEtag } from './versions.js';

/** Inbound SMS shown at most. */
const INBOUND_SHOWN = 500;

export function executionsApi(): Hono<HubEnv> {
  const app = new Hono<HubEnv>();
  app.get('/', async (c) => {
    const platform = await scope(c);
    const q = parseQuery(c, executionListQuery);
    const page = await c.get('deps').port.executions.list(scopeOf(platform.id), q);
    return c.json({ total: page.total, items: page.items.map(publicExecution) });
  });
  app.get('/inbound', async (c) => {
    const platform = await scope(c);
    return c.json({ items: await c.get('deps').port.inbound.list(scopeOf(platform.id), INBOUND_SHOWN) });
  });
  app.post('/:id/cancel', async (c) => {
    const platform = await scope(c);
    const deps = c.get('deps');
    const s = scopeOf(platform.id);
    const e = await deps.port.executions.get(s, c.req.param('id'));
    if (!e) throw notFound('execution');
    if (!deps.remediation) throw new ApiError(503, 'unavailable', 'remediation is not running');
    if (!(await deps.remediation.cancel(e, c.get('auth').admin ? 'admin' : 'platform token'))) throw new ApiError(409, 'conflict', 'the execution has already ended');
    return c.json(publicExecution((await deps.port.executions.get(s, e.id)) ?? e));
  });
  app.get('/:id', async (c) => {
    const platform = await scope(c);
    const e = await c.get('deps').port.executions.get(scopeOf(platform.id), c.req.param('id'));
    if (!e) throw notFound('execution');
    setEtag(c, e.version);
    return c.json(publicExecution(e));
  });
  return app;
}
