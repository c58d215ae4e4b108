// /healthz (the process answers and its poll cycles run), /readyz (Prometheus and MQTT
// reachable), /metrics. A cycle that throws (not a degraded one: Prometheus down is /readyz's
// business) is a fault of the hub itself; from FAILING_CYCLES in a row /healthz answers 503, so a
// supervisor or a probe sees a hub that serves HTTP but evaluates nothing (issue 15).
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
    const prometheus = deps.health.prometheusOk();
    const mqtt = deps.health.mqttUp();
    const cycle = deps.lastCycle();
    const ready = prometheus && mqtt;
    return c.json(
      {
        status: ready ? 'ready' : 'degraded',
        prometheus: prometheus ? 'up' : 'down',
        mqtt: mqtt ? 'up' : 'down',
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
