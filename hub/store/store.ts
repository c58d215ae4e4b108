// The hub's persistent state in four lowdb documents under the data directory:
//   definitions.json  platforms, sites, control devices, jobs, remediation settings, webhooks
//                     (changed by the API)
//   runtime.json      each job's evaluation state (changed by the poller, once per cycle at most)
//   executions.json   executions (with their playbook state) and inbound SMS, bounded by age and
//                     count per platform
//   remediation.json  guardrail state (device history, SMS budgets and queues, correlation and
//                     incidents) and the webhook delivery log
// Splitting them keeps the frequent writes (runtime, executions) from rewriting the definitions.
// Loading migrates (migrations.ts) and checks each document (schemas.ts): a bad one stops the hub.
import { join } from 'node:path';
import type { ControlDevice, Platform, Site } from '../model/entities.js';
import { type Execution, isActive, isFinished } from '../model/execution.js';
import { type RemediationSettings, remediationSettings, type StoredWebhook } from '../model/remediation.js';
import { type CorrelationState, emptyCorrelation } from '../model/correlation.js';
import { type BudgetState, type DeviceHistory, emptyBudget } from '../model/guardrails.js';
import type { DeliveryRecord } from '../model/delivery.js';
import { markUptime, type UptimeMark } from '../model/uptime.js';
import type { Job, JobRuntime } from '../model/job.js';
import { JsonDocument } from './document.js';
import { DEFINITION_MIGRATIONS, EXECUTION_MIGRATIONS, REMEDIATION_MIGRATIONS, RUNTIME_MIGRATIONS } from './migrations.js';
import { crashPoint } from '../dispatch/crash-point.js';
import { definitionsDocument, executionsDocument, remediationDocument, runtimeDocument } from './schemas.js';
import type { IdempotencyRecord } from './port.js';

export interface InboundRecord {
  id: string;
  platform_id: string;
  site_id: string;
  from: string;
  text: string;
  received_at: string;
  control_device_id: string | null;
  execution_id: string | null;
}

interface Definitions {
  version: number;
  platforms: Record<string, Platform>;
  sites: Record<string, Site>;
  control_devices: Record<string, ControlDevice>;
  jobs: Record<string, Job>;
  /** Per platform; absent = the config's defaults. */
  remediation: Record<string, RemediationSettings>;
  webhooks: Record<string, StoredWebhook>;
  /**
   * Per platform, by key hash: Idempotency-Key records written with the job they created, until
   * they move to port.json (hub/store/lowdb-idempotency.ts).
   */
  idempotency?: Record<string, Record<string, IdempotencyRecord>>;
}
interface Runtime {
  version: number;
  jobs: Record<string, JobRuntime>;
}
interface Executions {
  version: number;
  executions: Record<string, Execution>;
  inbound: InboundRecord[];
  /**
   * Per job: its runtime as of its latest firing, written in the same write as the execution
   * it created (commitFiring). runtime.json is written later in the cycle; after a crash in
   * between, load() takes the newer firing, so the restarted hub knows the episode fired.
   */
  firings?: Record<string, JobRuntime>;
}
interface Remediation {
  version: number;
  history: DeviceHistory;
  /** Per platform: SMS parts sent per site in the last hour and the queue. */
  budget: Record<string, BudgetState>;
  correlation: CorrelationState;
  deliveries: DeliveryRecord[];
  /** Per `<platform>/<site>`: when its modem went up or down (reports: modem uptime). */
  uptime: Record<string, UptimeMark[]>;
}


export interface RetentionPolicy {
  maxAgeMs: number;
  maxPerPlatform: number;
  maxInboundPerPlatform: number;
}

const siteKey = (platformId: string, siteId: string) => `${platformId}/${siteId}`;

export class HubStore {
  readonly definitions: JsonDocument<Definitions>;
  readonly runtime: JsonDocument<Runtime>;
  readonly executions: JsonDocument<Executions>;
  readonly remediation: JsonDocument<Remediation>;
  /** Increases with every change of a job definition (for caches of sorted lists). */
  jobsVersion = 0;

