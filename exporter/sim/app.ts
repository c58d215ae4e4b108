// The platform simulator (hono): the AddReality device list and the CubicMedia status check as
// the exporter sees them, with latency, random errors, forced failures and a token check, plus
// a control API under /_sim for tests and the demo:
//   GET  /_sim/state                 counters, settings, forced failure
//   GET  /_sim/devices/:key          one device (numeric id) or player (MAC)
//   POST /_sim/devices/:key {...}    set any fields (null removes one); creates when missing
//   DELETE /_sim/devices/:key        the device vanishes from the API
//   POST /_sim/fail {"mode":...}     force failures (off|http|network|timeout|auth|rate_limit|malformed)
//   POST /_sim/config {...}          change latency, error rates, tokens, paging at run time
//   GET  /_sim/ui                    a page with buttons (demo): flip devices, API outage
import { Hono } from 'hono';
import type { Context } from 'hono';
import { z } from 'zod';
import { formatIssues } from '#common/contract/parse.js';
import { normalizeMac } from '../core/device.js';
import { type FailMode, type SimConfig, failSchema, tunableSchema } from './config.js';
import { type SimRecord, type SimState, prng } from './state.js';
import { createSimUi } from './ui.js';

export interface SimDeps {
  state: SimState;
  config: SimConfig;
  random?: () => number;
  now?: () => number;
}

export interface Sim {
  readonly app: Hono;
  readonly counters: { list: number; status_check: number; failed: number };
  fail(mode: FailMode | undefined): void;
  /** The forced failure in effect, if any. */
  failing(): FailMode | undefined;
  /** Release held requests (mode "timeout"). */
  close(): void;
}

type Api = 'addreality' | 'cubicmedia';

