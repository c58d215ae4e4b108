// /api/v1/sites: the platform's sites with their live state (online, modem signal, outbox).
// Creating a site sets its agent's MQTT password (stored as a scrypt hash; shown once).
import { Hono } from 'hono';
import { usernames } from '../common/contract/index.js';
import { hashPasswordAsync, newSecret } from '../mqtt/passwords.js';
import { type Site, siteInput } from '../model/entities.js';
import { stepSites } from '../model/steps.js';
import { scope } from './auth.js';
import type { HubEnv } from './context.js';
import { ApiError, notFound, parseBody } from './errors.js';

function view(c: { get(k: 'deps'): HubEnv['Variables']['deps'] }, s: Site) {
  const live = c.get('deps').site(s.platform_id, s.id);
  return {
    id: s.id,
    platform_id: s.platform_id,
    name: s.name,
    mqtt_username: usernames.site({ platform_id: s.platform_id, site_id: s.id }),
    created_at: s.created_at,
    online: live?.status.state === 'online',
    status: live?.status ?? null,
    status_received_at: live ? new Date(live.received_at).toISOString() : null,
  };
}

export function sitesApi(): Hono<HubEnv> {
  const app = new Hono<HubEnv>();
  app.get('/', (c) => {
    const platform = scope(c);
    return c.json({ items: c.get('deps').store.sites(platform.id).map((s) => view(c, s)) });
  });
  app.post('/', async (c) => {
    const platform = scope(c);
    const deps = c.get('deps');
    const input = await parseBody(c, siteInput);
    if (deps.store.site(platform.id, input.id)) throw new ApiError(409, 'exists', `site ${input.id} already exists`, [{ field: 'id', message: 'already exists' }]);
    const password = input.mqtt_password ?? newSecret();
    const hash = await hashPasswordAsync(password); // scrypt off the event loop (issue 18)
    if (deps.store.site(platform.id, input.id)) throw new ApiError(409, 'exists', `site ${input.id} already exists`, [{ field: 'id', message: 'already exists' }]);
    const site: Site = { id: input.id, platform_id: platform.id, name: input.name, mqtt_password: hash, created_at: new Date(deps.now()).toISOString() };
    await deps.store.putSite(site);
    return c.json({ ...view(c, site), mqtt_password: password }, 201);
  });
  app.get('/:id', (c) => {
    const platform = scope(c);
    const s = c.get('deps').store.site(platform.id, c.req.param('id'));
    if (!s) throw notFound('site');
    return c.json(view(c, s));
  });
  // Rotate the agent's MQTT password (returned once); the old one stops working at once.
  app.post('/:id/password', async (c) => {
    const platform = scope(c);
    const deps = c.get('deps');
    const site = deps.store.site(platform.id, c.req.param('id'));
    if (!site) throw notFound('site');
    const input = await parseBody(c, siteInput.pick({ mqtt_password: true }).strict());
    const password = input.mqtt_password ?? newSecret();
    const hash = await hashPasswordAsync(password);
    const current = deps.store.site(platform.id, site.id); // deleted or changed while hashing?
    if (!current) throw notFound('site');
    await deps.store.putSite({ ...current, mqtt_password: hash });
    return c.json({ mqtt_username: usernames.site({ platform_id: platform.id, site_id: site.id }), mqtt_password: password });
  });
  app.delete('/:id', async (c) => {
    const platform = scope(c);
    const deps = c.get('deps');
    const id = c.req.param('id');
    if (!deps.store.site(platform.id, id)) throw notFound('site');
    const users = deps.store.jobs(platform.id).filter((j) => stepSites(j.steps).includes(id));
    if (users.length) throw new ApiError(409, 'in_use', `site is used by ${users.length} job(s)`);
    await deps.store.deleteSite(platform.id, id);
    await deps.onSiteDeleted?.(platform.id, id);
    return c.body(null, 204);
  });
  return app;
}
