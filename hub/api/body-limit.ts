// Request body limits, enforced while the body is read and before anything buffers it: a body
// that declares a Content-Length above its route's limit is refused with 413 before a byte is
// read; a chunked body is counted as it streams and refused as soon as it passes the limit
// (hono's bodyLimit; @hono/node-server then drains at most 64 MB / 500 ms and closes the
// socket). Bodies in flight are bounded per client address and in total (503 + Retry-After), so
// many slow uploads cannot pile up memory either. In-process calls (the web form calling the
// API, no socket) are limited by size only.
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { ApiError } from './errors.js';
import { peerAddress } from './throttle.js';

export interface BodyLimitOptions {
  /** Limit of the sign-in and sign-out forms (bytes). */
  authBytes: number;
  /** Limit of every other route (bytes), the API's 256 KiB. */
  defaultBytes: number;
  /** Limit of the jobs bulk import (bytes). */
  bulkBytes: number;
  /** Bodies being read at once from one client address. */
  perAddress: number;
  /** Bytes reserved by all bodies being read at once (declared length, or the limit when chunked). */
  globalBytes: number;
}

export const BODY_LIMITS: BodyLimitOptions = { authBytes: 8 * 1024, defaultBytes: 256 * 1024, bulkBytes: 8 * 1024 * 1024, perAddress: 64, globalBytes: 32 * 1024 * 1024 };

/** Paths whose bodies are a few form fields. */
const AUTH_PATH = /\/(signin|signout)\/?$/;
/** The jobs bulk import (POST /api/v1/jobs:bulk or /jobs/bulk). */
const BULK_PATH = /\/jobs[:/]bulk\/?$/;

export interface BodyLimitCounters {
  /** Refused: too large (413) or too many in flight (503). */
  onRefused?: (reason: 'too_large' | 'busy') => void;
}

/** The limit that applies to a path. */
export function limitFor(path: string, o: BodyLimitOptions = BODY_LIMITS): number {
  return AUTH_PATH.test(path) ? o.authBytes : BULK_PATH.test(path) ? o.bulkBytes : o.defaultBytes;
}

export function bodyLimits(o: BodyLimitOptions = BODY_LIMITS, counters: BodyLimitCounters = {}): MiddlewareHandler {
  const perAddress = new Map<string, number>();
  let reserved = 0;
  const tooLarge = (limit: number) => {
    counters.onRefused?.('too_large');
    return new ApiError(413, 'too_large', `body exceeds ${limit >= 1024 ? `${limit / 1024} KiB` : `${limit} bytes`}`);
  };
  const limiters = new Map<number, MiddlewareHandler>();
  const limiter = (limit: number): MiddlewareHandler => {
    let m = limiters.get(limit);
    if (!m) {
      m = bodyLimit({
        maxSize: limit,
        onError: () => {
          throw tooLarge(limit);
        },
      });
      limiters.set(limit, m);
    }
    return m;
  };

  return async (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD' || !c.req.raw.body) return next();
    const limit = limitFor(c.req.path, o);
    const declared = c.req.header('content-length');
    const chunked = c.req.raw.headers.has('transfer-encoding');
    const length = declared !== undefined && !chunked ? Number(declared) : NaN;
    if (Number.isFinite(length) && length > limit) {
      c.header('Connection', 'close');
      throw tooLarge(limit);
    }
    const address = peerAddress(c.env);
    if (address === undefined) return limiter(limit)(c, next); // in process: size only
    const cost = Number.isFinite(length) ? length : limit;
    const held = perAddress.get(address) ?? 0;
    if (held >= o.perAddress || reserved + cost > o.globalBytes) {
      counters.onRefused?.('busy');
      c.header('Retry-After', '1');
      c.header('Connection', 'close');
      throw new ApiError(503, 'busy', 'too many request bodies in flight; retry shortly');
    }
    perAddress.set(address, held + 1);
    reserved += cost;
    try {
      await limiter(limit)(c, next);
    } finally {
      reserved -= cost;
      const left = (perAddress.get(address) ?? 1) - 1;
      if (left > 0) perAddress.set(address, left);
      else perAddress.delete(address);
    }
  };
}

/**
 * Slow-loris bounds for the node HTTP server (serve({ serverOptions })): whole headers within
 * 10 s, a whole request within 60 s, checked every second; idle keep-alive sockets close after 5 s.
 */
export const SERVER_OPTIONS = { headersTimeout: 10_000, requestTimeout: 60_000, connectionsCheckingInterval: 1_000, keepAliveTimeout: 5_000 } as const;
