import { afterEach, describe, expect, it, vi } from 'vitest';
import { systemClock } from '../../hub/common/clock.js';
import { ApiError, type FetchFn, type HttpInit, backoffMs, parseRetryAfter, requestJson } from '../../exporter/sources/http.js';
import { TOKEN, fastRetry, httpDeps, memoryLog, recordingClock } from './helpers.js';

const req = { method: 'POST' as const, url: 'http://api.test/public/v1/device/list', headers: { 'X-API-Token': TOKEN }, body: { id: [] } };
const json = (body: unknown, status = 200, headers: Record<string, string> = {}) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

/** A fetch that answers from a script, one entry per call. */
function scripted(steps: Array<() => Response | Promise<Response>>): FetchFn & { calls: HttpInit[] } {
  const calls: HttpInit[] = [];
  const f = (async (_url: string, init: HttpInit) => {
    calls.push(init);
    const step = steps[calls.length - 1];
    if (!step) throw new Error('unexpected call');
    return step();
  }) as unknown as FetchFn & { calls: HttpInit[] };
  f.calls = calls;
  return f;
}
const netError = () => Promise.reject(Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } }));

describe('requestJson retries', () => {
  afterEach(() => vi.useRealTimers());

  it('sends JSON with the token header and returns the parsed body', async () => {
    const f = scripted([() => json({ ok: 1 })]);
    const out = await requestJson(httpDeps(f), fastRetry, req, new AbortController().signal);
    expect(out).toEqual({ ok: 1 });
    const h = f.calls[0]!.headers as Record<string, string>;
    expect(h['content-type']).toBe('application/json');
    expect(h['X-API-Token']).toBe(TOKEN);
    expect(JSON.parse(f.calls[0]!.body as string)).toEqual({ id: [] });
  });

  it('retries network errors and 5xx with growing backoff, then succeeds', async () => {
    const clock = recordingClock();
    const errors: string[] = [];
    const f = scripted([netError, () => json({}, 502), () => json({}, 500), () => json({ fine: true })]);
    const out = await requestJson(httpDeps(f, clock, errors), fastRetry, req, new AbortController().signal);
    expect(out).toEqual({ fine: true });
    expect(errors).toEqual(['network', 'server', 'server']);
    // random() = 0.5: equal jitter gives 3/4 of the capped exponential step.
    expect(clock.delays).toEqual([75, 150, 300]);
  });

  it('logs retries and 429 waits at debug, and reports every try with its result (histogram)', async () => {
    const clock = recordingClock();
    const { log, lines } = memoryLog([TOKEN]);
    const tries: string[] = [];
    const f = scripted([() => json({}, 503), () => json({}, 429, { 'retry-after': '2' }), () => json({ ok: 1 })]);
    await requestJson({ ...httpDeps(f, clock), log, onRequest: (d, result) => tries.push(`${result}:${d >= 0}`) }, fastRetry, req, new AbortController().signal);
    expect(tries).toEqual(['server:true', 'rate_limited:true', 'success:true']);
    const debug = lines.filter((l) => l.includes('"level":"debug"'));
    expect(debug).toHaveLength(2);
    expect(debug[0]).toMatch(/retrying after a backoff.*"attempt":1.*"kind":"server"/);
    expect(debug[1]).toMatch(/rate limited \(429\): waiting Retry-After.*"wait_ms":2000/);
    expect(debug.join('\n')).toContain('POST http://api.test/public/v1/device/list');
    expect(lines.join('\n')).not.toContain(TOKEN);
  });

  it('gives up after the configured attempts with the last error', async () => {
    const f = scripted([() => json({}, 503), () => json({}, 503), () => json({}, 503), () => json({}, 503)]);
    const err = await requestJson(httpDeps(f), fastRetry, req, new AbortController().signal).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ kind: 'server', status: 503 });
    expect(f.calls).toHaveLength(4);
  });

  it('honours Retry-After on 429', async () => {
    const clock = recordingClock();
    const errors: string[] = [];
    const f = scripted([() => json({}, 429, { 'retry-after': '7' }), () => json({ n: 1 })]);
    await requestJson(httpDeps(f, clock, errors), fastRetry, req, new AbortController().signal);
    expect(clock.delays).toEqual([7000]);
    expect(errors).toEqual(['rate_limited']);
  });

  it('fails the request when Retry-After exceeds the limit, carrying the wait', async () => {
    const f = scripted([() => json({}, 429, { 'retry-after': '3600' })]);
    const err = await requestJson(httpDeps(f), fastRetry, req, new AbortController().signal).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'rate_limited', retryAfterMs: 3_600_000 });
    expect(f.calls).toHaveLength(1);
  });

  it('does not retry 401/403 and never puts the token in the message', async () => {
    for (const status of [401, 403]) {
      const f = scripted([() => json({ error: `bad token ${TOKEN}` }, status)]);
      const err = (await requestJson(httpDeps(f), fastRetry, req, new AbortController().signal).catch((e: unknown) => e)) as ApiError;
      expect(err.kind).toBe('auth');
      expect(err.message).toContain(`HTTP ${status}`);
      expect(err.message).not.toContain(TOKEN);
      expect(f.calls).toHaveLength(1);
    }
  });

  it('does not retry other 4xx', async () => {
    const f = scripted([() => json({}, 404)]);
    await expect(requestJson(httpDeps(f), fastRetry, req, new AbortController().signal)).rejects.toMatchObject({ kind: 'client', status: 404 });
  });

  it('retries a truncated JSON body as malformed', async () => {
    const f = scripted([() => new Response('{"data": [', { status: 200 }), () => json({ data: [] })]);
    const errors: string[] = [];
    await expect(requestJson(httpDeps(f, recordingClock(), errors), fastRetry, req, new AbortController().signal)).resolves.toEqual({ data: [] });
    expect(errors).toEqual(['malformed']);
  });

  it('times out a hanging request (fake timers) and retries it', async () => {
    vi.useFakeTimers();
    let n = 0;
    const f: FetchFn = (_u, init) => {
      n++;
      if (n === 2) return Promise.resolve(json({ late: false }));
      return new Promise((_r, reject) => init.signal?.addEventListener('abort', () => reject(new Error('aborted'))));
    };
    const errors: string[] = [];
    const p = requestJson({ fetch: f, clock: systemClock, random: () => 0, onError: (k) => errors.push(k) }, { ...fastRetry, timeout_ms: 5000 }, req, new AbortController().signal);
    await vi.advanceTimersByTimeAsync(5000);
    await vi.advanceTimersByTimeAsync(100);
    await expect(p).resolves.toEqual({ late: false });
    expect(errors).toEqual(['timeout']);
  });

  it('stops at once when the caller aborts', async () => {
    const ac = new AbortController();
    const f: FetchFn = (_u, init) => new Promise((_r, reject) => init.signal?.addEventListener('abort', () => reject(new Error('aborted'))));
    const p = requestJson(httpDeps(f), fastRetry, req, ac.signal);
    ac.abort(new Error('stopping'));
    await expect(p).rejects.toThrow(/aborted|stopping/);
  });
});

describe('backoff and Retry-After parsing', () => {
  it('grows exponentially, is capped, and jitters within [cap/2, cap]', () => {
    const p = { ...fastRetry, base_delay_ms: 100, max_delay_ms: 1000 };
    expect(backoffMs(p, 1, () => 0)).toBe(50);
    expect(backoffMs(p, 1, () => 0.999999)).toBe(100);
    expect(backoffMs(p, 3, () => 0)).toBe(200);
    expect(backoffMs(p, 10, () => 0)).toBe(500);
    expect(backoffMs(p, 10, () => 0.999999)).toBe(1000);
  });

  it('reads delta seconds and HTTP dates', () => {
    const now = Date.UTC(2026, 0, 1, 12, 0, 0);
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 12:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 11:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});
