// The lowdb adapter's leader-written aggregates (runtime, executions, guardrail state, webhook
// deliveries) and the inbound log, over the HubStore documents (idempotency keys:
// lowdb-idempotency.ts). `fence()` throws StaleEpochError for a deposed leader's view before
// anything changes.
import { type Execution, isFinished } from '../model/execution.js';
import type { JobRuntime } from '../model/job.js';
import type { RemediationSettings } from '../model/remediation.js';
import type { UptimeMark } from '../model/uptime.js';
import type { DeliveryRecord } from '../model/delivery.js';
import { assertOwner, type LowdbCore, versionOf, withVersion } from './lowdb-core.js';
import {
  assertScope,
  type ExecutionQuery,
  type ExecutionsRepo,
  type DeliveriesRepo,
  type GuardrailState,
  type InboundRecord,
  type InboundRepo,
  type Page,
  type RemediationRepo,
  type RetentionPolicy,
  type RuntimeRepo,
  type Scope,
  checkSettingsVersion,
  type SettingsWriteOptions,
  type Stored,
  type WriteOptions,
} from './port.js';
import { checkVersion, executionMatches, newestFirst, unversioned } from './port-query.js';

export class LowdbRuntime implements RuntimeRepo {
  constructor(
    private readonly c: LowdbCore,
    private readonly fence: () => void,
  ) {}
  async get(scope: Scope, jobId: string) {
    return this.c.store.job(jobId)?.platform_id === scope.platform_id ? this.c.store.jobRuntime(jobId) : undefined;
  }
  async many(scope: Scope, jobIds: readonly string[]) {
    const out = new Map<string, JobRuntime>();
    for (const id of jobIds) {
      const rt = await this.get(scope, id);
      if (rt) out.set(id, rt);
    }
    return out;
  }
  async all(scope: Scope) {
    const out = new Map<string, JobRuntime>();
    for (const j of this.c.store.jobs(scope.platform_id)) {
      const rt = this.c.store.jobRuntime(j.id);
      if (rt) out.set(j.id, rt);
    }
    return out;
  }
  async putMany(scope: Scope, runtimes: ReadonlyMap<string, JobRuntime>): Promise<void> {
    this.fence();
    const ids: string[] = [];
    for (const [id, rt] of runtimes) {
      if (this.c.store.job(id)?.platform_id !== scope.platform_id) continue;
      this.c.store.setJobRuntime(id, rt);
      ids.push(id);
    }
    if (ids.length === 0) return;
    const saved = this.c.store.saveRuntime();
    this.c.emit({ aggregate: 'runtime', platform_id: scope.platform_id, ids: ids.length <= 100 ? ids : null });
    await saved;
  }
}