  constructor(dataDir: string) {
    this.definitions = new JsonDocument<Definitions>(
      join(dataDir, 'definitions.json'),
      () => ({ version: DEFINITION_MIGRATIONS.length + 1, platforms: {}, sites: {}, control_devices: {}, jobs: {}, remediation: {}, webhooks: {} }),
      DEFINITION_MIGRATIONS,
      definitionsDocument,
    );
    this.runtime = new JsonDocument<Runtime>(join(dataDir, 'runtime.json'), () => ({ version: RUNTIME_MIGRATIONS.length + 1, jobs: {} }), RUNTIME_MIGRATIONS, runtimeDocument);
    this.executions = new JsonDocument<Executions>(
      join(dataDir, 'executions.json'),
      () => ({ version: EXECUTION_MIGRATIONS.length + 1, executions: {}, inbound: [] }),
      EXECUTION_MIGRATIONS,
      executionsDocument,
    );
    this.remediation = new JsonDocument<Remediation>(
      join(dataDir, 'remediation.json'),
      () => ({ version: REMEDIATION_MIGRATIONS.length + 1, history: {}, budget: {}, correlation: emptyCorrelation(), deliveries: [], uptime: {} }),
      REMEDIATION_MIGRATIONS,
      remediationDocument,
    );
  }

  async load(): Promise<void> {
    await this.definitions.load();
    await this.runtime.load();
    await this.executions.load();
    await this.remediation.load();
    this.reconcileFirings();
  }

  /** A firing recorded with its execution but newer than runtime.json (a crash in between) wins. */
  private reconcileFirings(): void {
    const firings = this.executions.data.firings ?? {};
    for (const [jobId, fired] of Object.entries(firings)) {
      if (!this.definitions.data.jobs[jobId]) continue;
      const cur = this.runtime.data.jobs[jobId];
      if (!cur || (fired.last_fired_at ?? 0) > (cur.last_fired_at ?? 0)) this.runtime.data.jobs[jobId] = fired;
    }
  }

  async flush(): Promise<void> {
    await Promise.all([this.definitions.flush(), this.runtime.flush(), this.executions.flush(), this.remediation.flush()]);
  }

  // --- platforms
  platform(id: string): Platform | undefined {
    return this.definitions.data.platforms[id];
  }
  platforms(): Platform[] {
    return Object.values(this.definitions.data.platforms);
  }
  async putPlatform(p: Platform): Promise<void> {
    this.definitions.data.platforms[p.id] = p;
    await this.definitions.save();
  }

  // --- sites
  site(platformId: string, siteId: string): Site | undefined {
    return this.definitions.data.sites[siteKey(platformId, siteId)];
  }
  sites(platformId?: string): Site[] {
    const all = Object.values(this.definitions.data.sites);
    return platformId === undefined ? all : all.filter((s) => s.platform_id === platformId);
  }
  async putSite(s: Site): Promise<void> {
    this.definitions.data.sites[siteKey(s.platform_id, s.id)] = s;
    await this.definitions.save();
  }
  async deleteSite(platformId: string, siteId: string): Promise<void> {
    delete this.definitions.data.sites[siteKey(platformId, siteId)];
    await this.definitions.save();
  }

  // --- control devices
  controlDevice(id: string): ControlDevice | undefined {
    return this.definitions.data.control_devices[id];
  }
  controlDevices(platformId: string): ControlDevice[] {
    return Object.values(this.definitions.data.control_devices).filter((d) => d.platform_id === platformId);
  }
  async putControlDevice(d: ControlDevice): Promise<void> {
    this.definitions.data.control_devices[d.id] = d;
    await this.definitions.save();
  }
  async deleteControlDevice(id: string): Promise<void> {
    delete this.definitions.data.control_devices[id];
    await this.definitions.save();
  }

