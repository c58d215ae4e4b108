// Metrics helpers shared by the three programs: a registry per program (never prom-client's
// global one) and the text-format response for a /metrics handler.
import { Registry, collectDefaultMetrics } from 'prom-client';

export interface RegistryOptions {
  /** Add process_* and nodejs_* metrics (off in unit tests to keep output small). */
  defaultMetrics?: boolean;
  prefix?: string;
}

export function createRegistry(options: RegistryOptions = {}): Registry {
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: options.prefix ?? '' });
  return registry;
}

/** Render a registry for an HTTP response. */
export async function renderMetrics(registry: Registry): Promise<{ body: string; contentType: string }> {
  return { body: await registry.metrics(), contentType: registry.contentType };
}
