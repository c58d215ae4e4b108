// /api/v1/sites: the platform's sites with their live state (online, modem signal, outbox).
// Creating a site sets its agent's MQTT password (stored as a scrypt hash; shown once). Every
// site answers with its ETag; the password rotation and DELETE honour If-Match.
import type { Context } from 'hono';
import { Hono } from 'hono';
import { usernames } from '../common/contract/index.js';
import { hashPasswordAsync, newSecret } from '../mqtt/passwords.js';
import { type Site, siteInput } from '../model/entities.js';
import { scopeOf, type Stored } from '../store/port.js';
import { scope } from './auth.js';
import type { HubEnv } from './context.js';
import { ApiError, exists, notFound, parseBody } from './errors.js';
import type { Idempotency } from './idempotency.js';
import { expectVersion, foundOr, guarded, setEtag } from './versions.js';

type Ctx = Context<HubEnv>;

export function siteView(c: { get(k: 'deps'): HubEnv['Variables']['deps'] }, s: Stored<Site>) {
  const live = c.get('deps').site(s.platform_id, s.id);
  return {
    id: s.id,
    platform_id: s.platform_id,
    name: s.name,
    mqtt_username: usernames.site({ platform_id: s.platform_id, site_id: s.id }),
    created_at: s.created_at,
    version: s.version,
    online: live?.status.state === 'online',
    status: live?.status ?? null,
    status_received_at: live ? new Date(live.received_at).toISOString() : null,
  };
}

async function load(c: Ctx): Promise<Stored<Site>> {
  const platform = await scope(c);
  return foundOr(c, await c.get('deps').port.sites.get(scopeOf(platform.id), c.req.param('id') ?? ''), 'site');
}

export function sitesApi(idem: Idempotency): Hono<HubEnv> {
  const app = new Hono<HubEnv>();
  app.get('/', async (c) => {
    const platform = await scope(c);
    const items = await c.get('deps').port.sites.list(scopeOf(platform.id));
    return c.json({ items: items.map((s) => siteView(c, s)) });
  });
  app.post(
    '/',
    idem.route(async (c) => (await scope(c)).id),
    async (c) => {
      const platform = await scope(c);
      const deps = c.get('deps');
      const s = scopeOf(platform.id);
      const input = await parseBody(c, siteInput);
      if (await deps.port.sites.get(s, input.id)) throw exists('site', input.id);
      const password = input.mqtt_password ?? newSecret();
      const hash = await hashPasswordAsync(password); // scrypt off the event loop (issue 18)
      const site: Site = { id: input.id, platform_id: platform.id, name: input.name, mqtt_password: hash, created_at: new Date(deps.now()).toISOString() };
      // Created by another request while hashing: the store refuses (ifVersion null) -> 409.
      const saved = await deps.port.sites.put(s, site, { ifVersion: null }).catch((err: Error) => {
        throw err.name === 'VersionConflictError' ? exists('site', input.id) : err;
      });
      setEtag(c, saved.version);
      return c.json({ ...siteView(c, saved), mqtt_password: password }, 201);
    },
  );
  app.get('/:id', async (c) => {
    const s = await load(c);
    setEtag(c, s.version);
    return c.json(siteView(c, s));
  });
  // Rotate the agent's MQTT password (returned once); the old one stops working at once.
  app.post('/:id/password', async (c) => {
    const site = await load(c);
    const ifVersion = expectVersion(c, site, (r) => siteView(c, r), 'site');
    const deps = c.get('deps');
    const s = scopeOf(site.platform_id);
    const input = await parseBody(c, siteInput.pick({ mqtt_password: true }).strict());
    const password = input.mqtt_password ?? newSecret();
    const hash = await hashPasswordAsync(password);
    const current = await deps.port.sites.get(s, site.id); // deleted or changed while hashing?
    if (!current) throw notFound('site');
    const saved = await guarded(() => deps.port.sites.put(s, { ...current, mqtt_password: hash }, { ifVersion: ifVersion ?? current.version }), () => deps.port.sites.get(s, site.id), (r) => siteView(c, r), 'site');
    setEtag(c, saved.version);
    return c.json({ mqtt_username: usernames.site({ platform_id: site.platform_id, site_id: site.id }), mqtt_password: password });
  });
  app.delete('/:id', async (c) => {
    const site = await load(c);
    const ifVersion = expectVersion(c, site, (r) => siteView(c, r), 'site');
    const deps = c.get('deps');
    const s = scopeOf(site.platform_id);
    const users = await deps.port.jobs.referencing(s, { site_id: site.id });
    if (users.length) throw new ApiError(409, 'in_use', `site is used by ${users.length} job(s)`);
    await guarded(() => deps.port.sites.delete(s, site.id, ifVersion !== undefined ? { ifVersion } : {}), () => deps.port.sites.get(s, site.id), (r) => siteView(c, r), 'site');
    await deps.onSiteDeleted?.(site.platform_id, site.id);
    return c.body(null, 204);
  });
  return app;
}
