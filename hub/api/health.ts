// /healthz (the process answers and, on the leader, its poll cycles run), /readyz (what this
// hub needs to do its part is reachable, and who leads), /metrics. A cycle that throws (not a
// degraded one: Prometheus down is /readyz's business) is a fault of the hub itself; from
// FAILING_CYCLES in a row /healthz answers 503, so a supervisor or a probe sees a hub that
// serves HTTP but evaluates nothing (issue 15). A follower (another hub leads, issue 20) runs no
// cycles: it is ready when MQTT and the store answer; the leader also needs Prometheus. The store
// unreachable makes /readyz 503 (`degraded: ["store"]`) but not /healthz: restarting the hub
// does not bring a database back.
import { Hono } from 'hono';
import { renderMetrics } from '../common/metrics.js';
import type { ApiDeps, HubEnv } from './context.js';

/** Poll cycles failed in a row from which /healthz answers 503 (one may be a passing fault). */
export const FAILING_CYCLES = 2;

export function healthApi(deps: ApiDeps): Hono<HubEnv> {
  const app = new Hono<HubEnv>();
  app.get('/healthz', (c) => {
    const failed = deps.health.cycleFailures?.() ?? { count: 0, error: null };
    if (failed.count >= FAILING_CYCLES) return c.json({ status: 'failing', failed_cycles: failed.count, error: failed.error }, 503);
    return c.json({ status: 'ok' });
  });
  app.get('/readyz', (c) => {
    const lead = deps.health.leadership?.() ?? null;
    const leader = lead?.leader ?? true;
    const prometheus = deps.health.prometheusOk();
    const mqtt = deps.health.mqttUp();
    const store = lead?.storeUp ?? true;
    const cycle = deps.lastCycle();
    const degraded = [...(leader && !prometheus ? ['prometheus'] : []), ...(mqtt ? [] : ['mqtt']), ...(store ? [] : ['store'])];
    const ready = degraded.length === 0;
    return c.json(
      {
        status: ready ? 'ready' : 'degraded',
        degraded,
        // A follower does not poll: Prometheus is the leader's business.
        prometheus: leader ? (prometheus ? 'up' : 'down') : 'not_polled',
        mqtt: mqtt ? 'up' : 'down',
        store: store ? 'up' : 'down',
        leader,
        epoch: lead?.epoch ?? null,
        holder: lead?.holder ?? null,
        // Per-platform probe results of the last cycle (cached: a request never waits on Prometheus).
        platforms: cycle ? countPlatforms(cycle.platforms) : null,
        last_cycle: cycle ? { at: new Date(cycle.at).toISOString(), duration_ms: Math.round(cycle.durationMs), degraded: cycle.degraded, evaluated: cycle.evaluated, skipped: cycle.skipped } : null,
      },
      ready ? 200 : 503,
    );
  });
  app.get('/metrics', async (c) => {
    const { body, contentType } = await renderMetrics(deps.registry);
    return c.body(body, 200, { 'content-type': contentType });
  });
  return app;
}

function countPlatforms(platforms: Record<string, { prometheus: 'up' | 'down'; stale: boolean }>) {
  const all = Object.values(platforms);
  return { total: all.length, prometheus_down: all.filter((p) => p.prometheus === 'down').length, stale: all.filter((p) => p.stale).length };
}
