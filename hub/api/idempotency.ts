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
//
// A create whose answer is known before its write (POST /jobs, /jobs:bulk) stores the record in
// the same transaction as what it creates (issue 20: recordFor, then the port's `idempotency`
// write option), so a crash between the two can never leave a created job without its record
// (a retry would create a second one); another hub that took the key meanwhile makes the write
// fail whole (IdempotencyKeyTakenError), and the request answers with that hub's answer (taken).
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { type IdempotencyRecord, scopeOf } from '../store/port.js';
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

/** A key the middleware checked and found free: what a handler needs to store its answer itself. */
interface Pending {
  platform: string;
  /** The hash of the key (what the store keeps). */
  stored: string;
  requestHash: string;
  secret: Buffer;
  now: number;
  /** The handler stored the answer with its own write, or replayed one: the middleware stores nothing. */
  written: boolean;
  /** Routes with `overlap`: the key's record read while the handler runs (`lookup`). */
  found?: Promise<IdempotencyRecord | undefined>;
  /** The handler awaited `lookup`. */
  consulted: boolean;
}

/** State shared by the routes of one API (in-flight keys, last prune). */
export class Idempotency {
  private readonly inflight = new Map<string, Promise<void>>();
  private readonly pending = new WeakMap<Context<HubEnv>, Pending>();
  private lastPrune = -Infinity;

  /**
   * For a creating handler that writes its answer's record with the record it creates (issue 20:
   * jobs.put's `idempotency`, one transaction): the record of this answer, or undefined when the
   * request has no Idempotency-Key. The headers must be exactly those the answer is sent with.
   * Call `stored(c)` once the write succeeded.
   */
  recordFor(c: Context<HubEnv>, status: number, headers: Record<string, string>, body: string): IdempotencyRecord | undefined {
    const p = this.pending.get(c);
    if (!p) return undefined;
    const kept: Record<string, string> = {};
    for (const [k, v] of Object.entries(headers)) if (KEPT_HEADERS.includes(k.toLowerCase())) kept[k.toLowerCase()] = v;
    return { key: p.stored, request_hash: p.requestHash, status, body: seal({ status, headers: kept, body }, p.secret), created_at: p.now };
  }
  /** The handler's write stored the record (recordFor): the middleware does not store it again. */
  stored(c: Context<HubEnv>): void {
    const p = this.pending.get(c);
    if (p) p.written = true;
  }
  /**
   * The handler's write found the key taken (IdempotencyKeyTakenError: another request with this
   * key won, on this hub or another): the winner's answer replayed, or 422 when it was another
   * request.
   */
  async taken(c: Context<HubEnv>): Promise<Response> {
    const p = this.pending.get(c);
    const rec = p ? await c.get('deps').port.idempotency.get(scopeOf(p.platform), p.stored) : undefined;
    if (!p || !rec) throw new ApiError(409, 'conflict', 'another request with this Idempotency-Key is in progress; retry');
    p.written = true; // nothing more to store
    return replay(rec, p);
  }

  /**
   * Routes with `overlap`: the stored answer to this request's key, read while the handler did
   * its own reads. The handler awaits it before it writes anything and returns the Response when
   * there is one (the replay; 422 is thrown for another request under the key). Undefined: no
   * key, or a free one.
   */
  async lookup(c: Context<HubEnv>): Promise<Response | undefined> {
    const p = this.pending.get(c);
    if (!p?.found) return undefined;
    p.consulted = true;
    const rec = await p.found;
    if (!rec) return undefined;
    p.written = true; // nothing more to store
    return replay(rec, p);
  }

  /** The key's record if it is younger than the TTL (an older one is pruned first). */
  private async fresh(deps: HubEnv['Variables']['deps'], platform: string, stored: string, now: number): Promise<IdempotencyRecord | undefined> {
    const rec = await deps.port.idempotency.get(scopeOf(platform), stored);
    if (rec && rec.created_at >= now - IDEMPOTENCY_TTL_MS) return rec;
    if (rec) await deps.port.idempotency.prune(now - IDEMPOTENCY_TTL_MS);
    return undefined;
  }

  /**
   * Middleware for one creating route; `scope` names the key's platform. `overlap` (issue 20):
   * the key's record is read in parallel with the handler's first reads instead of before them
   * (one round trip less in a row); such a handler calls `lookup(c)` before it writes. An error
   * it answers before that (a body that does not parse) gives way to a stored answer.
   */
  route(scope: KeyScope, opts: { overlap?: boolean } = {}): MiddlewareHandler<HubEnv> {
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
      const p: Pending = { platform, stored, requestHash, secret: secretOf(platform, key), now, written: false, consulted: false };

      // One request per key at a time in this process: the others wait, then replay.
      for (let busy = this.inflight.get(slot); busy; busy = this.inflight.get(slot)) await busy;
      let done!: () => void;
      this.inflight.set(slot, new Promise<void>((r) => (done = r)));
      try {
        const found = this.fresh(deps, platform, stored, now);
        if (opts.overlap) {
          found.catch(() => undefined); // awaited by lookup() or below
          p.found = found;
        } else {
          const rec = await found;
          if (rec) return replay(rec, p);
        }
        this.pending.set(c, p);
        await next();
        if (p.found && !p.consulted) {
          // The handler answered before it read the key (a refused body): a stored answer wins.
          const rec = await p.found.catch(() => undefined);
          if (rec) {
            const answer = replay(rec, p);
            c.res = undefined;
            c.res = answer;
            return;
          }
        }
        const res = c.res;
        if (!p.written && res.status >= 200 && res.status < 300) {
          const headers: Record<string, string> = {};
          for (const h of KEPT_HEADERS) {
            const v = res.headers.get(h);
            if (v !== null) headers[h] = v;
          }
          const body = await res.clone().text();
          await deps.port.idempotency.put(scopeOf(platform), { key: stored, request_hash: requestHash, status: res.status, body: seal({ status: res.status, headers, body }, p.secret), created_at: now });
        }
      } finally {
        this.inflight.delete(slot);
        done();
      }
    };
  }
}

/** The stored answer again (`Idempotent-Replayed: true`), or 422 when the key was used for another request. */
function replay(rec: IdempotencyRecord, p: Pick<Pending, 'requestHash' | 'secret'>): Response {
  if (rec.request_hash !== p.requestHash) {
    throw new ApiError(422, 'idempotency_key_reused', 'this Idempotency-Key was used for another request in the last 24 h; use a new key');
  }
  const a = open(rec.body as Sealed, p.secret);
  return new Response(a.body, { status: a.status, headers: { ...a.headers, 'idempotent-replayed': 'true' } });
}
