// The leader's working set over any StorePort (issue 20): the LeaderStore the poller, the
// remediation engine and service, the dispatcher, the site monitor and the inbound matcher use,
// with HubStore's sync reads from memory. It loads what the leader needs at start (`load()`,
// again on `reload()` when this hub becomes the leader), keeps definitions fresh from the change
// feed, and writes through the port, in call order (one queue), fenced once `setEpoch()` says
// which leadership epoch this hub holds. A write is awaited by its caller where the caller
// awaits a save: decide, record, then act.
//
// Until the API uses the port itself, it also offers HubStore's definition writes (putJob,
// putSite, ...), written through the unfenced port like the API's own writes.
import type { ControlDevice, Platform, Site } from '../model/entities.js';
import { type Execution, isActive, isFinished } from '../model/execution.js';
import type { Job, JobRuntime } from '../model/job.js';
import { type RemediationSettings, remediationSettings, type StoredWebhook } from '../model/remediation.js';
import { markUptime, type UptimeMark } from '../model/uptime.js';
import type { CorrelationState } from '../model/correlation.js';
import { type BudgetState, type DeviceHistory, emptyBudget } from '../model/guardrails.js';
import type { DeliveryRecord } from '../model/delivery.js';
import { significantChange } from '../core/machine.js';
import { crashPoint } from '../dispatch/crash-point.js';
import { isStaleEpoch } from '../leader/fencing.js';
import type { LeaderStore } from './leader-store.js';
import { type Change, type InboundRecord, scopeOf, type StorePort, type Unsubscribe } from './port.js';
import type { RetentionPolicy } from './store.js';
import { unversioned } from './port-query.js';
import { applyChange, emptyData, guardrailsOf, loadAll, siteKey, type WsData } from './working-set-load.js';

export interface WorkingSetOptions {
  /** Executions read per platform at load (the retention bound, config executions.max_per_platform). */
  executionsPerPlatform?: number;
  inboundPerPlatform?: number;
  /** A refresh from the change feed failed (logged by the owner; the next change retries). */
  onError?: (err: Error) => void;
}

const byPlatform = <T>(items: Iterable<T>, platformOf: (t: T) => string | undefined): Map<string, T[]> => {
  const out = new Map<string, T[]>();
  for (const t of items) {
    const p = platformOf(t);
    if (p === undefined) continue;
    const list = out.get(p) ?? [];
    list.push(t);
    out.set(p, list);
  }
  return out;
};

export class WorkingSet implements LeaderStore {
  jobsVersion = 0;
  protected d: WsData = emptyData();
  /** Where the leader's writes go: the port, or its fenced view once an epoch is set. */
  private writer: StorePort;
  private epochValue: number | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private refreshing: Promise<unknown> = Promise.resolve();
  private unsubscribe: Unsubscribe | null = null;
  private readonly dirtyRuntimes = new Set<string>();
  private readonly pendingDeliveries: DeliveryRecord[] = [];
  /** JSON of each execution as last written, for those that may change in place (active ones). */
  private readonly written = new Map<string, string>();
  readonly executions = { save: () => this.saveExecutions() };

  constructor(
    readonly port: StorePort,
    private readonly opts: WorkingSetOptions = {},
  ) {
    this.writer = port;
  }

  /** Read everything from the port and follow its change feed. */
  async load(): Promise<void> {
    if (!this.unsubscribe) this.unsubscribe = await this.port.subscribe((c) => this.onChange(c));
    await this.reload();
  }

  /** Read everything again (a new leader: the previous one may have written since). */
  async reload(): Promise<void> {
    await this.queue.catch(() => undefined);
    const d = await loadAll(this.port, { executionsPerPlatform: this.opts.executionsPerPlatform ?? 10_000, inboundPerPlatform: this.opts.inboundPerPlatform ?? 1000 });
    this.d = d;
    this.dirtyRuntimes.clear();
    this.pendingDeliveries.length = 0;
    this.written.clear();
    for (const e of this.d.executions.values()) this.written.set(e.id, JSON.stringify(e));
    this.jobsVersion++;
  }