export function createSim(deps: SimDeps): Sim {
  const { state, config } = deps;
  const random = deps.random ?? prng(config.seed + 1);
  const now = deps.now ?? Date.now;
  const counters = { list: 0, status_check: 0, failed: 0 };
  let failing: FailMode | undefined;
  const held = new Set<{ timer: ReturnType<typeof setTimeout>; resolve: () => void }>();

  const hold = (ms: number) =>
    new Promise<void>((resolve) => {
      const h = { timer: setTimeout(() => done(), ms), resolve: () => done() };
      const done = () => {
        clearTimeout(h.timer);
        held.delete(h);
        resolve();
      };
      h.timer.unref();
      held.add(h);
    });

  /** A forced or random failure for this request, or undefined to answer normally. */
  const failure = async (c: Context, api: Api): Promise<Response | undefined> => {
    if (config.latency_ms > 0) await hold(config.latency_ms);
    const f = failing;
    if (f && (f.api === 'all' || f.api === api)) {
      counters.failed++;
      if (f.count !== undefined && --f.count <= 0) failing = undefined;
      switch (f.mode) {
        case 'http':
          return c.json({ error: 'simulated failure' }, f.status as 500);
        case 'auth':
          return c.json({ error: 'invalid token' }, 401);
        case 'rate_limit':
          return c.json({ error: 'too many requests' }, 429, { 'retry-after': String(f.retry_after_s) });
        case 'malformed':
          return c.body('{"pagination": {"offset": 0, "total": 3}, "data": [{"id": 1, "na', 200, { 'content-type': 'application/json' });
        case 'timeout':
          await hold(f.hold_ms);
          return c.json({ error: 'gateway timeout' }, 504);
        case 'network': {
          const socket = (c.env as { incoming?: { socket?: { destroy(): void } } } | undefined)?.incoming?.socket;
          if (socket) socket.destroy();
          throw new Error('simulated network failure');
        }
        case 'off':
          break;
      }
    }
    const r = random();
    if (r < config.error_rate) {
      counters.failed++;
      return c.json({ error: 'random failure' }, 500);
    }
    if (r < config.error_rate + config.rate_limit_rate) {
      counters.failed++;
      return c.json({ error: 'too many requests' }, 429, { 'retry-after': String(config.retry_after_s) });
    }
    return undefined;
  };

  const present = (rec: SimRecord, t: string): SimRecord => {
    const out = rec.connection_state === 'online' ? { ...rec, last_online: t } : rec;
    if (config.bad_record_rate > 0 && (((rec.id as number) * 2654435761) % 10007) / 10007 < config.bad_record_rate) return { ...out, connection_state: 42 };
    return out;
  };

  const app = new Hono();

  app.post('/public/v1/device/list', async (c) => {
    counters.list++;
    if (config.tokens.length > 0 && !config.tokens.includes(c.req.header('x-api-token') ?? '')) return c.json({ error: 'invalid or missing X-API-Token' }, 401);
    const failed = await failure(c, 'addreality');
    if (failed) return failed;
    let body: Record<string, unknown>;
    try {
      body = (await c.req.json()) as Record<string, unknown>;
    } catch {
      return c.json({ error: 'body must be JSON' }, 400);
    }
    const num = (v: unknown, d: number) => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : d);
    const limit = Math.min(num(body[config.limit_param], 300), config.max_page_size);
    const offset = num(body[config.offset_param], 0);
    const ids = Array.isArray(body.id) ? body.id.filter((x): x is number => typeof x === 'number') : [];
    const all = ids.length > 0 ? state.ids().filter((id) => ids.includes(id)) : state.ids();
    const t = new Date(now()).toISOString();
    const data = all.slice(offset, offset + limit).map((id) => present(state.devices.get(id)!, t));
    return c.json({ pagination: { offset, limit, total: all.length }, data });
  });

  app.get('/api/v0.1/players/status-check', async (c) => {
    counters.status_check++;
    const failed = await failure(c, 'cubicmedia');
    if (failed) return failed;
    const mac = normalizeMac(c.req.query('mac') ?? '');
    if (!mac) return c.json({ error: 'mac is required' }, 400);
    const rec = state.players.get(mac);
    return c.json(rec ? [rec] : []);
  });

  const sim = new Hono();
  sim.get('/state', (c) => c.json({ counters, fail: failing ?? { mode: 'off' }, devices: state.devices.size, players: state.players.size, config }));
  sim.get('/devices/:key', (c) => {
    const rec = state.get(c.req.param('key'));
    return rec ? c.json(rec) : c.json({ error: 'no such device' }, 404);
  });
  sim.post('/devices/:key', async (c) => {
    const body = z.record(z.string(), z.unknown()).safeParse(await c.req.json().catch(() => undefined));
    if (!body.success) return c.json({ error: `body: ${formatIssues(body.error)}` }, 400);
    const r = state.set(c.req.param('key'), body.data, now());
    return r ? c.json(r) : c.json({ error: 'key must be a numeric device id or a MAC address' }, 400);
  });
  sim.delete('/devices/:key', (c) => (state.remove(c.req.param('key')) ? c.json({ removed: true }) : c.json({ error: 'no such device' }, 404)));
  sim.post('/fail', async (c) => {
    const body = failSchema.safeParse(await c.req.json().catch(() => ({})));
    if (!body.success) return c.json({ error: formatIssues(body.error) }, 400);
    api.fail(body.data.mode === 'off' ? undefined : body.data);
    return c.json({ fail: failing ?? { mode: 'off' } });
  });
  sim.delete('/fail', (c) => {
    api.fail(undefined);
    return c.json({ fail: { mode: 'off' } });
  });
  sim.post('/config', async (c) => {
    const raw = (await c.req.json().catch(() => undefined)) as unknown;
    const body = tunableSchema.safeParse(raw);
    if (!body.success) return c.json({ error: formatIssues(body.error) }, 400);
    // Only the fields sent (the schema's defaults must not reset the others).
    for (const k of Object.keys(raw as object)) Object.assign(config, { [k]: (body.data as Record<string, unknown>)[k] });
    return c.json({ config });
  });
  app.route('/_sim', sim);
  app.route('/_sim/ui', createSimUi(state, { fail: (m) => api.fail(m), failing: () => failing }));
  app.onError((err, c) => c.json({ error: err.message }, 500));

  const api: Sim = {
    app,
    counters,
    fail(mode) {
      failing = mode ? { ...mode } : undefined;
      if (!failing) for (const h of [...held]) h.resolve();
    },
    failing: () => failing,
    close() {
      for (const h of [...held]) h.resolve();
    },
  };
  return api;
}
