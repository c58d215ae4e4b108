// /api/v1/control-devices: the things that receive the SMS (GSM sockets, relays), per platform.
import { Hono } from 'hono';
import { isKnownModel } from '../core/action.js';
import { newId } from '../model/ids.js';
import { type ControlDevice, controlDeviceInput } from '../model/entities.js';
import { sendSteps } from '../model/steps.js';
import { scope } from './auth.js';
import type { HubEnv } from './context.js';
import { ApiError, type FieldIssue, invalid, notFound, parseBody } from './errors.js';

export function controlDevicesApi(): Hono<HubEnv> {
  const app = new Hono<HubEnv>();

  const check = (c: Parameters<typeof scope>[0], platformId: string, input: { model: string; site_ids: string[] }) => {
    const deps = c.get('deps');
    const issues: FieldIssue[] = [];
    if (!isKnownModel(input.model, deps.catalogs)) issues.push({ field: 'model', message: `unknown model; one of generic, ${[...deps.catalogs.keys()].join(', ')}` });
    input.site_ids.forEach((s, i) => {
      if (!deps.store.site(platformId, s)) issues.push({ field: `site_ids[${i}]`, message: `site ${s} not found` });
    });
    if (issues.length) throw invalid(issues);
  };
  const load = (c: Parameters<typeof scope>[0]): ControlDevice => {
    const platform = scope(c);
    const d = c.get('deps').store.controlDevice(c.req.param('id') ?? '');
    if (!d || d.platform_id !== platform.id) throw notFound('control device');
    return d;
  };

  app.get('/', (c) => c.json({ items: c.get('deps').store.controlDevices(scope(c).id) }));
  app.post('/', async (c) => {
    const platform = scope(c);
    const deps = c.get('deps');
    const input = await parseBody(c, controlDeviceInput);
    check(c, platform.id, input);
    const at = new Date(deps.now()).toISOString();
    const d: ControlDevice = { ...input, id: newId(deps.now()), platform_id: platform.id, created_at: at, updated_at: at };
    await deps.store.putControlDevice(d);
    return c.json(d, 201);
  });
  app.get('/:id', (c) => c.json(load(c)));
  app.put('/:id', async (c) => {
    const existing = load(c);
    const deps = c.get('deps');
    const input = await parseBody(c, controlDeviceInput);
    check(c, existing.platform_id, input);
    const d: ControlDevice = { ...existing, ...input, updated_at: new Date(deps.now()).toISOString() };
    await deps.store.putControlDevice(d);
    return c.json(d);
  });
  app.delete('/:id', async (c) => {
    const d = load(c);
    const deps = c.get('deps');
    const users = deps.store.jobs(d.platform_id).filter((j) => sendSteps(j.steps).some((s) => s.control_device_id === d.id));
    if (users.length) throw new ApiError(409, 'in_use', `control device is used by ${users.length} job(s)`);
    await deps.store.deleteControlDevice(d.id);
    return c.body(null, 204);
  });
  return app;
}
