// Idempotency-Key on the API's creating POSTs (issue 17). The first successful (2xx) answer to a
// key is kept for 24 h, per platform, in the store port (port.idempotency); the same key again
// with the same request replays it (status, body, ETag/Location) with `Idempotent-Replayed: true`;
// the same key with another request is 422 `idempotency_key_reused`. Errors are not kept: a
// request that failed may be retried (fixed) under the same key.
//
// Answers may hold secrets shown once (a site's MQTT password, an API token, a webhook secret):
// the store holds only a hash of the key and the answer encrypted (AES-256-GCM) with a key derived
// from the client's Idempotency-Key, so the stored record is unreadable without it. Concurrent
// requests with one key in this process wait for the first; across hubs the store keeps the first.
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { scopeOf } from '../store/port.js';
import type { HubEnv } from './context.js';
import { ApiError } from './errors.js';

export const IDEMPOTENCY_TTL_MS = 24 * 3600_000;
export const IDEMPOTENCY_KEY_MAX = 255;
const PRUNE_EVERY_MS = 3600_000;
const KEY_RE = new RegExp(`^[\\x21-\\x7e]{1,${IDEMPOTENCY_KEY_MAX}}$`);
/** Headers of the first answer that a replay repeats. */
const KEPT_HEADERS = ['content-type', 'etag', 'location'];

/** The platform a key belongs to ('*': admin-level resources such as platforms). */
export type KeyScope = (c: Context<HubEnv>) => Promise<string>;

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}
interface Sealed {
  v: 1;
  iv: string;
  tag: string;
  data: string;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const secretOf = (platform: string, key: string) => Buffer.from(hkdfSync('sha256', key, `gsmjobs-idempotency:${platform}`, 'answer', 32));

function seal(a: Answer, secret: Buffer): Sealed {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', secret, iv);
  const data = Buffer.concat([cipher.update(JSON.stringify(a), 'utf8'), cipher.final()]);
  return { v: 1, iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64') };
}

function open(s: Sealed, secret: Buffer): Answer {
  const d = createDecipheriv('aes-256-gcm', secret, Buffer.from(s.iv, 'base64'));
  d.setAuthTag(Buffer.from(s.tag, 'base64'));
  return JSON.parse(Buffer.concat([d.update(Buffer.from(s.data, 'base64')), d.final()]).toString('utf8')) as Answer;
}

/** State shared by the routes of one API (in-flight keys, last prune). */
export class Idempotency {
  private readonly inflight = new Map<string, Promise<void>>();
  private lastPrune = -Infinity;

  /** Middleware for one creating route; `scope` names the key's platform. */
  route(scope: KeyScope): MiddlewareHandler<HubEnv> {
    return async (c, next) => {
      const key = c.req.header('idempotency-key');
      if (key === undefined) return next();
      if (!KEY_RE.test(key)) {
        throw new ApiError(400, 'invalid', `Idempotency-Key: 1 to ${IDEMPOTENCY_KEY_MAX} visible ASCII characters`, [
          { field: 'Idempotency-Key', message: `must be 1 to ${IDEMPOTENCY_KEY_MAX} visible ASCII characters`, code: 'invalid_idempotency_key', params: { max: IDEMPOTENCY_KEY_MAX } },
        ]);
      }
      const deps = c.get('deps');
      const platform = await scope(c);
      const now = deps.now();
      if (now - this.lastPrune > PRUNE_EVERY_MS) {
        this.lastPrune = now;
        await deps.port.idempotency.prune(now - IDEMPOTENCY_TTL_MS);
      }
      const url = new URL(c.req.url);
      const requestHash = sha256(`${c.req.method} ${url.pathname}${url.search}\n${await c.req.text()}`);
      const stored = sha256(`${platform}\0${key}`);
      const slot = `${platform}\0${stored}`;
      const secret = secretOf(platform, key);

      // One request per key at a time in this process: the others wait, then replay.
      for (let busy = this.inflight.get(slot); busy; busy = this.inflight.get(slot)) await busy;
      let done!: () => void;
      this.inflight.set(slot, new Promise<void>((r) => (done = r)));
      try {
        const rec = await deps.port.idempotency.get(scopeOf(platform), stored);
        if (rec && rec.created_at >= now - IDEMPOTENCY_TTL_MS) {
          if (rec.request_hash !== requestHash) {
            throw new ApiError(422, 'idempotency_key_reused', 'this Idempotency-Key was used for another request in the last 24 h; use a new key');
          }
          const a = open(rec.body as Sealed, secret);
          for (const [k, v] of Object.entries(a.headers)) c.header(k, v);
          c.header('Idempotent-Replayed', 'true');
          return c.body(a.body, a.status as ContentfulStatusCode);
        }
        if (rec) await deps.port.idempotency.prune(now - IDEMPOTENCY_TTL_MS);
        await next();
        const res = c.res;
        if (res.status >= 200 && res.status < 300) {
          const headers: Record<string, string> = {};
          for (const h of KEPT_HEADERS) {
            const v = res.headers.get(h);
            if (v !== null) headers[h] = v;
          }
          const body = await res.clone().text();
          await deps.port.idempotency.put(scopeOf(platform), { key: stored, request_hash: requestHash, status: res.status, body: seal({ status: res.status, headers, body }, secret), created_at: now });
        }
      } finally {
        this.inflight.delete(slot);
        done();
      }
    };
  }
}
