import { afterEach, describe, expect, it } from 'vitest';
import { listen, type Listening } from '../../exporter/http/listen.js';
import { BASE, TOKEN, makeSim } from './helpers.js';

const post = (path: string, body: unknown) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const list = (token = TOKEN, body: unknown = { id: [], limit: 300, offset: 0 }) => ({ method: 'POST', headers: { 'content-type': 'application/json', 'X-API-Token': token }, body: JSON.stringify(body) });

describe('simulator control API', () => {
  let server: Listening | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('answers the device list with pagination and unknown extra fields', async () => {
    const sim = makeSim({ devices: 12 });
    const res = await sim.app.request(`${BASE}/public/v1/device/list`, list(TOKEN, { id: [], limit: 5, offset: 10 }));
    const body = (await res.json()) as { pagination: unknown; data: Array<Record<string, unknown>> };
    expect(body.pagination).toEqual({ offset: 10, limit: 5, total: 12 });
    expect(body.data.map((d) => d.id)).toEqual([30010, 30011]);
    expect(body.data[0]).toHaveProperty('group_id');
  });

  it('filters by id when ids are given, and checks the token', async () => {
    const sim = makeSim({ devices: 12 });
    const res = await sim.app.request(`${BASE}/public/v1/device/list`, list(TOKEN, { id: [30003, 30007] }));
    expect(((await res.json()) as { data: Array<{ id: number }> }).data.map((d) => d.id)).toEqual([30003, 30007]);
    expect((await sim.app.request(`${BASE}/public/v1/device/list`, list('nope'))).status).toBe(401);
  });

  it('sets any field of a device (null removes it), creates and removes devices', async () => {
    const sim = makeSim({ devices: 3 });
    let res = await sim.app.request(`${BASE}/_sim/devices/30001`, post('', { connection_state: 'offline', power_cycles: 1, time_zone: null }));
    expect(res.status).toBe(200);
    const rec = (await (await sim.app.request(`${BASE}/_sim/devices/30001`)).json()) as Record<string, unknown>;
    expect(rec).toMatchObject({ connection_state: 'offline', power_cycles: 1 });
    expect(rec).not.toHaveProperty('time_zone');
    expect(rec.last_online).toBe(new Date(Date.UTC(2026, 10, 25, 8)).toISOString());
    res = await sim.app.request(`${BASE}/_sim/devices/99`, post('', { name: 'new one' }));
    expect(((await res.json()) as { kind: string }).kind).toBe('addreality');
    expect(sim.state.devices.get(99)).toMatchObject({ name: 'new one' });
    expect((await sim.app.request(`${BASE}/_sim/devices/99`, { method: 'DELETE' })).status).toBe(200);
    expect(sim.state.devices.has(99)).toBe(false);
    expect((await sim.app.request(`${BASE}/_sim/devices/not-a-key`, post('', {}))).status).toBe(400);
    expect((await sim.app.request(`${BASE}/_sim/devices/30001`, post('', [1, 2]))).status).toBe(400);
  });

  it('controls CubicMedia players by MAC', async () => {
    const sim = makeSim({ cubic_players: 1 });
    await sim.app.request(`${BASE}/_sim/devices/02-00-00-00-00-00`, post('', { status: 'offline' }));
    const res = await sim.app.request(`${BASE}/api/v0.1/players/status-check?mac=02:00:00:00:00:00`);
    expect(await res.json()).toEqual([expect.objectContaining({ status: 'offline', name: 'Cubic_1' })]);
    expect(await (await sim.app.request(`${BASE}/api/v0.1/players/status-check?mac=02:00:00:00:00:55`)).json()).toEqual([]);
  });

  it('forces failures for a number of requests, then recovers', async () => {
    const sim = makeSim();
    expect((await sim.app.request(`${BASE}/_sim/fail`, post('', { mode: 'http', status: 502, count: 2 }))).status).toBe(200);
    expect((await sim.app.request(`${BASE}/public/v1/device/list`, list())).status).toBe(502);
    expect((await sim.app.request(`${BASE}/public/v1/device/list`, list())).status).toBe(502);
    expect((await sim.app.request(`${BASE}/public/v1/device/list`, list())).status).toBe(200);
    await sim.app.request(`${BASE}/_sim/fail`, post('', { mode: 'rate_limit', retry_after_s: 9 }));
    const r = await sim.app.request(`${BASE}/public/v1/device/list`, list());
    expect([r.status, r.headers.get('retry-after')]).toEqual([429, '9']);
    await sim.app.request(`${BASE}/_sim/fail`, post('', { mode: 'malformed' }));
    const m = await sim.app.request(`${BASE}/public/v1/device/list`, list());
    const text = await m.text();
    expect(m.status).toBe(200);
    expect(() => JSON.parse(text) as unknown).toThrow();
    await sim.app.request(`${BASE}/_sim/fail`, { method: 'DELETE' });
    expect((await sim.app.request(`${BASE}/public/v1/device/list`, list())).status).toBe(200);
    expect((await sim.app.request(`${BASE}/_sim/fail`, post('', { mode: 'explode' }))).status).toBe(400);
  });

  it('changes settings at run time', async () => {
    const sim = makeSim({ devices: 10 });
    await sim.app.request(`${BASE}/_sim/config`, post('', { max_page_size: 4 }));
    expect(sim.config.tokens).toEqual([TOKEN]);
    const body = (await (await sim.app.request(`${BASE}/public/v1/device/list`, list())).json()) as { data: unknown[] };
    expect(body.data).toHaveLength(4);
    expect((await sim.app.request(`${BASE}/_sim/config`, post('', { nonsense: 1 }))).status).toBe(400);
  });

  it('"network" mode drops the connection on a real socket', async () => {
    const sim = makeSim();
    server = await listen(sim.app, '127.0.0.1', 0);
    await fetch(`${server.url}/_sim/fail`, post('', { mode: 'network' }));
    await expect(fetch(`${server.url}/public/v1/device/list`, list())).rejects.toThrow();
    const state = (await (await fetch(`${server.url}/_sim/state`)).json()) as { counters: { failed: number } };
    expect(state.counters.failed).toBe(1);
  });
});

describe('simulator demo page', () => {
  it('lists devices with bilingual buttons that flip them and switch an outage', async () => {
    const sim = makeSim({ devices: 3 });
    sim.state.set('30001', { name: '<b>Арзамас</b>' });
    const page = await (await sim.app.request(`${BASE}/_sim/ui`)).text();
    expect(page).toContain('Выключить / Take offline');
    expect(page).toContain('&lt;b&gt;Арзамас&lt;/b&gt;');
    const r = await sim.app.request(`${BASE}/_sim/ui/devices/30001/offline`, { method: 'POST' });
    expect(r.status).toBe(303);
    expect(sim.state.devices.get(30001)).toMatchObject({ connection_state: 'offline', player_status: 'idle' });
    expect(await (await sim.app.request(`${BASE}/_sim/ui`)).text()).toContain('Включить / Bring online');
    await sim.app.request(`${BASE}/_sim/ui/outage/on`, { method: 'POST' });
    expect(sim.failing()?.mode).toBe('http');
    expect((await sim.app.request(`${BASE}/public/v1/device/list`, list())).status).toBe(503);
    await sim.app.request(`${BASE}/_sim/ui/outage/off`, { method: 'POST' });
    expect(sim.failing()).toBeUndefined();
    expect((await sim.app.request(`${BASE}/_sim/ui/devices/424242/offline`, { method: 'POST' })).status).toBe(404);
  });
});
