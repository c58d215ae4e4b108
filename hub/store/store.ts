// The hub's persistent state in three lowdb documents under the data directory:
//   definitions.json  platforms, sites, control devices, jobs (changed by the API)
//   runtime.json      each job's evaluation state (changed by the poller, once per cycle at most)
//   executions.json   executions and inbound SMS, bounded by age and count per platform
// Splitting them keeps the frequent writes (runtime, executions) from rewriting the definitions.
import { join } from 'node:path';
import type { ControlDevice, Platform, Site } from '../model/entities.js';
import { type Execution, isTerminal } from '../model/execution.js';
import type { Job, JobRuntime } from '../model/job.js';
import { JsonDocument, type Migration } from './document.js';

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
}
interface Runtime {
  version: number;
  jobs: Record<string, JobRuntime>;
}
interface Executions {
  version: number;
  executions: Record<string, Execution>;
  inbound: InboundRecord[];
}

/** Migrations per document; add one function per new version, never edit old ones. */
export const DEFINITION_MIGRATIONS: Migration[] = [];
export const RUNTIME_MIGRATIONS: Migration[] = [];
export const EXECUTION_MIGRATIONS: Migration[] = [];

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
  /** Increases with every change of a job definition (for caches of sorted lists). */
  jobsVersion = 0;

  constructor(dataDir: string) {
    this.definitions = new JsonDocument<Definitions>(
      join(dataDir, 'definitions.json'),
      () => ({ version: DEFINITION_MIGRATIONS.length + 1, platforms: {}, sites: {}, control_devices: {}, jobs: {} }),
      DEFINITION_MIGRATIONS,
    );
    this.runtime = new JsonDocument<Runtime>(join(dataDir, 'runtime.json'), () => ({ version: RUNTIME_MIGRATIONS.length + 1, jobs: {} }), RUNTIME_MIGRATIONS);
    this.executions = new JsonDocument<Executions>(
      join(dataDir, 'executions.json'),
      () => ({ version: EXECUTION_MIGRATIONS.length + 1, executions: {}, inbound: [] }),
      EXECUTION_MIGRATIONS,
    );
  }

  async load(): Promise<void> {
    await this.definitions.load();
    await this.runtime.load();
    await this.executions.load();
  }

  async flush(): Promise<void> {
    await Promise.all([this.definitions.flush(), this.runtime.flush(), this.executions.flush()]);
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
    await Promise.all([this.definitions.save(), this.runtime.save()]);
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
        if (isTerminal(e.state) && (old || excess > 0)) {
          delete this.executions.data.executions[e.id];
          removed++;
          excess--;
        }
      }
    }
    if (removed > 0) await this.executions.save();
    return removed;
  }
}
