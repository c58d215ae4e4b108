// /api/v1/webhooks: a platform's webhook endpoints (the secret is shown once, on creation) and
// their delivery log. Every endpoint answers with its ETag; PATCH and DELETE honour If-Match;
// POST honours Idempotency-Key.
import { randomBytes } from 'node:crypto';
import type { Context } from 'hono';
import { Hono } from 'hono';
import { z } from 'zod';
import { newId } from '../model/ids.js';
import { publicWebhook, type StoredWebhook, webhookInput, webhookPatch } from '../model/remediation.js';
import { validateWebhookUrl } from '../remediation/webhook.js';
import { scopeOf, type Stored } from '../store/port.js';
import { scope } from './auth.js';
import type { HubEnv } from './context.js';
import { ApiError, invalid, notFound, parseBody, parseQuery } from './errors.js';
import type { Idempotency } from './idempotency.js';
import { expectVersion, guarded, precondition, setEtag, versionConflict } from './versions.js';

type Ctx = Context<HubEnv>;
export const deliveriesQuery = z.object({ limit: z.coerce.number().int().min(1).max(500).default(50) });

const view = (w: Stored<StoredWebhook>) => ({ ...publicWebhook(w), version: w.version });

const urlPolicy = (c: Ctx) => {
  const w = c.get('deps').remediationConfig.webhooks;
  return { allow_loopback: w.allow_loopback, allow_private: w.allow_private };
};

async function mine(c: Ctx): Promise<Stored<StoredWebhook>> {
  const platform = await scope(c);
  const w = await c.get('deps').port.webhooks.get(scopeOf(platform.id), c.req.param('id') ?? '');
  if (!w) {
    if (precondition(c).kind !== 'none') throw versionConflict(undefined, null, 'webhook');
    throw notFound('webhook');
  }
  return w;
}

export function webhooksApi(idem: Idempotency): Hono<HubEnv> {
  const app = new Hono<HubEnv>();
  app.get('/', async (c) => c.json({ items: (await c.get('deps').port.webhooks.list(scopeOf((await scope(c)).id))).map(view) }));
  app.post(
    '/',
    idem.route(async (c) => (await scope(c)).id),
    async (c) => {
      const platform = await scope(c);
      const body = await parseBody(c, webhookInput);
      const url = validateWebhookUrl(body.url, urlPolicy(c));
      if (!url.ok) throw invalid([{ field: url.field, message: url.message, code: url.code, params: url.params }]);
      const deps = c.get('deps');
      const w: StoredWebhook = { id: newId(deps.now()), platform_id: platform.id, url: url.url, secret: body.secret ?? randomBytes(24).toString('base64url'), enabled: body.enabled, created_at: new Date(deps.now()).toISOString() };
      const saved = await deps.port.webhooks.put(scopeOf(platform.id), w, { ifVersion: null });
      setEtag(c, saved.version);
      return c.json({ ...view(saved), secret: w.secret }, 201);
    },
  );
  app.get('/:id', async (c) => {
    const w = await mine(c);
    setEtag(c, w.version);
    return c.json(view(w));
  });
  app.patch('/:id', async (c) => {
    const w = await mine(c);
    const ifVersion = expectVersion(c, w, view, 'webhook');
    const patch = await parseBody(c, webhookPatch);
    if (patch.url !== undefined) {
      const url = validateWebhookUrl(patch.url, urlPolicy(c));
      if (!url.ok) throw invalid([{ field: url.field, message: url.message, code: url.code, params: url.params }]);
      patch.url = url.url;
    }
    const port = c.get('deps').port;
    const s = scopeOf(w.platform_id);
    const saved = await guarded(() => port.webhooks.put(s, { ...w, ...patch }, ifVersion !== undefined ? { ifVersion } : {}), () => port.webhooks.get(s, w.id), view, 'webhook');
    setEtag(c, saved.version);
    return c.json(view(saved));
  });
  app.delete('/:id', async (c) => {
    const w = await mine(c);
    const ifVersion = expectVersion(c, w, view, 'webhook');
    const port = c.get('deps').port;
    const s = scopeOf(w.platform_id);
    const used = await port.jobs.referencing(s, { webhook_id: w.id });
    if (used.length) throw new ApiError(409, 'in_use', `webhook is used by ${used.length} job(s): ${used.slice(0, 5).map((j) => j.name).join(', ')}`);
    await guarded(() => port.webhooks.delete(s, w.id, ifVersion !== undefined ? { ifVersion } : {}), () => port.webhooks.get(s, w.id), view, 'webhook');
    return c.body(null, 204);
  });
  app.get('/:id/deliveries', async (c) => {
    const w = await mine(c);
    const { limit } = parseQuery(c, deliveriesQuery);
    const all = await c.get('deps').port.deliveries.list(scopeOf(w.platform_id));
    const items = all
      .filter((d) => d.endpoint_id === w.id)
      .sort((a, b) => b.created_at - a.created_at)
      .slice(0, limit);
    return c.json({ items });
  });
  return app;
}
