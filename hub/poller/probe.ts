// One query per platform and cycle: its freshness rule (hub/core/freshness.ts) when it has one,
// else `vector(1)`. It tells whether the platform's Prometheus answers (for /readyz, even with
// no jobs) and whether its data source is stale.
import { evaluateFreshness, type Freshness, staleQuery, staleRuleOf } from '../core/freshness.js';
import type { Platform } from '../model/entities.js';
import type { QueryFn } from '../prometheus/client.js';

export interface ProbeResult {
  ok: boolean;
  freshness: Freshness | null;
  error: string | null;
}

export async function probePlatform(platform: Platform, query: QueryFn): Promise<ProbeResult> {
  const rule = staleRuleOf(platform);
  try {
    if (!rule) {
      await query(platform.prometheus, 'vector(1)');
      return { ok: true, freshness: null, error: null };
    }
    const rows = await query(platform.prometheus, staleQuery(platform.id, rule));
    return { ok: true, freshness: evaluateFreshness(rule, platform.id, rows), error: null };
  } catch (err) {
    return { ok: false, freshness: null, error: `probe: ${(err as Error).message}` };
  }
}
