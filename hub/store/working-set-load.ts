// The working set's data (hub/store/working-set.ts): what the leader holds in memory, loaded
// from a StorePort at start (or when it becomes the leader), and the refresh of definitions when
// the change feed says they changed (refetch the changed ids; everything on `all`).
import type { ControlDevice, Platform, Site } from '../model/entities.js';
import type { Execution } from '../model/execution.js';
import type { Job, JobRuntime } from '../model/job.js';
import type { RemediationSettings, StoredWebhook } from '../model/remediation.js';
import type { UptimeMark } from '../model/uptime.js';
import type { CorrelationState, Trip } from '../model/correlation.js';
import type { BudgetState, DeviceHistory } from '../model/guardrails.js';
import type { DeliveryRecord } from '../model/delivery.js';
import { type Change, emptyGuardrails, type GuardrailState, type InboundRecord, type Scope, scopeOf, type StorePort } from './port.js';

export const siteKey = (platformId: string, siteId: string): string => `${platformId}/${siteId}`;

export interface WsData {
  platforms: Map<string, Platform>;
  /** By `<platform>/<site>`. */
  sites: Map<string, Site>;
  controlDevices: Map<string, ControlDevice>;
  webhooks: Map<string, StoredWebhook>;
  jobs: Map<string, Job>;
  settings: Map<string, RemediationSettings>;
  runtimes: Map<string, JobRuntime>;
  executions: Map<string, Execution>;
  /** Per platform, oldest first. */
  inbound: Map<string, InboundRecord[]>;
  deliveries: DeliveryRecord[];
  /** By `<platform>/<site>`. */
  uptime: Map<string, UptimeMark[]>;
  history: DeviceHistory;
  budget: Map<string, BudgetState>;
  correlation: CorrelationState;
  /** Guardrail state version per platform (0: never written) and its JSON as last stored. */
  stateVersions: Map<string, number>;
  statePersisted: Map<string, string>;
}

export interface LoadLimits {
  /** Executions read per platform (the retention bound). */
  executionsPerPlatform: number;
  inboundPerPlatform: number;
}

export const emptyData = (): WsData => ({
  platforms: new Map(),
  sites: new Map(),
  controlDevices: new Map(),
  webhooks: new Map(),
  jobs: new Map(),
  settings: new Map(),
  runtimes: new Map(),
  executions: new Map(),
  inbound: new Map(),
  deliveries: [],
  uptime: new Map(),
  history: {},
  budget: new Map(),
  correlation: { recent: {}, incidents: [] },
  stateVersions: new Map(),
  statePersisted: new Map(),
});

/** One platform's guardrail state out of the global in-memory one. */
export function guardrailsOf(d: WsData, platformId: string): GuardrailState {
  const prefix = `${platformId}/`;
  const history: DeviceHistory = {};
  for (const [k, v] of Object.entries(d.history)) if (k.startsWith(prefix)) history[k] = v;
  return {
    history,
    budget: d.budget.get(platformId) ?? emptyGuardrails().budget,
    recent: d.correlation.recent[platformId] ?? [],
    incidents: d.correlation.incidents.filter((i) => i.platform_id === platformId),
  };
}

async function loadDefinitions(port: StorePort, d: WsData, scope: Scope): Promise<void> {
  const p = scope.platform_id;
  const [sites, devices, hooks, jobs, settings] = await Promise.all([
    port.sites.list(scope),
    port.controlDevices.list(scope),
    port.webhooks.list(scope),
    port.jobs.all(scope),
    port.remediation.settings(scope),
  ]);
  for (const [k, s] of d.sites) if (s.platform_id === p) d.sites.delete(k);
  for (const s of sites) d.sites.set(siteKey(p, s.id), s);
  replaceOwned(d.controlDevices, p, devices);
  replaceOwned(d.webhooks, p, hooks);
  replaceOwned(d.jobs, p, jobs);
  if (settings) d.settings.set(p, settings);
  else d.settings.delete(p);
}

function replaceOwned<T extends { id: string; platform_id: string }>(map: Map<string, T>, platformId: string, list: readonly T[]): void {
  for (const [k, v] of map) if (v.platform_id === platformId) map.delete(k);
  for (const v of list) map.set(v.id, v);
}