  // --- jobs
  job(id: string): Job | undefined {
    return this.definitions.data.jobs[id];
  }
  jobs(platformId?: string): Job[] {
    const all = Object.values(this.definitions.data.jobs);
    return platformId === undefined ? all : all.filter((j) => j.platform_id === platformId);
  }
  async putJob(j: Job): Promise<void> {
    this.jobsVersion++;
    this.definitions.data.jobs[j.id] = j;
    await this.definitions.save();
  }
  /** Insert many jobs with one write (seeding, benchmarks). */
  async putJobs(jobs: readonly Job[]): Promise<void> {
    this.jobsVersion++;
    for (const j of jobs) this.definitions.data.jobs[j.id] = j;
    await this.definitions.save();
  }
  async deleteJob(id: string): Promise<void> {
    this.jobsVersion++;
    delete this.definitions.data.jobs[id];
    delete this.runtime.data.jobs[id];
    const firings = this.executions.data.firings;
    const fired = firings !== undefined && id in firings;
    if (fired) delete firings[id];
    await Promise.all([this.definitions.save(), this.runtime.save(), ...(fired ? [this.executions.save()] : [])]);
  }
  jobRuntime(id: string): JobRuntime | undefined {
    return this.runtime.data.jobs[id];
  }
  /** Set runtimes in memory; call saveRuntime() once after a batch. */
  setJobRuntime(id: string, rt: JobRuntime): void {
    this.runtime.data.jobs[id] = rt;
  }
  saveRuntime(): Promise<void> {
    return this.runtime.save();
  }

  // --- executions
  execution(id: string): Execution | undefined {
    return this.executions.data.executions[id];
  }
  executionList(platformId?: string): Execution[] {
    const all = Object.values(this.executions.data.executions);
    return platformId === undefined ? all : all.filter((e) => e.platform_id === platformId);
  }
  async putExecution(e: Execution): Promise<void> {
    this.executions.data.executions[e.id] = e;
    await this.executions.save();
  }
  /** Store many executions with one write (a poll cycle's fires). */
  async putExecutions(list: readonly Execution[]): Promise<void> {
    for (const e of list) this.executions.data.executions[e.id] = e;
    await this.executions.save();
  }
  /**
   * Decide, record, then act: a cycle's new executions and the runtimes of the jobs that fired
   * them (with `last_execution_id`) in one atomic write, before anything is published. A crash
   * after it leaves both (the restarted hub resumes the executions and does not fire the episode
   * again); a crash before it leaves neither (the restarted hub decides again).
   */
  async commitFiring(list: readonly Execution[], runtimes: ReadonlyMap<string, JobRuntime>): Promise<void> {
    for (const e of list) this.executions.data.executions[e.id] = e;
    const firings = (this.executions.data.firings ??= {});
    for (const [jobId, rt] of runtimes) {
      firings[jobId] = rt;
      this.runtime.data.jobs[jobId] = rt;
    }
    await this.executions.save();
    crashPoint('after_store', list.map((e) => e.job_id));
  }
  /** Executions whose playbook is not done (restart, each cycle). */
  activeExecutions(): Execution[] {
    return Object.values(this.executions.data.executions).filter(isActive);
  }
  async addInbound(r: InboundRecord, maxPerPlatform: number): Promise<void> {
    const list = this.executions.data.inbound;
    list.push(r);
    const mine = list.filter((x) => x.platform_id === r.platform_id);
    if (mine.length > maxPerPlatform) {
      const drop = new Set(mine.slice(0, mine.length - maxPerPlatform));
      this.executions.data.inbound = list.filter((x) => !drop.has(x));
    }
    await this.executions.save();
  }
  inbound(platformId: string): InboundRecord[] {
    return this.executions.data.inbound.filter((r) => r.platform_id === platformId);
  }

  /** Drop finished executions older than the age bound, then the oldest beyond the count bound. */
  async pruneExecutions(now: number, policy: RetentionPolicy): Promise<number> {
    const byPlatform = new Map<string, Execution[]>();
    for (const e of Object.values(this.executions.data.executions)) {
      const list = byPlatform.get(e.platform_id) ?? [];
      list.push(e);
      byPlatform.set(e.platform_id, list);
    }
    let removed = 0;
    for (const list of byPlatform.values()) {
      list.sort((a, b) => a.created_at.localeCompare(b.created_at));
      let excess = list.length - policy.maxPerPlatform;
      for (const e of list) {
        const old = now - Date.parse(e.created_at) > policy.maxAgeMs;
        if (isFinished(e) && (old || excess > 0)) {
          delete this.executions.data.executions[e.id];
          removed++;
          excess--;
        }
      }
    }
    if (removed > 0) await this.executions.save();
    return removed;
  }

