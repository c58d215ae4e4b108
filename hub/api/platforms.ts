// /api/v1/platforms: tenants. Admin creates platforms, their API tokens (shown once, stored as
// SHA-256) and the password of their public-event listener; a platform token sees only itself.
// A platform answers with its ETag; PUT and the token writes honour If-Match; creating a platform
// or a token honours Idempotency-Key (a platform's key is the admin's, scope '*').
import type { Context } from 'hono';
import { Hono } from 'hono';
import { z } from 'zod';
import { usernames } from '../common/contract/index.js';
import { hashPasswordAsync, hashToken, newSecret } from '../mqtt/passwords.js';
import { type Platform, platformInput, prometheusEndpoint, tokenInput } from '../model/entities.js';
import { requireAdmin } from './auth.js';
import type { HubEnv } from './context.js';
import { ApiError, exists, notFound, parseBody } from './errors.js';
import type { Idempotency } from './idempotency.js';
import type { Stored } from '../store/port.js';
import { expectVersion, guarded, precondition, setEtag, versionConflict } from './versions.js';

type Ctx = Context<HubEnv>;
/** The idempotency scope of admin-level creates (no platform yet). */
export const ADMIN_KEY_SCOPE = '*';

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

function view(p: Stored<Platform>) {
  return {
    version: p.version,
    id: p.id,
    name: p.name,
    prometheus: { url: p.prometheus.url, headers: Object.keys(p.prometheus.headers), max_sample_age_s: p.prometheus.max_sample_age_s ?? null },
    tokens: p.tokens.map((t) => ({ id: t.id, label: t.label, created_at: t.created_at })),
    events_username: usernames.platformEvents(p.id),
    created_at: p.created_at,
  };
}

async function load(c: Ctx): Promise<Stored<Platform>> {
  const id = c.req.param('id') ?? '';
  const auth = c.get('auth');
  const p = auth.admin || auth.platform_id === id ? await c.get('deps').port.platforms.get(id) : undefined;
  if (!p) {
    if (precondition(c).kind !== 'none' && (auth.admin || auth.platform_id === id)) throw versionConflict(undefined, null, 'platform');
    throw notFound('platform');
  }
  return p;
}

/**
 * Write a change of platform `p`. With If-Match the client's version must still be current;
 * without, a write made meanwhile is re-read and the change applied to it (tokens are never lost).
 */
async function write(c: Ctx, p: Stored<Platform>, change: (p: Platform) => Platform): Promise<Stored<Platform>> {
  const ifVersion = expectVersion(c, p, view, 'platform');
  const port = c.get('deps').port;
  let cur = p;
  for (let attempt = 0; ; attempt++) {
    const base = cur;
    try {
      const saved = await guarded(() => port.platforms.put(change(base), { ifVersion: ifVersion ?? base.version }), () => port.platforms.get(p.id), view, 'platform');
      setEtag(c, saved.version);
      return saved;
    } catch (err) {
      const conflict = err instanceof ApiError && err.code === 'version_conflict';
      const again = conflict && ifVersion === undefined && attempt < 3 ? await port.platforms.get(p.id) : undefined;
      if (!again) throw err;
      cur = again;
    }
  }
}

export function platformsApi(idem: Idempotency): Hono<HubEnv> {
  const app = new Hono<HubEnv>();
  app.get('/', async (c) => {
    const auth = c.get('auth');
    const all = await c.get('deps').port.platforms.list();
    return c.json({ items: all.filter((p) => auth.admin || p.id === auth.platform_id).map(view) });
  });
  app.post(
    '/',
    async (c, next) => {
      requireAdmin(c);
      await next();
    },
    idem.route(async () => ADMIN_KEY_SCOPE),
    async (c) => {
      const deps = c.get('deps');
      const input = await parseBody(c, platformInput);
      if (await deps.port.platforms.get(input.id)) throw exists('platform', input.id);
      const p: Platform = { ...input, created_at: new Date(deps.now()).toISOString(), tokens: [], events_password: null };
      const saved = await deps.port.platforms.put(p, { ifVersion: null }).catch((err: Error) => {
        throw err.name === 'VersionConflictError' ? exists('platform', input.id) : err;
      });
      setEtag(c, saved.version);
      return c.json(view(saved), 201);
    },
  );
  app.get('/:id', async (c) => {
    const p = await load(c);
    setEtag(c, p.version);
    return c.json(view(p));
  });
  app.put('/:id', async (c) => {
    requireAdmin(c);
    const p = await load(c);
    expectVersion(c, p, view, 'platform');
    const input = await parseBody(c, platformPut);
    const next = (cur: Platform): Platform => ({ ...cur, ...input, prometheus: { ...input.prometheus, headers: input.prometheus.headers ?? cur.prometheus.headers } });
    return c.json(view(await write(c, p, next)));
  });
  app.post(
    '/:id/tokens',
    async (c, next) => {
      requireAdmin(c);
      await next();
    },
    idem.route(async (c) => (await load(c)).id),
    async (c) => {
      const p = await load(c);
      const deps = c.get('deps');
      const input = await parseBody(c, tokenInput);
      const token = `gsmj_${newSecret(32)}`;
      const entry = { id: newSecret(6), hash: hashToken(token), label: input.label, created_at: new Date(deps.now()).toISOString() };
      await write(c, p, (cur) => ({ ...cur, tokens: [...cur.tokens, entry] }));
      return c.json({ id: entry.id, label: entry.label, token }, 201);
    },
  );
  app.delete('/:id/tokens/:token_id', async (c) => {
    requireAdmin(c);
    const p = await load(c);
    const gone = (t: { id: string }) => t.id === c.req.param('token_id');
    if (!p.tokens.some(gone)) throw notFound('token');
    await write(c, p, (cur) => ({ ...cur, tokens: cur.tokens.filter((t) => !gone(t)) }));
    return c.body(null, 204);
  });
  app.post('/:id/events-password', async (c) => {
    requireAdmin(c);
    const p = await load(c);
    expectVersion(c, p, view, 'platform');
    const input = await parseBody(c, z.object({ password: z.string().min(12).max(200).optional() }).strict());
    const password = input.password ?? newSecret();
    const hash = await hashPasswordAsync(password); // scrypt off the event loop (issue 18)
    await write(c, p, (cur) => ({ ...cur, events_password: hash }));
    return c.json({ username: usernames.platformEvents(p.id), password }, 201);
  });
  return app;
}
