// What a job input refers to (sites, control devices, webhooks), read all at once before
// buildJob's checks: the reads run in parallel instead of one round trip after another.
import type { RefPort } from '../jobs/service.js';
import type { JobInputParsed } from '../model/job.js';
import { type Scope, scopeOf, type Stored, type StorePort } from '../store/port.js';

type Getter<T> = { get(scope: Scope, id: string): Promise<Stored<T> | undefined> };

async function readAll<T>(scope: Scope, ids: ReadonlySet<string>, repo: Getter<T>): Promise<Getter<T>> {
  const found = new Map(await Promise.all([...ids].map(async (id) => [id, await repo.get(scope, id)] as const)));
  // Only this scope's reads are answered from what was read; anything else asks the port.
  return { get: (s, id) => (s.platform_id === scope.platform_id && found.has(id) ? Promise.resolve(found.get(id)) : repo.get(s, id)) };
}

export async function prefetchRefs(port: Pick<StorePort, 'sites' | 'controlDevices' | 'webhooks'>, platformId: string, input: Pick<JobInputParsed, 'steps'>): Promise<RefPort> {
  const scope = scopeOf(platformId);
  const sites = new Set<string>();
  const devices = new Set<string>();
  const hooks = new Set<string>();
  for (const step of input.steps) {
    if (step.type === 'send') {
      sites.add(step.site_id);
      devices.add(step.control_device_id);
    } else if (step.type === 'notify') {
      if (step.sms) sites.add(step.sms.site_id);
      for (const w of step.webhooks) hooks.add(w);
    }
  }
  const [s, d, w] = await Promise.all([readAll(scope, sites, port.sites), readAll(scope, devices, port.controlDevices), readAll(scope, hooks, port.webhooks)]);
  return { sites: s, controlDevices: d, webhooks: w };
}