  // --- remediation: settings and webhooks (definitions), guardrail state and deliveries
  remediationSettings(platformId: string, defaults: RemediationSettings): RemediationSettings {
    return this.definitions.data.remediation[platformId] ?? remediationSettings.parse(defaults);
  }
  async putRemediationSettings(platformId: string, s: RemediationSettings): Promise<void> {
    this.definitions.data.remediation[platformId] = s;
    await this.definitions.save();
  }
  webhook(id: string): StoredWebhook | undefined {
    return this.definitions.data.webhooks[id];
  }
  webhooks(platformId: string): StoredWebhook[] {
    return Object.values(this.definitions.data.webhooks).filter((w) => w.platform_id === platformId);
  }
  async putWebhook(w: StoredWebhook): Promise<void> {
    this.definitions.data.webhooks[w.id] = w;
    await this.definitions.save();
  }
  async deleteWebhook(id: string): Promise<void> {
    delete this.definitions.data.webhooks[id];
    await this.definitions.save();
  }
  get deviceHistory(): DeviceHistory {
    return this.remediation.data.history;
  }
  set deviceHistory(h: DeviceHistory) {
    this.remediation.data.history = h;
  }
  budget(platformId: string): BudgetState {
    return this.remediation.data.budget[platformId] ?? emptyBudget();
  }
  setBudget(platformId: string, b: BudgetState): void {
    this.remediation.data.budget[platformId] = b;
  }
  get correlation(): CorrelationState {
    return this.remediation.data.correlation;
  }
  set correlation(c: CorrelationState) {
    this.remediation.data.correlation = c;
  }
  deliveries(platformId?: string): DeliveryRecord[] {
    const all = this.remediation.data.deliveries;
    return platformId === undefined ? all : all.filter((d) => d.platform_id === platformId);
  }
  deliveryByKey(key: string, endpointId: string): DeliveryRecord | undefined {
    return this.remediation.data.deliveries.find((d) => d.key === key && d.endpoint_id === endpointId);
  }
  dueDeliveries(now: number): DeliveryRecord[] {
    return this.remediation.data.deliveries.filter((d) => d.next_at !== null && d.next_at <= now).sort((a, b) => (a.next_at ?? 0) - (b.next_at ?? 0));
  }
  /** Add a delivery in memory (written with the next remediation save). */
  addDelivery(rec: DeliveryRecord): void {
    this.remediation.data.deliveries.push(rec);
  }
  /** Insert or replace a delivery by id; keeps the newest `max` settled ones. */
  async putDelivery(rec: DeliveryRecord, max = 5000): Promise<void> {
    const list = this.remediation.data.deliveries;
    const at = list.findIndex((d) => d.id === rec.id);
    if (at >= 0) list[at] = rec;
    else list.push(rec);
    if (list.length > max) {
      const settled = list.filter((d) => d.status === 'delivered' || d.status === 'failed');
      const drop = new Set(settled.slice(0, list.length - max));
      this.remediation.data.deliveries = list.filter((d) => !drop.has(d));
    }
    await this.remediation.save();
  }
  uptimeMarks(platformId: string, siteId: string): UptimeMark[] {
    return (this.remediation.data.uptime ?? {})[siteKey(platformId, siteId)] ?? [];
  }
  /** Record the site's modem state when it changes (written with the next remediation save). */
  async markUptime(platformId: string, siteId: string, at: number, up: boolean): Promise<void> {
    const all = (this.remediation.data.uptime ??= {});
    const before = all[siteKey(platformId, siteId)] ?? [];
    const next = markUptime(before, at, up);
    if (next === before) return;
    all[siteKey(platformId, siteId)] = next;
    await this.remediation.save();
  }
  saveRemediation(): Promise<void> {
    return this.remediation.save();
  }
}