export class LowdbExecutions implements ExecutionsRepo {
  constructor(
    private readonly c: LowdbCore,
    private readonly fence: () => void,
  ) {}
  private mine(scope: Scope): Execution[] {
    return this.c.store.executionList(scope.platform_id);
  }
  async get(scope: Scope, id: string) {
    const e = this.c.store.execution(id);
    return e && e.platform_id === scope.platform_id ? withVersion(e) : undefined;
  }
  async byMessage(scope: Scope, wireId: string) {
    const e = this.mine(scope).find((x) => x.messages.some((m) => m.wire_id === wireId));
    return e ? withVersion(e) : undefined;
  }
  async many(scope: Scope, ids: readonly string[]) {
    const out = new Map<string, Stored<Execution>>();
    for (const id of ids) {
      const e = await this.get(scope, id);
      if (e) out.set(id, e);
    }
    return out;
  }
  async list(scope: Scope, q: ExecutionQuery): Promise<Page<Stored<Execution>>> {
    const hits = this.mine(scope)
      .filter((e) => executionMatches(e, q))
      .sort(newestFirst);
    return { total: hits.length, items: hits.slice(q.offset, q.offset + q.limit).map((e) => withVersion(e)) };
  }
  async active(scope: Scope) {
    return this.c.store
      .activeExecutions()
      .filter((e) => e.platform_id === scope.platform_id)
      .sort((a, b) => -newestFirst(a, b))
      .map((e) => withVersion(e));
  }
  async put(scope: Scope, e: Execution, opts?: WriteOptions): Promise<Stored<Execution>> {
    this.fence();
    assertScope('executions', scope, e);
    const cur = this.c.store.execution(e.id);
    assertOwner('executions', scope, cur);
    checkVersion('executions', e.id, versionOf(cur), opts);
    const next = { ...(unversioned(e) as Execution), version: (versionOf(cur) ?? 0) + 1 };
    const saved = this.c.store.putExecution(next);
    this.c.emit({ aggregate: 'executions', platform_id: scope.platform_id, ids: [e.id] });
    await saved;
    return next;
  }
  async commitFiring(scope: Scope, list: readonly Execution[], runtimes: ReadonlyMap<string, JobRuntime>): Promise<void> {
    this.fence();
    for (const e of list) {
      assertScope('executions', scope, e);
      assertOwner('executions', scope, this.c.store.execution(e.id));
    }
    const next = list.map((e) => ({ ...(unversioned(e) as Execution), version: (versionOf(this.c.store.execution(e.id)) ?? 0) + 1 }));
    const mine = new Map([...runtimes].filter(([id]) => this.c.store.job(id)?.platform_id === scope.platform_id));
    const saved = this.c.store.commitFiring(next, mine);
    if (next.length > 0) this.c.emit({ aggregate: 'executions', platform_id: scope.platform_id, ids: next.length <= 100 ? next.map((e) => e.id) : null });
    if (mine.size > 0) this.c.emit({ aggregate: 'runtime', platform_id: scope.platform_id, ids: mine.size <= 100 ? [...mine.keys()] : null });
    await saved;
  }
  async prune(scope: Scope, now: number, policy: RetentionPolicy): Promise<number> {
    this.fence();
    const list = this.mine(scope).sort((a, b) => -newestFirst(a, b));
    let excess = list.length - policy.maxPerPlatform;
    const drop: string[] = [];
    for (const e of list) {
      const old = now - Date.parse(e.created_at) > policy.maxAgeMs;
      if (isFinished(e) && (old || excess > 0)) {
        drop.push(e.id);
        excess--;
      }
    }
    if (drop.length === 0) return 0;
    for (const id of drop) delete this.c.store.executions.data.executions[id];
    const saved = this.c.store.executions.save();
    this.c.emit({ aggregate: 'executions', platform_id: scope.platform_id, ids: drop.length <= 100 ? drop : null });
    await saved;
    return drop.length;
  }
}

export class LowdbInbound implements InboundRepo {
  constructor(private readonly c: LowdbCore) {}
  async list(scope: Scope, limit: number) {
    return this.c.store.inbound(scope.platform_id).slice(-limit).reverse();
  }
  async add(scope: Scope, r: InboundRecord, maxPerPlatform: number): Promise<void> {
    assertScope('inbound', scope, r);
    const saved = this.c.store.addInbound(r, maxPerPlatform);
    this.c.emit({ aggregate: 'inbound', platform_id: scope.platform_id, ids: [r.id] });
    await saved;
  }
}