  /** The leadership epoch this hub holds: every leader write is fenced with it from now on. */
  setEpoch(epoch: number | null): void {
    this.epochValue = epoch;
    this.writer = epoch === null ? this.port : this.port.fenced(epoch);
  }
  get epoch(): number | null {
    return this.epochValue;
  }

  /** Definition changes are applied in order; resolves when those seen so far are. */
  settled(): Promise<void> {
    return this.refreshing.then(() => undefined);
  }

  async close(): Promise<void> {
    const u = this.unsubscribe;
    this.unsubscribe = null;
    await u?.();
    await this.queue.catch(() => undefined);
    await this.refreshing.catch(() => undefined);
  }

  private onChange(c: Change): void {
    this.refreshing = this.refreshing
      .then(async () => {
        if (await applyChange(this.port, this.d, c, this.dirtyRuntimes)) this.jobsVersion++;
      })
      .catch((err: Error) => this.opts.onError?.(err));
  }

  /** Hears every leader write refused by fencing, whoever called it (counted, the lease given up). */
  onStaleEpoch: ((err: unknown) => void) | null = null;

  /** Writes run one at a time in call order; a failure rejects its caller only. */
  protected write<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch((err: unknown) => {
      if (isStaleEpoch(err)) this.onStaleEpoch?.(err);
    });
    return run;
  }

  // --- definitions
  platform(id: string): Platform | undefined {
    return this.d.platforms.get(id);
  }
  platforms(): Platform[] {
    return [...this.d.platforms.values()];
  }
  site(platformId: string, siteId: string): Site | undefined {
    return this.d.sites.get(siteKey(platformId, siteId));
  }
  sites(platformId?: string): Site[] {
    const all = [...this.d.sites.values()];
    return platformId === undefined ? all : all.filter((s) => s.platform_id === platformId);
  }
  controlDevice(id: string): ControlDevice | undefined {
    return this.d.controlDevices.get(id);
  }
  controlDevices(platformId: string): ControlDevice[] {
    return [...this.d.controlDevices.values()].filter((x) => x.platform_id === platformId);
  }
  job(id: string): Job | undefined {
    return this.d.jobs.get(id);
  }
  jobs(platformId?: string): Job[] {
    const all = [...this.d.jobs.values()];
    return platformId === undefined ? all : all.filter((j) => j.platform_id === platformId);
  }
  webhook(id: string): StoredWebhook | undefined {
    return this.d.webhooks.get(id);
  }
  webhooks(platformId: string): StoredWebhook[] {
    return [...this.d.webhooks.values()].filter((w) => w.platform_id === platformId);
  }
  remediationSettings(platformId: string, defaults: RemediationSettings): RemediationSettings {
    return this.d.settings.get(platformId) ?? remediationSettings.parse(defaults);
  }

  // --- runtime
  jobRuntime(id: string): JobRuntime | undefined {
    return this.d.runtimes.get(id);
  }
  /**
   * Only a significant change is written (state, episode, firing: what a restart needs); the
   * data time moving on alone stays in memory until the job's next significant change, as with
   * lowdb, so a steady cycle writes the few runtimes that changed, not every one.
   */
  setJobRuntime(id: string, rt: JobRuntime): void {
    const prev = this.d.runtimes.get(id);
    this.d.runtimes.set(id, rt);
    if (!prev || significantChange(prev, rt)) this.dirtyRuntimes.add(id);
  }
  saveRuntime(): Promise<void> {
    return this.write(async () => {
      const ids = [...this.dirtyRuntimes];
      this.dirtyRuntimes.clear();
      try {
        for (const [p, list] of byPlatform(ids, (id) => this.d.jobs.get(id)?.platform_id)) {
          const rts = new Map<string, JobRuntime>();
          for (const id of list) {
            const rt = this.d.runtimes.get(id);
            if (rt) rts.set(id, rt);
          }
          await this.writer.runtime.putMany(scopeOf(p), rts);
        }
      } catch (err) {
        for (const id of ids) this.dirtyRuntimes.add(id);
        throw err;
      }
    });
  }

  // --- executions
  execution(id: string): Execution | undefined {
    return this.d.executions.get(id);
  }
  executionList(platformId?: string): Execution[] {
    const all = [...this.d.executions.values()];
    return platformId === undefined ? all : all.filter((e) => e.platform_id === platformId);
  }
  /** A message's execution; one not in memory (created before the feed caught up) is read by wire id and kept. */
  async executionByMessage(platformId: string, wireId: string): Promise<Execution | undefined> {
    for (const e of this.d.executions.values()) if (e.platform_id === platformId && e.messages.some((m) => m.wire_id === wireId)) return e;
    const found = await this.port.executions.byMessage(scopeOf(platformId), wireId);
    if (!found) return undefined;
    const known = this.d.executions.get(found.id);
    if (known) return known;
    const e = unversioned(found) as Execution;
    this.d.executions.set(e.id, e);
    this.written.set(e.id, JSON.stringify(e));
    return e;
  }
  activeExecutions(): Execution[] {
    return [...this.d.executions.values()].filter((e) => isActive(e));
  }
  putExecution(e: Execution): Promise<void> {
    return this.putExecutions([e]);
  }
  putExecutions(list: readonly Execution[]): Promise<void> {
    for (const e of list) this.d.executions.set(e.id, e);
    return this.write(() => this.writeExecutions(list, new Map()));
  }
  commitFiring(list: readonly Execution[], runtimes: ReadonlyMap<string, JobRuntime>): Promise<void> {
    for (const e of list) this.d.executions.set(e.id, e);
    for (const [id, rt] of runtimes) {
      this.d.runtimes.set(id, rt);
      this.dirtyRuntimes.delete(id);
    }
    return this.write(async () => {
      await this.writeExecutions(list, runtimes);
      crashPoint('after_store', list.map((e) => e.job_id));
    });
  }

  /** Per platform, the executions (snapshots taken now) and runtimes in one transaction. */
  private async writeExecutions(list: readonly Execution[], runtimes: ReadonlyMap<string, JobRuntime>): Promise<void> {
    const snaps = list.map((e) => ({ e, json: JSON.stringify(e) }));
    const rtBy = byPlatform(runtimes.keys(), (id) => this.d.jobs.get(id)?.platform_id);
    const platforms = new Set([...snaps.map((s) => s.e.platform_id), ...rtBy.keys()]);
    for (const p of platforms) {
      const mine = snaps.filter((s) => s.e.platform_id === p);
      const rts = new Map((rtBy.get(p) ?? []).map((id) => [id, runtimes.get(id) as JobRuntime]));
      await this.writer.executions.commitFiring(
        scopeOf(p),
        mine.map((s) => JSON.parse(s.json) as Execution),
        rts,
      );
      for (const s of mine) {
        // Kept after it finishes too: a late status report (sent -> delivered) still changes it.
        this.written.set(s.e.id, s.json);
      }
    }
  }

  /** The engine changed executions in place: write those that differ from what was written. */
  private saveExecutions(): Promise<void> {
    return this.write(async () => {
      const ids = new Set([...this.written.keys(), ...[...this.d.executions.values()].filter((e) => !isFinished(e)).map((e) => e.id)]);
      const changed: Execution[] = [];
      for (const id of ids) {
        const e = this.d.executions.get(id);
        if (!e) {
          this.written.delete(id);
          continue;
        }
        if (JSON.stringify(e) !== this.written.get(id)) changed.push(e);
      }
      if (changed.length > 0) await this.writeExecutions(changed, new Map());
    });
  }

  pruneExecutions(now: number, policy: RetentionPolicy): Promise<number> {
    return this.write(async () => {
      let removed = 0;
      for (const p of this.d.platforms.keys()) {
        const n = await this.writer.executions.prune(scopeOf(p), now, policy);
        if (n === 0) continue;
        removed += n;
        // The same rule as the store's, applied to the copy in memory.
        const list = this.executionList(p).sort((a, b) => a.created_at.localeCompare(b.created_at) || (a.id < b.id ? -1 : 1));
        let excess = list.length - policy.maxPerPlatform;
        for (const e of list) {
          if (isFinished(e) && (now - Date.parse(e.created_at) > policy.maxAgeMs || excess > 0)) {
            this.d.executions.delete(e.id);
            this.written.delete(e.id);
            excess--;
          }
        }
      }
      return removed;
    });
  }

  // --- inbound SMS
  inbound(platformId: string): InboundRecord[] {
    return this.d.inbound.get(platformId) ?? [];
  }
  addInbound(r: InboundRecord, maxPerPlatform: number): Promise<void> {
    const list = [...this.inbound(r.platform_id), r];
    this.d.inbound.set(r.platform_id, list.slice(-maxPerPlatform));
    return this.write(() => this.port.inbound.add(scopeOf(r.platform_id), r, maxPerPlatform));
  }

  // --- guardrail state: global in memory, one versioned record per platform in the store
  get deviceHistory(): DeviceHistory {
    return this.d.history;
  }
  set deviceHistory(h: DeviceHistory) {
    this.d.history = h;
  }
  get correlation(): CorrelationState {
    return this.d.correlation;
  }
  set correlation(c: CorrelationState) {
    this.d.correlation = c;
  }
  budget(platformId: string): BudgetState {
    return this.d.budget.get(platformId) ?? emptyBudget();
  }
  setBudget(platformId: string, b: BudgetState): void {
    this.d.budget.set(platformId, b);
  }
  saveRemediation(): Promise<void> {
    return this.write(async () => {
      const d = this.d;
      const platforms = new Set([...d.platforms.keys(), ...d.budget.keys(), ...d.correlation.incidents.map((i) => i.platform_id), ...Object.keys(d.correlation.recent)]);
      for (const p of platforms) {
        const st = guardrailsOf(d, p);
        const json = JSON.stringify(st);
        if (json === (d.statePersisted.get(p) ?? JSON.stringify(guardrailsOf(emptyData(), p)))) continue;
        const saved = await this.writer.remediation.putState(scopeOf(p), st, { ifVersion: d.stateVersions.get(p) ?? 0 });
        d.stateVersions.set(p, saved.version);
        d.statePersisted.set(p, json);
      }
      while (this.pendingDeliveries.length > 0) {
        const rec = this.pendingDeliveries[0] as DeliveryRecord;
        await this.writer.deliveries.put(scopeOf(rec.platform_id), rec);
        this.pendingDeliveries.shift();
      }
    });
  }

  // --- webhook deliveries
  deliveries(platformId?: string): DeliveryRecord[] {
    const all = this.d.deliveries;
    return platformId === undefined ? all : all.filter((x) => x.platform_id === platformId);
  }
  deliveryByKey(key: string, endpointId: string): DeliveryRecord | undefined {
    return this.d.deliveries.find((x) => x.key === key && x.endpoint_id === endpointId);
  }
  dueDeliveries(now: number): DeliveryRecord[] {
    return this.d.deliveries.filter((x) => x.next_at !== null && x.next_at <= now).sort((a, b) => (a.next_at ?? 0) - (b.next_at ?? 0));
  }
  addDelivery(rec: DeliveryRecord): void {
    this.d.deliveries.push(rec);
    this.pendingDeliveries.push(rec);
  }
  putDelivery(rec: DeliveryRecord, max = 5000): Promise<void> {
    const list = this.d.deliveries;
    const at = list.findIndex((x) => x.id === rec.id);
    if (at >= 0) list[at] = rec;
    else list.push(rec);
    const mine = list.filter((x) => x.platform_id === rec.platform_id);
    if (mine.length > max) {
      const settled = mine.filter((x) => x.status === 'delivered' || x.status === 'failed');
      const drop = new Set(settled.slice(0, mine.length - max));
      this.d.deliveries = list.filter((x) => !drop.has(x));
    }
    return this.write(() => this.writer.deliveries.put(scopeOf(rec.platform_id), rec, max));
  }

  // --- modem uptime
  uptimeMarks(platformId: string, siteId: string): UptimeMark[] {
    return this.d.uptime.get(siteKey(platformId, siteId)) ?? [];
  }
  async markUptime(platformId: string, siteId: string, at: number, up: boolean): Promise<void> {
    const before = this.uptimeMarks(platformId, siteId);
    const next = markUptime(before, at, up);
    if (next === before) return;
    this.d.uptime.set(siteKey(platformId, siteId), next);
    await this.write(() => this.port.remediation.markUptime(scopeOf(platformId), siteId, at, up));
  }
}
