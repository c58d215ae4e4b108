// /api/v1/catalogs: command catalogs of the control-device models (read-only, same for all).
import { Hono } from 'hono';
import type { HubEnv } from './context.js';
import { notFound } from './errors.js';

export function catalogsApi(): Hono<HubEnv> {
  const app = new Hono<HubEnv>();
  app.get('/', (c) => c.json({ items: [...c.get('deps').catalogs.values()].map((k) => ({ model: k.model, vendor: k.vendor, kind: k.kind, commands: k.commands.length })) }));
  app.get('/:model', (c) => {
    const k = c.get('deps').catalogs.get(c.req.param('model'));
    if (!k) throw notFound('catalog');
    return c.json(k);
  });
  return app;
}
