// /api/v1/platforms: tenants. Admin creates platforms, their API tokens (shown once, stored as
// SHA-256) and the password of their public-event listener; a platform token sees only itself.
import { Hono } from 'hono';
import { z } from 'zod';
import { usernames } from '../common/contract/index.js';
import { hashPasswordAsync, hashToken, newSecret } from '../mqtt/passwords.js';
import { type Platform, platformInput, prometheusEndpoint, tokenInput } from '../model/entities.js';
import { requireAdmin } from './auth.js';
import type { HubEnv } from './context.js';
import { ApiError, notFound, parseBody } from './errors.js';

/**
 * PUT replaces what it names and keeps the write-only secrets unless they are sent:
 * `prometheus.headers` omitted keeps the stored headers (GET shows only their names, so a
 * read-modify-write client could not send them back); sent, it replaces them all (`{}` removes
 * them). `stale_when` omitted keeps the stored rule; `null` turns the check off.
 */
export const platformPut = platformInput
  .omit({ id: true })
  .extend({ prometheus: prometheusEndpoint.extend({ headers: prometheusEndpoint.shape.headers.unwrap().optional() }).strict() })
  .strict();

function view(p: Platform) {
  return {
    id: p.id,
    name: p.name,
    prometheus: { url: p.prometheus.url, headers: Object.keys(p.prometheus.headers), max_sample_age_s: p.prometheus.max_sample_age_s ?? null },
    tokens: p.tokens.map((t) => ({ id: t.id, label: t.label, created_at: t.created_at })),
    events_username: usernames.platformEvents(p.id),
    created_at: p.created_at,
  };
}

export function platformsApi(): Hono<HubEnv> {
  const app = new Hono<HubEnv>();
  const load = (c: Parameters<typeof requireAdmin>[0]): Platform => {
    const id = c.req.param('id') ?? '';
    const auth = c.get('auth');
    const p = c.get('deps').store.platform(id);
    if (!p || (!auth.admin && auth.platform_id !== id)) throw notFound('platform');
    return p;
  };
  app.get('/', (c) => {
    const auth = c.get('auth');
    const all = c.get('deps').store.platforms();
    return c.json({ items: all.filter((p) => auth.admin || p.id === auth.platform_id).map(view) });
  });
  app.post('/', async (c) => {
    requireAdmin(c);
    const deps = c.get('deps');
    const input = await parseBody(c, platformInput);
    if (deps.store.platform(input.id)) throw new ApiError(409, 'exists', `platform ${input.id} already exists`, [{ field: 'id', message: 'already exists' }]);
    const p: Platform = { ...input, created_at: new Date(deps.now()).toISOString(), tokens: [], events_password: null };
    await deps.store.putPlatform(p);
    return c.json(view(p), 201);
  });
  app.get('/:id', (c) => c.json(view(load(c))));
  app.put('/:id', async (c) => {
    requireAdmin(c);
    const p = load(c);
    const input = await parseBody(c, platformPut);
    const next: Platform = { ...p, ...input, prometheus: { ...input.prometheus, headers: input.prometheus.headers ?? p.prometheus.headers } };
    await c.get('deps').store.putPlatform(next);
    return c.json(view(next));
  });
  app.post('/:id/tokens', async (c) => {
    requireAdmin(c);
    const p = load(c);
    const deps = c.get('deps');
    const input = await parseBody(c, tokenInput);
    const token = `gsmj_${newSecret(32)}`;
    const entry = { id: newSecret(6), hash: hashToken(token), label: input.label, created_at: new Date(deps.now()).toISOString() };
    await deps.store.putPlatform({ ...p, tokens: [...p.tokens, entry] });
    return c.json({ id: entry.id, label: entry.label, token }, 201);
  });
  app.delete('/:id/tokens/:token_id', async (c) => {
    requireAdmin(c);
    const p = load(c);
    const tokens = p.tokens.filter((t) => t.id !== c.req.param('token_id'));
    if (tokens.length === p.tokens.length) throw notFound('token');
    await c.get('deps').store.putPlatform({ ...p, tokens });
    return c.body(null, 204);
  });
  app.post('/:id/events-password', async (c) => {
    requireAdmin(c);
    const p = load(c);
    const input = await parseBody(c, z.object({ password: z.string().min(12).max(200).optional() }).strict());
    const password = input.password ?? newSecret();
    const hash = await hashPasswordAsync(password); // scrypt off the event loop (issue 18)
    await c.get('deps').store.putPlatform({ ...load(c), events_password: hash });
    return c.json({ username: usernames.platformEvents(p.id), password }, 201);
  });
  return app;
}
