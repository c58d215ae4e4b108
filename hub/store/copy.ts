// Copy everything of one store port into another (`hub store copy`: an existing lowdb data dir
// into PostgreSQL): platforms, then per platform its sites, control devices, webhooks, jobs (one
// transaction), runtimes, remediation settings and guardrail state, executions (with their
// runtimes' firings already reconciled by the HubStore's load), inbound SMS oldest first, webhook
// deliveries and modem uptime marks. Versions start again at 1. Idempotency keys (kept 24 h)
// and the leadership epoch are not copied. The target must be empty: nothing is overwritten.
import { scopeOf, type StorePort, StoreError } from './port.js';

export interface CopyCounts {
  platforms: number;
  sites: number;
  control_devices: number;
  webhooks: number;
  jobs: number;
  runtimes: number;
  executions: number;
  inbound: number;
  deliveries: number;
}

export class TargetNotEmptyError extends StoreError {
  override name = 'TargetNotEmptyError';
}

const CHUNK = 1000;

export async function copyStore(from: StorePort, to: StorePort, opts: { inboundPerPlatform?: number } = {}): Promise<CopyCounts> {
  const existing = await to.platforms.list();
  if (existing.length > 0) throw new TargetNotEmptyError(`the target store is not empty (${existing.length} platforms: ${existing.map((p) => p.id).slice(0, 5).join(', ')}); copy into an empty database`);
  const n: CopyCounts = { platforms: 0, sites: 0, control_devices: 0, webhooks: 0, jobs: 0, runtimes: 0, executions: 0, inbound: 0, deliveries: 0 };
  const platforms = await from.platforms.list();
  for (const p of platforms) await to.platforms.put(p);
  n.platforms = platforms.length;
  for (const p of platforms) {
    const scope = scopeOf(p.id);
    const sites = await from.sites.list(scope);
    for (const s of sites) await to.sites.put(scope, s);
    for (const d of await from.controlDevices.list(scope)) {
      await to.controlDevices.put(scope, d);
      n.control_devices++;
    }
    for (const w of await from.webhooks.list(scope)) {
      await to.webhooks.put(scope, w);
      n.webhooks++;
    }
    n.sites += sites.length;
    const jobs = await from.jobs.all(scope);
    if (jobs.length > 0) n.jobs += await to.jobs.putMany(scope, jobs);
    const settings = await from.remediation.settings(scope);
    if (settings) await to.remediation.putSettings(scope, settings);
    const runtimes = await from.runtime.all(scope);
    const total = (await from.executions.list(scope, { limit: 1, offset: 0 })).total;
    const execs = total > 0 ? (await from.executions.list(scope, { limit: total, offset: 0 })).items.reverse() : [];
    for (let i = 0; i < execs.length; i += CHUNK) await to.executions.commitFiring(scope, execs.slice(i, i + CHUNK), new Map());
    n.executions += execs.length;
    await to.runtime.putMany(scope, runtimes);
    n.runtimes += runtimes.size;
    const { version: _v, ...state } = await from.remediation.state(scope);
    await to.remediation.putState(scope, state, { ifVersion: 0 });
    const keep = opts.inboundPerPlatform ?? 1000;
    const inbound = (await from.inbound.list(scope, keep)).reverse();
    for (const r of inbound) await to.inbound.add(scope, r, keep);
    n.inbound += inbound.length;
    const deliveries = await from.deliveries.list(scope);
    for (const d of deliveries) await to.deliveries.put(scope, d, Math.max(5000, deliveries.length));
    n.deliveries += deliveries.length;
    for (const s of sites) for (const m of await from.remediation.uptimeMarks(scope, s.id)) await to.remediation.markUptime(scope, s.id, m.at, m.up);
  }
  return n;
}