export class LowdbRemediation implements RemediationRepo {
  constructor(
    private readonly c: LowdbCore,
    private readonly fence: () => void,
  ) {}
  async settings(scope: Scope): Promise<RemediationSettings | null> {
    return this.c.store.definitions.data.remediation[scope.platform_id] ?? null;
  }
  async putSettings(scope: Scope, s: RemediationSettings, opts?: SettingsWriteOptions): Promise<void> {
    // Check and change in one synchronous step: no other write can come in between.
    checkSettingsVersion(scope.platform_id, this.c.store.definitions.data.remediation[scope.platform_id] ?? null, opts);
    const saved = this.c.store.putRemediationSettings(scope.platform_id, s);
    this.c.emit({ aggregate: 'remediation', platform_id: scope.platform_id, ids: ['settings'] });
    await saved;
  }
  async state(scope: Scope): Promise<Stored<GuardrailState>> {
    const p = scope.platform_id;
    const s = this.c.store;
    const prefix = `${p}/`;
    const history = Object.fromEntries(Object.entries(s.deviceHistory).filter(([k]) => k.startsWith(prefix)));
    return {
      history,
      budget: s.budget(p),
      recent: s.correlation.recent[p] ?? [],
      incidents: s.correlation.incidents.filter((i) => i.platform_id === p),
      version: this.c.doc.data.state_versions[p] ?? 0,
    };
  }
  async putState(scope: Scope, st: GuardrailState, opts?: WriteOptions): Promise<Stored<GuardrailState>> {
    this.fence();
    const p = scope.platform_id;
    const cur = this.c.doc.data.state_versions[p];
    checkVersion('guardrail state', p, cur, opts?.ifVersion === 0 ? { ifVersion: null } : opts);
    const s = this.c.store;
    const prefix = `${p}/`;
    const others = Object.entries(s.deviceHistory).filter(([k]) => !k.startsWith(prefix));
    s.deviceHistory = { ...Object.fromEntries(others), ...Object.fromEntries(Object.entries(st.history).filter(([k]) => k.startsWith(prefix))) };
    s.setBudget(p, st.budget);
    s.correlation = {
      recent: { ...s.correlation.recent, [p]: st.recent },
      incidents: [...s.correlation.incidents.filter((i) => i.platform_id !== p), ...st.incidents.filter((i) => i.platform_id === p)],
    };
    const version = (cur ?? 0) + 1;
    this.c.doc.data.state_versions[p] = version;
    const saved = Promise.all([this.c.doc.save(), s.saveRemediation()]);
    this.c.emit({ aggregate: 'remediation', platform_id: p, ids: ['state'] });
    await saved;
    return { ...(unversioned(st) as GuardrailState), version };
  }
  async uptimeMarks(scope: Scope, siteId: string): Promise<UptimeMark[]> {
    return this.c.store.uptimeMarks(scope.platform_id, siteId);
  }
  markUptime(scope: Scope, siteId: string, at: number, up: boolean): Promise<void> {
    return this.c.store.markUptime(scope.platform_id, siteId, at, up);
  }
}

export class LowdbDeliveries implements DeliveriesRepo {
  constructor(
    private readonly c: LowdbCore,
    private readonly fence: () => void,
  ) {}
  async list(scope: Scope) {
    return this.c.store.deliveries(scope.platform_id);
  }
  async byKey(scope: Scope, key: string, endpointId: string) {
    return this.c.store.deliveries(scope.platform_id).find((d) => d.key === key && d.endpoint_id === endpointId);
  }
  async due(scope: Scope, now: number) {
    return this.c.store.dueDeliveries(now).filter((d) => d.platform_id === scope.platform_id);
  }
  async put(scope: Scope, rec: DeliveryRecord, max = 5000): Promise<void> {
    this.fence();
    assertScope('deliveries', scope, rec);
    const data = this.c.store.remediation.data;
    const at = data.deliveries.findIndex((d) => d.id === rec.id);
    if (at >= 0) {
      assertOwner('deliveries', scope, data.deliveries[at]);
      data.deliveries[at] = rec;
    } else data.deliveries.push(rec);
    const mine = data.deliveries.filter((d) => d.platform_id === scope.platform_id);
    if (mine.length > max) {
      const settled = mine.filter((d) => d.status === 'delivered' || d.status === 'failed');
      const drop = new Set(settled.slice(0, mine.length - max));
      data.deliveries = data.deliveries.filter((d) => !drop.has(d));
    }
    const saved = this.c.store.saveRemediation();
    this.c.emit({ aggregate: 'deliveries', platform_id: scope.platform_id, ids: [rec.id] });
    await saved;
  }
}
