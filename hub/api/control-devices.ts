// /api/v1/control-devices: the things that receive the SMS (GSM sockets, relays), per platform.
// Every device answers with its ETag; PUT and DELETE honour If-Match; POST honours Idempotency-Key.
import type { Context } from 'hono';
import { Hono } from 'hono';
import { isKnownModel } from '../core/action.js';
import { newId } from '../model/ids.js';
import { type ControlDevice, controlDeviceInput } from '../model/entities.js';
import { scopeOf, type Stored } from '../store/port.js';
import { scope } from './auth.js';
import type { HubEnv } from './context.js';
import { ApiError, type FieldIssue, invalid, missingRef, parseBody } from './errors.js';
import type { Idempotency } from './idempotency.js';
import { expectVersion, foundOr, guarded, setEtag } from './versions.js';

type Ctx = Context<HubEnv>;
const view = (d: Stored<ControlDevice>) => d;

async function check(c: Ctx, platformId: string, input: { model: string; site_ids: string[] }): Promise<void> {
  const deps = c.get('deps');
  const issues: FieldIssue[] = [];
  const models = ['generic', ...deps.catalogs.keys()];
  if (!isKnownModel(input.model, deps.catalogs)) issues.push({ field: 'model', message: `unknown model; one of ${models.join(', ')}`, code: 'unknown_model', params: { values: models } });
  for (const [i, s] of input.site_ids.entries()) {
    if (!(await deps.port.sites.get(scopeOf(platformId), s))) issues.push(missingRef(`site_ids[${i}]`, 'site', s));
  }
  if (issues.length) throw invalid(issues);
}

async function load(c: Ctx): Promise<Stored<ControlDevice>> {
  const platform = await scope(c);
  return foundOr(c, await c.get('deps').port.controlDevices.get(scopeOf(platform.id), c.req.param('id') ?? ''), 'control device');
}

export function controlDevicesApi(idem: Idempotency): Hono<HubEnv> {
  const app = new Hono<HubEnv>();

  app.get('/', async (c) => c.json({ items: await c.get('deps').port.controlDevices.list(scopeOf((await scope(c)).id)) }));
  app.post(
    '/',
    idem.route(async (c) => (await scope(c)).id),
    async (c) => {
      const platform = await scope(c);
      const deps = c.get('deps');
      const input = await parseBody(c, controlDeviceInput);
      await check(c, platform.id, input);
      const at = new Date(deps.now()).toISOString();
      const d: ControlDevice = { ...input, id: newId(deps.now()), platform_id: platform.id, created_at: at, updated_at: at };
      const saved = await deps.port.controlDevices.put(scopeOf(platform.id), d, { ifVersion: null });
      setEtag(c, saved.version);
      return c.json(saved, 201);
    },
  );
  app.get('/:id', async (c) => {
    const d = await load(c);
    setEtag(c, d.version);
    return c.json(view(d));
  });
  app.put('/:id', async (c) => {
    const existing = await load(c);
    const ifVersion = expectVersion(c, existing, view, 'control device');
    const deps = c.get('deps');
    const s = scopeOf(existing.platform_id);
    const input = await parseBody(c, controlDeviceInput);
    await check(c, existing.platform_id, input);
    const d: ControlDevice = { ...existing, ...input, updated_at: new Date(deps.now()).toISOString() };
    const saved = await guarded(() => deps.port.controlDevices.put(s, d, ifVersion !== undefined ? { ifVersion } : {}), () => deps.port.controlDevices.get(s, existing.id), view, 'control device');
    setEtag(c, saved.version);
    return c.json(saved);
  });
  app.delete('/:id', async (c) => {
    const d = await load(c);
    const ifVersion = expectVersion(c, d, view, 'control device');
    const deps = c.get('deps');
    const s = scopeOf(d.platform_id);
    const users = await deps.port.jobs.referencing(s, { control_device_id: d.id });
    if (users.length) throw new ApiError(409, 'in_use', `control device is used by ${users.length} job(s)`);
    await guarded(() => deps.port.controlDevices.delete(s, d.id, ifVersion !== undefined ? { ifVersion } : {}), () => deps.port.controlDevices.get(s, d.id), view, 'control device');
    return c.body(null, 204);
  });
  return app;
}
