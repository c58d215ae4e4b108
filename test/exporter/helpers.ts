// Test helpers for the exporter: a simulator reachable through app.request (no socket), a
// clock that fires short sleeps at once and records them, and small factories.
import { spawnSync } from 'node:child_process';
import type { Clock, TimerHandle } from '../../hub/common/clock.js';
import { type Logger, createLogger } from '../../hub/common/log.js';
import { type Sim, createSim } from '../../exporter/sim/app.js';
import { type SimConfig, simConfigSchema } from '../../exporter/sim/config.js';
import { SimState } from '../../exporter/sim/state.js';
import type { FetchFn, HttpDeps, RetryPolicy } from '../../exporter/sources/http.js';

export const BASE = 'http://sim.test';
export const TOKEN = 'tok-3f9a1c77e2';

/** A simulator (fixed time unless `now` is given) with the test token and no offline devices. */
export function makeSim(overrides: Partial<SimConfig> = {}, now: () => number = () => Date.UTC(2026, 10, 25, 8)): Sim & { state: SimState; config: SimConfig } {
  const config = simConfigSchema.parse({ tokens: [TOKEN], devices: 10, cubic_players: 2, offline_rate: 0, ...overrides });
  const state = new SimState(config, now());
  return Object.assign(createSim({ state, config, now }), { state, config });
}

/** fetch() answered by the simulator's app in-process. */
export function simFetch(sim: Sim): FetchFn {
  return async (url, init) => sim.app.request(url, init);
}

/**
 * Virtual time: timers shorter than `holdFromMs` fire on the next turn (and move now() ahead);
 * longer ones (request timeouts) never fire. Every delay asked for is recorded.
 */
export function recordingClock(holdFromMs = 10 * 60_000): Clock & { delays: number[] } {
  let t = Date.UTC(2026, 10, 25, 8);
  const delays: number[] = [];
  return {
    delays,
    now: () => t,
    setTimeout(fn, ms): TimerHandle {
      if (ms >= holdFromMs) return { unref: () => undefined };
      delays.push(ms);
      const h = setImmediate(() => {
        t += ms;
        fn();
      });
      return { unref: () => h.unref(), h } as TimerHandle;
    },
    clearTimeout(handle) {
      const h = (handle as { h?: ReturnType<typeof setImmediate> }).h;
      if (h) clearImmediate(h);
    },
  };
}

export const fastRetry: RetryPolicy = { attempts: 4, base_delay_ms: 100, max_delay_ms: 1000, timeout_ms: 30 * 60_000, max_retry_after_ms: 60_000 };

export function httpDeps(fetch: FetchFn, clock: Clock = recordingClock(), errors: string[] = []): HttpDeps {
  return { fetch, clock, random: () => 0.5, onError: (k) => errors.push(k) };
}

const PROMTOOL = process.env.PROMTOOL_BIN ?? '/usr/bin/promtool';

/** Run `promtool check metrics` on a text; returns its exit status and output. */
export function promtoolCheck(text: string): { status: number | null; output: string } {
  const r = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

/** A logger that keeps its lines (to check what is said, and that no token is). */
export function memoryLog(secrets: string[] = []): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  return { log: createLogger('test', { level: 'debug', sink: { write: (l) => lines.push(l) }, secrets }), lines };
}
