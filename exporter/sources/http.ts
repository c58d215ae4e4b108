// One JSON request with retries: exponential backoff with jitter on network errors, timeouts,
// 5xx and malformed bodies; 429 honours Retry-After; 401/403 and other 4xx are not retried.
// Error messages name the method, URL path and status, never a header (tokens live there).
import { type Clock, sleep } from '../../hub/common/clock.js';
import type { Logger } from '../../hub/common/log.js';

export type ErrorKind = 'network' | 'timeout' | 'server' | 'rate_limited' | 'auth' | 'client' | 'malformed' | 'invalid_record';

export class ApiError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
    readonly status?: number,
    /** For 429: how long the server asked us to wait. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface RetryPolicy {
  /** Tries per request, including the first. */
  attempts: number;
  base_delay_ms: number;
  max_delay_ms: number;
  /** Per-attempt timeout, headers and body. */
  timeout_ms: number;
  /** A Retry-After longer than this fails the refresh instead of waiting inside it. */
  max_retry_after_ms: number;
}

export const defaultRetryPolicy: RetryPolicy = {
  attempts: 4,
  base_delay_ms: 500,
  max_delay_ms: 30_000,
  timeout_ms: 30_000,
  max_retry_after_ms: 60_000,
};

/** What a request needs of an answer (a fetch() Response has it; so has sources/node-http.ts). */
export interface HttpResponse {
  status: number;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
}

export interface HttpInit {
  method: string;
  headers: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
}

export type FetchFn = (url: string, init: HttpInit) => Promise<HttpResponse>;

export interface HttpDeps {
  fetch: FetchFn;
  clock: Clock;
  /** Uniform [0, 1), for jitter. */
  random: () => number;
  /** Called once per failed attempt (metrics: API errors by kind). */
  onError?: (kind: ErrorKind) => void;
  /** Called after every attempt with its duration and `success` or the error kind (histogram). */
  onRequest?: (durationS: number, result: 'success' | ErrorKind) => void;
  /** Retries, 429 waits and pages are logged at debug. */
  log?: Logger;
}

export interface JsonRequest {
  method: 'GET' | 'POST';
  url: string;
  headers?: Record<string, string>;
  body?: unknown;
}

/** Backoff before retry number `attempt` (1-based): exponential, capped, with equal jitter. */
export function backoffMs(policy: RetryPolicy, attempt: number, random: () => number): number {
  const cap = Math.min(policy.max_delay_ms, policy.base_delay_ms * 2 ** (attempt - 1));
  return Math.round(cap / 2 + (random() * cap) / 2);
}

/** Parse Retry-After (delta seconds or HTTP date) to milliseconds; undefined when absent/bad. */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isFinite(at) ? Math.max(0, at - nowMs) : undefined;
}

function describe(req: JsonRequest): string {
  const u = new URL(req.url);
  return `${req.method} ${u.origin}${u.pathname}`;
}

async function attempt(deps: HttpDeps, policy: RetryPolicy, req: JsonRequest, signal: AbortSignal): Promise<unknown> {
  const what = describe(req);
  const ac = new AbortController();
  let timedOut = false;
  const timer = deps.clock.setTimeout(() => {
    timedOut = true;
    ac.abort(new Error('timeout'));
  }, policy.timeout_ms);
  const onAbort = () => ac.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    let res: HttpResponse;
    let body: string;
    try {
      res = await deps.fetch(req.url, {
        method: req.method,
        headers: { accept: 'application/json', ...(req.body === undefined ? {} : { 'content-type': 'application/json' }), ...req.headers },
        ...(req.body === undefined ? {} : { body: JSON.stringify(req.body) }),
        signal: ac.signal,
      });
      body = await res.text();
    } catch (err) {
      if (signal.aborted) throw err;
      if (timedOut) throw new ApiError('timeout', `${what}: no answer within ${policy.timeout_ms} ms`);
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
      throw new ApiError('network', `${what}: network error (${cause})`);
    }
    const s = res.status;
    if (s === 401 || s === 403) throw new ApiError('auth', `${what}: HTTP ${s}: the API token was refused`, s);
    if (s === 429) {
      const ra = parseRetryAfter(res.headers.get('retry-after'), deps.clock.now());
      throw new ApiError('rate_limited', `${what}: HTTP 429 (rate limited${ra === undefined ? '' : `, retry after ${Math.ceil(ra / 1000)} s`})`, s, ra);
    }
    if (s >= 500) throw new ApiError('server', `${what}: HTTP ${s}`, s);
    if (s < 200 || s >= 300) throw new ApiError('client', `${what}: HTTP ${s}`, s);
    try {
      return JSON.parse(body) as unknown;
    } catch (err) {
      throw new ApiError('malformed', `${what}: the answer is not valid JSON (${(err as Error).message.slice(0, 120)})`, s);
    }
  } finally {
    deps.clock.clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
  }
}

const RETRYABLE = new Set<ErrorKind>(['network', 'timeout', 'server', 'malformed', 'rate_limited']);

/** Send a request, retrying per policy; resolves with the parsed JSON or throws ApiError. */
export async function requestJson(deps: HttpDeps, policy: RetryPolicy, req: JsonRequest, signal: AbortSignal): Promise<unknown> {
  for (let n = 1; ; n++) {
    const t0 = deps.clock.now();
    try {
      const body = await attempt(deps, policy, req, signal);
      deps.onRequest?.((deps.clock.now() - t0) / 1000, 'success');
      return body;
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      deps.onRequest?.((deps.clock.now() - t0) / 1000, err.kind);
      deps.onError?.(err.kind);
      if (!RETRYABLE.has(err.kind) || n >= policy.attempts) throw err;
      let wait = backoffMs(policy, n, deps.random);
      if (err.kind === 'rate_limited' && err.retryAfterMs !== undefined) {
        if (err.retryAfterMs > policy.max_retry_after_ms) {
          deps.log?.debug('rate limited: Retry-After is longer than retry.max_retry_after_ms; the refresh ends here', { request: describe(req), retry_after_ms: err.retryAfterMs });
          throw err;
        }
        wait = err.retryAfterMs;
        deps.log?.debug('rate limited (429): waiting Retry-After before the next try', { request: describe(req), attempt: n, of: policy.attempts, wait_ms: wait });
      } else {
        deps.log?.debug('request failed; retrying after a backoff', { request: describe(req), attempt: n, of: policy.attempts, kind: err.kind, error: err.message, wait_ms: wait });
      }
      await sleep(deps.clock, wait, signal);
    }
  }
}