/** Everything the leader needs, read from the port. */
export async function loadAll(port: StorePort, limits: LoadLimits): Promise<WsData> {
  const d = emptyData();
  for (const p of await port.platforms.list()) d.platforms.set(p.id, p);
  for (const p of d.platforms.keys()) {
    const scope = scopeOf(p);
    await loadDefinitions(port, d, scope);
    const [runtimes, page, active, inbound, deliveries, state] = await Promise.all([
      port.runtime.all(scope),
      port.executions.list(scope, { limit: limits.executionsPerPlatform, offset: 0 }),
      port.executions.active(scope),
      port.inbound.list(scope, limits.inboundPerPlatform),
      port.deliveries.list(scope),
      port.remediation.state(scope),
    ]);
    for (const [id, rt] of runtimes) d.runtimes.set(id, rt);
    for (const e of page.items) d.executions.set(e.id, e);
    for (const e of active) d.executions.set(e.id, e);
    d.inbound.set(p, [...inbound].reverse());
    d.deliveries.push(...deliveries);
    const { version, ...st } = state;
    Object.assign(d.history, st.history);
    if (st.budget.queue.length > 0 || Object.keys(st.budget.sent).length > 0) d.budget.set(p, st.budget);
    if (st.recent.length > 0) d.correlation.recent[p] = st.recent as Trip[];
    d.correlation.incidents.push(...st.incidents);
    d.stateVersions.set(p, version);
    d.statePersisted.set(p, JSON.stringify(guardrailsOf(d, p)));
    const sites = [...d.sites.values()].filter((s) => s.platform_id === p);
    const marks = await Promise.all(sites.map((s) => port.remediation.uptimeMarks(scope, s.id)));
    sites.forEach((s, i) => {
      const m = marks[i];
      if (m && m.length > 0) d.uptime.set(siteKey(p, s.id), m);
    });
  }
  return d;
}

/** A change that carries its records, one per id (and its runtimes, when there are any, too). */
const carried = (c: Change): c is Change & { ids: string[]; docs: Array<Record<string, unknown>> } =>
  c.ids !== null && Array.isArray(c.docs) && c.docs.length === c.ids.length && (c.runtimes === undefined || (Array.isArray(c.runtimes) && c.runtimes.length === c.ids.length));

/**
 * Apply one change of the feed to the definitions in memory. Leader-written aggregates
 * (runtime, executions, guardrail state, deliveries, inbound) are this hub's own writes and are
 * not refetched. Returns true when jobs changed.
 */
export async function applyChange(port: StorePort, d: WsData, c: Change, dirtyRuntimes: ReadonlySet<string>): Promise<boolean> {
  if (c.aggregate === 'all') {
    for (const p of await port.platforms.list()) d.platforms.set(p.id, p);
    for (const p of d.platforms.keys()) await loadDefinitions(port, d, scopeOf(p));
    return true;
  }
  const scope = scopeOf(c.platform_id);
  switch (c.aggregate) {
    case 'platforms': {
      if (c.ids === null) {
        d.platforms.clear();
        for (const p of await port.platforms.list()) d.platforms.set(p.id, p);
        return false;
      }
      for (const id of c.ids) {
        const p = await port.platforms.get(id);
        if (p) {
          const isNew = !d.platforms.has(id);
          d.platforms.set(id, p);
          if (isNew) await loadDefinitions(port, d, scopeOf(id));
        } else d.platforms.delete(id);
      }
      return false;
    }
    case 'sites':
      if (c.ids === null) await loadDefinitions(port, d, scope);
      else
        for (const id of c.ids) {
          const s = await port.sites.get(scope, id);
          if (s) d.sites.set(siteKey(scope.platform_id, id), s);
          else d.sites.delete(siteKey(scope.platform_id, id));
        }
      return false;
    case 'control_devices':
    case 'webhooks': {
      const repo = c.aggregate === 'webhooks' ? port.webhooks : port.controlDevices;
      const map = (c.aggregate === 'webhooks' ? d.webhooks : d.controlDevices) as Map<string, { id: string; platform_id: string }>;
      if (c.ids === null) replaceOwned(map, scope.platform_id, await repo.list(scope));
      else
        for (const id of c.ids) {
          const r = await repo.get(scope, id);
          if (r) map.set(id, r);
          else if (map.get(id)?.platform_id === scope.platform_id) map.delete(id);
        }
      return false;
    }
    case 'jobs': {
      if (c.ids === null) {
        replaceOwned(d.jobs, scope.platform_id, await port.jobs.all(scope));
        for (const [id, rt] of await port.runtime.all(scope)) if (!dirtyRuntimes.has(id)) d.runtimes.set(id, rt);
        return true;
      }
      if (carried(c)) {
        // The writer sent the jobs themselves (and the runtimes it wrote with them): nothing to read.
        c.ids.forEach((id, i) => {
          const j = c.docs[i] as unknown as Job;
          if (j.id !== id || j.platform_id !== scope.platform_id) return;
          d.jobs.set(id, j);
          const rt = c.runtimes?.[i] as unknown as JobRuntime | undefined;
          if (rt && !dirtyRuntimes.has(id)) d.runtimes.set(id, rt);
        });
        return true;
      }
      for (const id of c.ids) {
        const [j, rt] = await Promise.all([port.jobs.get(scope, id), port.runtime.get(scope, id)]);
        if (j) {
          d.jobs.set(id, j);
          // The API restarts a changed job's evaluation with its write; a runtime this hub has
          // not written yet (dirty) is newer and kept.
          if (rt && !dirtyRuntimes.has(id)) d.runtimes.set(id, rt);
        } else if (d.jobs.get(id)?.platform_id === scope.platform_id) {
          d.jobs.delete(id);
          d.runtimes.delete(id);
        }
      }
      return true;
    }
    case 'remediation':
      if (c.ids === null || c.ids.includes('settings')) {
        const s = await port.remediation.settings(scope);
        if (s) d.settings.set(scope.platform_id, s);
        else d.settings.delete(scope.platform_id);
      }
      return false;
    default:
      return false;
  }
}
