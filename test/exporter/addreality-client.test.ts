import { describe, expect, it } from 'vitest';
import { type AddRealityOptions, AddRealitySource } from '../../exporter/sources/addreality.js';
import { ApiError, type FetchFn, type HttpInit } from '../../exporter/sources/http.js';
import { BASE, TOKEN, fastRetry, httpDeps, makeSim, recordingClock, simFetch } from './helpers.js';

const opts = (o: Partial<AddRealityOptions> = {}): AddRealityOptions => ({
  base_url: BASE,
  token: TOKEN,
  page_size: 300,
  offset_param: 'offset',
  limit_param: 'limit',
  ids_param: 'id',
  max_pages: 100,
  retry: fastRetry,
  ...o,
});
const signal = () => new AbortController().signal;

/** Wrap a fetch to record the JSON bodies sent. */
function recording(f: FetchFn): FetchFn & { bodies: Record<string, unknown>[] } {
  const bodies: Record<string, unknown>[] = [];
  const g = (async (url: string, init: HttpInit) => {
    bodies.push(JSON.parse(init.body as string) as Record<string, unknown>);
    return f(url, init);
  }) as FetchFn & { bodies: Record<string, unknown>[] };
  g.bodies = bodies;
  return g;
}

describe('AddReality client paging (against the simulator)', () => {
  it('pages with an offset in the body until total: 700 devices in 3 requests', async () => {
    const sim = makeSim({ devices: 700 });
    const f = recording(simFetch(sim));
    const r = await new AddRealitySource(opts(), httpDeps(f)).fetchDevices(signal());
    expect(r.devices).toHaveLength(700);
    expect(new Set(r.devices.map((d) => d.key)).size).toBe(700);
    expect(r.requests).toBe(3);
    expect(f.bodies).toEqual([
      { id: [], limit: 300, offset: 0 },
      { id: [], limit: 300, offset: 300 },
      { id: [], limit: 300, offset: 600 },
    ]);
    expect(r.rejected).toEqual([]);
  });

  it('follows the server when it caps the page below the asked limit', async () => {
    const sim = makeSim({ devices: 250, max_page_size: 100 });
    const r = await new AddRealitySource(opts({ page_size: 300 }), httpDeps(simFetch(sim))).fetchDevices(signal());
    expect(r.devices).toHaveLength(250);
    expect(r.requests).toBe(3);
  });

  it('an exact multiple of the page size ends without an extra empty page', async () => {
    const sim = makeSim({ devices: 600 });
    const r = await new AddRealitySource(opts(), httpDeps(simFetch(sim))).fetchDevices(signal());
    expect(r.requests).toBe(2);
    expect(r.devices).toHaveLength(600);
  });

  it('handles an empty platform', async () => {
    const sim = makeSim({ devices: 0 });
    const r = await new AddRealitySource(opts(), httpDeps(simFetch(sim))).fetchDevices(signal());
    expect(r).toMatchObject({ devices: [], requests: 1 });
  });

  it('uses configurable paging parameter names', async () => {
    const sim = makeSim({ devices: 450, offset_param: 'skip', limit_param: 'take' });
    const f = recording(simFetch(sim));
    const r = await new AddRealitySource(opts({ offset_param: 'skip', limit_param: 'take' }), httpDeps(f)).fetchDevices(signal());
    expect(r.devices).toHaveLength(450);
    expect(f.bodies[1]).toEqual({ id: [], take: 300, skip: 300 });
  });

  it('fails loudly, instead of losing devices past the first page, when the API ignores the offset name', async () => {
    const sim = makeSim({ devices: 450, offset_param: 'skip' });
    const err = (await new AddRealitySource(opts(), httpDeps(simFetch(sim))).fetchDevices(signal()).catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.message).toMatch(/offset_param/);
  });

  it('pages until a short page when the answer has no total', async () => {
    const sim = makeSim({ devices: 350 });
    const strip: FetchFn = async (u, i) => {
      const body = JSON.parse(await (await simFetch(sim)(u, i)).text()) as { data: unknown[] };
      return new Response(JSON.stringify({ data: body.data }), { status: 200 });
    };
    const r = await new AddRealitySource(opts(), httpDeps(strip)).fetchDevices(signal());
    expect(r.devices).toHaveLength(350);
    expect(r.requests).toBe(2);
  });

  it('rejects bad records one by one; the others still come through', async () => {
    const sim = makeSim({ devices: 1000, bad_record_rate: 0.1 });
    const r = await new AddRealitySource(opts(), httpDeps(simFetch(sim))).fetchDevices(signal());
    expect(r.rejected.length).toBeGreaterThan(20);
    expect(r.devices.length + r.rejected.length).toBe(1000);
    expect(r.rejected[0]!.key).toMatch(/^\d+$/);
    expect(r.rejected[0]!.error).toContain('connection_state');
  });

  it('rejects a page whose envelope is wrong as malformed', async () => {
    const f: FetchFn = async () => new Response(JSON.stringify({ pagination: { total: 3 }, data: 'nope' }), { status: 200 });
    const errors: string[] = [];
    await expect(new AddRealitySource(opts(), httpDeps(f, recordingClock(), errors)).fetchDevices(signal())).rejects.toMatchObject({ kind: 'malformed' });
    expect(errors).toEqual(['malformed']);
  });

  it('survives random 500 and 429 answers through retries', async () => {
    const sim = makeSim({ devices: 3000, error_rate: 0.2, rate_limit_rate: 0.1, retry_after_s: 2 });
    const errors: string[] = [];
    const r = await new AddRealitySource(opts({ retry: { ...fastRetry, attempts: 12 } }), httpDeps(simFetch(sim), recordingClock(), errors)).fetchDevices(signal());
    expect(r.devices).toHaveLength(3000);
    expect(errors.length).toBeGreaterThan(0);
    expect(new Set(errors)).toEqual(new Set(['server', 'rate_limited']));
  });

  it('a refused token is an auth error; the simulator checks X-API-Token', async () => {
    const sim = makeSim();
    const err = (await new AddRealitySource(opts({ token: 'wrong-token-xyz' }), httpDeps(simFetch(sim))).fetchDevices(signal()).catch((e: unknown) => e)) as ApiError;
    expect(err.kind).toBe('auth');
    expect(err.message).not.toContain('wrong-token-xyz');
    expect(sim.counters.list).toBe(1);
  });

  it('a forced failure mid-run fails the whole refresh (no half list)', async () => {
    const sim = makeSim({ devices: 900 });
    const f: FetchFn = async (u, i) => {
      if (sim.counters.list === 1) sim.fail({ mode: 'http', status: 503, retry_after_s: 1, api: 'all', hold_ms: 0 });
      return simFetch(sim)(u, i);
    };
    await expect(new AddRealitySource(opts(), httpDeps(f)).fetchDevices(signal())).rejects.toMatchObject({ kind: 'server' });
  });
});
