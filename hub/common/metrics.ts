// Metrics helpers shared by the three programs: a registry per program (never prom-client's
// global one) and the text-format response for a /metrics handler.
import { Counter, Registry, collectDefaultMetrics } from 'prom-client';

export interface RegistryOptions {
  /** Add process_* and nodejs_* metrics (off in unit tests to keep output small). */
  defaultMetrics?: boolean;
  prefix?: string;
}

/**
 * Drop metrics that `promtool check metrics` rejects: prom-client's default metrics include
 * gauges named `*_total` (nodejs_active_handles_total, nodejs_active_requests_total, ...), and
 * only counters may end in `_total`. Returns the names dropped.
 */
export function dropLintFailingMetrics(registry: Registry): string[] {
  const dropped: string[] = [];
  for (const m of registry.getMetricsAsArray()) {
    if (m.name.endsWith('_total') && !(m instanceof Counter)) {
      registry.removeSingleMetric(m.name);
      dropped.push(m.name);
    }
  }
  return dropped;
}

export function createRegistry(options: RegistryOptions = {}): Registry {
  const registry = new Registry();
  if (options.defaultMetrics) {
    collectDefaultMetrics({ register: registry, prefix: options.prefix ?? '' });
    dropLintFailingMetrics(registry);
  }
  return registry;
}

/** Render a registry for an HTTP response. */
export async function renderMetrics(registry: Registry): Promise<{ body: string; contentType: string }> {
  return { body: await registry.metrics(), contentType: registry.contentType };
}
