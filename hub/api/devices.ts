// /api/v1/devices: the platform's devices and metrics as Prometheus knows them, with current
// values. Every query carries the caller's platform_id.
import { Hono } from 'hono';
import { z } from 'zod';
import { deviceKeyType } from '../common/contract/index.js';
import { scope } from './auth.js';
import type { HubEnv } from './context.js';
import { ApiError, parseQuery, parseWith } from './errors.js';

export const deviceListQuery = z.object({
  q: z.string().max(200).optional(),
  key_type: deviceKeyType.optional(),
  /** Only devices whose signage_device_online is 1 (true) or 0 (false). */
  online: z.enum(['true', 'false']).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});

async function upstream<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw new ApiError(502, 'prometheus_unavailable', `Prometheus: ${(err as Error).message}`);
  }
}

export function devicesApi(): Hono<HubEnv> {
  const app = new Hono<HubEnv>();
  app.get('/', async (c) => {
    const platform = await scope(c);
    const q = parseQuery(c, deviceListQuery);
    const all = await upstream(() => c.get('deps').devices.devices(platform.id, platform.prometheus));
    const needle = q.q?.toLowerCase();
    const items = all.filter((d) => (!q.key_type || d.key_type === q.key_type) && (q.online === undefined || d.online === (q.online === 'true')) && (!needle || d.name.toLowerCase().includes(needle) || d.key.toLowerCase().includes(needle)));
    return c.json({ total: items.length, items: items.slice(q.offset, q.offset + q.limit) });
  });
  app.get('/metric-names', async (c) => {
    const platform = await scope(c);
    return c.json({ items: await upstream(() => c.get('deps').devices.metricNames(platform.id, platform.prometheus)) });
  });
  app.get('/:key_type/:key/metrics', async (c) => {
    const platform = await scope(c);
    const keyType = parseWith(deviceKeyType, c.req.param('key_type'), 'key_type');
    const key = parseWith(z.string().min(1).max(128), c.req.param('key'), 'key');
    const items = await upstream(() => c.get('deps').devices.deviceMetrics(platform.id, platform.prometheus, keyType, key));
    return c.json({ key_type: keyType, key, name: items[0]?.labels.name ?? '', items });
  });
  return app;
}
