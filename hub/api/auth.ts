// Bearer-token authentication and tenant scoping. A platform token sees only its platform; the
// admin token sees all and names the platform with ?platform_id= on tenant resources.
import type { Context, MiddlewareHandler } from 'hono';
import { timingSafeEqual } from 'node:crypto';
import { platformId as platformIdSchema } from '../common/contract/index.js';
import { hashToken } from '../mqtt/passwords.js';
import type { Platform } from '../model/entities.js';
import type { ApiDeps, Auth, HubEnv } from './context.js';
import { ApiError, invalid, zodIssues } from './errors.js';
import type { Stored } from '../store/port.js';
import { guardMetrics } from './guard-metrics.js';
import { Backoff, peerAddress } from './throttle.js';

function sameHash(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

/** Resolve a bearer token to who is calling, or null. */
export function authenticate(deps: ApiDeps, token: string): Promise<Auth | null> {
  return authenticateHash(deps, hashToken(token));
}

/** The same by the token's SHA-256 (the web form's sessions keep only that). */
export async function authenticateHash(deps: ApiDeps, h: string): Promise<Auth | null> {
  if (h.length !== 64) return null;
  if (deps.adminTokenHash && sameHash(h, deps.adminTokenHash)) return { admin: true, platform_id: null };
  // The store finds the platform by the hash (an index with PostgreSQL); the hash of a secret
  // token leaks nothing useful through the lookup's timing.
  const p = await deps.port.platforms.byTokenHash(h);
  return p ? { admin: false, platform_id: p.id, platform: p } : null;
}

/** Key of the env field carrying a token hash for in-process API calls. */
export const INTERNAL_TOKEN_HASH = 'gsmjobsTokenHash';

/** 429 with Retry-After (whole seconds, at least 1). */
export function throttledError(waitMs: number): ApiError {
  return new ApiError(429, 'throttled', `too many wrong tokens from this address; retry in ${Math.ceil(waitMs / 1000)} s`);
}

export function requireAuth(deps: ApiDeps): MiddlewareHandler<HubEnv> {
  // Wrong bearer tokens back off per client address (network requests only; the web form's
  // in-process calls carry a session's hash and are throttled at sign-in instead).
  const guesses = new Backoff(deps.now);
  const metrics = guardMetrics(deps.registry);
  return async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    const address = peerAddress(c.env);
    const wait = address !== undefined ? guesses.retryAfterMs(address) : 0;
    if (wait > 0) {
      metrics.throttled.inc({ where: 'api' });
      c.header('Retry-After', String(Math.max(1, Math.ceil(wait / 1000))));
      throw throttledError(wait);
    }
    // In-process calls of the web form (app.request(path, init, env)) may name the token by its
    // hash in the env; requests from the network cannot set the env (@hono/node-server fills it).
    const internal = (c.env as { [INTERNAL_TOKEN_HASH]?: unknown } | undefined)?.[INTERNAL_TOKEN_HASH];
    const auth = m ? await authenticate(deps, m[1] as string) : typeof internal === 'string' ? await authenticateHash(deps, internal) : null;
    if (!auth) {
      if (address !== undefined && m) {
        guesses.fail(address);
        metrics.authFailures.inc({ where: 'api' });
      }
      c.header('WWW-Authenticate', 'Bearer');
      throw new ApiError(401, 'unauthorized', 'a valid bearer token is required');
    }
    c.set('auth', auth);
    c.set('deps', deps);
    await next();
  };
}

export function requireAdmin(c: Context<HubEnv>): void {
  if (!c.get('auth').admin) throw new ApiError(403, 'forbidden', 'needs the admin token');
}

/** The platform a tenant request acts on (read once per request). */
export async function scope(c: Context<HubEnv>): Promise<Stored<Platform>> {
  const known = c.get('platform');
  if (known) return known as Stored<Platform>;
  const auth = c.get('auth');
  const asked = c.req.query('platform_id');
  let id: string;
  if (auth.admin) {
    if (!asked) throw invalid([{ field: 'platform_id', message: 'is required with the admin token', code: 'admin_needs_platform', params: {} }]);
    const r = platformIdSchema.safeParse(asked, { reportInput: true });
    if (!r.success) throw invalid(zodIssues(r.error, 'platform_id'));
    id = r.data;
  } else {
    id = auth.platform_id as string;
    if (asked !== undefined && asked !== id) throw new ApiError(403, 'forbidden', 'this token belongs to another platform');
  }
  // A platform token's record was read with the token, in this request: not read a second time.
  const platform = !auth.admin && auth.platform?.id === id ? auth.platform : await c.get('deps').port.platforms.get(id);
  if (!platform) throw new ApiError(404, 'not_found', `platform ${id} not found`);
  c.set('platform', platform);
  return platform;
}
