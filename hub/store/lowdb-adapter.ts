// The lowdb adapter of the store port (issue 20): the embedded, one-machine store, over the
// existing HubStore documents. Versions are kept inside the records (written atomically with
// them); leadership is in-process (one hub), with its epoch in the adapter's port.json so that
// fencing behaves as with PostgreSQL. Reads filter by the platform scope.
import type { LowdbDrafts } from './lowdb-drafts.js';
import type { ControlDevice, Platform, Site } from '../model/entities.js';
import type { Job } from '../model/job.js';
import type { StoredWebhook } from '../model/remediation.js';
import { LowdbDeliveries, LowdbExecutions, LowdbInbound, LowdbRemediation, LowdbRuntime } from './lowdb-runs.js';
import { LowdbIdempotency } from './lowdb-idempotency.js';
import { assertOwner, LowdbCore, versionOf, withVersion } from './lowdb-core.js';
import {
  type Aggregate,
  assertScope,
  type Change,
  type IdempotencyRecord,
  type JobQuery,
  type JobRef,
  type JobsRepo,
  type JobWriteOptions,
  type Lease,
  type Leadership,
  type Page,
  type PlatformsRepo,
  type Scope,
  type ScopedRepo,
  type StorePort,
  type Stored,
  type Unsubscribe,
  type WriteOptions,
} from './port.js';
import { byName, checkVersion, jobMatches, pageAfter, refersTo, unversioned } from './port-query.js';
import type { HubStore } from './store.js';

class Platforms implements PlatformsRepo {
  constructor(private readonly c: LowdbCore) {}
  async get(id: string) {
    const p = this.c.store.platform(id);
    return p ? withVersion(p) : undefined;
  }
  async list() {
    return this.c.store
      .platforms()
      .map((p) => withVersion(p))
      .sort((a, b) => (a.id < b.id ? -1 : 1));
  }
  async byTokenHash(hash: string) {
    const p = this.c.store.platforms().find((x) => x.tokens.some((t) => t.hash === hash));
    return p ? withVersion(p) : undefined;
  }
  async put(p: Platform, opts?: WriteOptions): Promise<Stored<Platform>> {
    const cur = this.c.store.platform(p.id);
    checkVersion('platforms', p.id, versionOf(cur), opts);
    const next = { ...(unversioned(p) as Platform), version: (versionOf(cur) ?? 0) + 1 };
    const saved = this.c.store.putPlatform(next);
    this.c.emit({ aggregate: 'platforms', platform_id: p.id, ids: [p.id] });
    await saved;
    return next;
  }
}

interface DocAccess<T> {
  get(scope: Scope, id: string): T | undefined;
  list(scope: Scope): T[];
  put(rec: T): Promise<void>;
  delete(scope: Scope, id: string): Promise<void>;
}

class Scoped<T extends { id: string; platform_id: string }> implements ScopedRepo<T> {
  constructor(
    private readonly c: LowdbCore,
    private readonly aggregate: Aggregate,
    private readonly a: DocAccess<T>,
  ) {}
  async get(scope: Scope, id: string) {
    const r = this.a.get(scope, id);
    return r && r.platform_id === scope.platform_id ? withVersion(r) : undefined;
  }
  async list(scope: Scope) {
    return this.a
      .list(scope)
      .filter((r) => r.platform_id === scope.platform_id)
      .map((r) => withVersion(r))
      .sort((x, y) => (x.id < y.id ? -1 : 1));
  }
  async put(scope: Scope, rec: T, opts?: WriteOptions): Promise<Stored<T>> {
    assertScope(this.aggregate, scope, rec);
    const cur = this.a.get(scope, rec.id);
    assertOwner(this.aggregate, scope, cur);
    checkVersion(this.aggregate, rec.id, versionOf(cur), opts);
    const next = { ...(unversioned(rec) as T), version: (versionOf(cur) ?? 0) + 1 };
    const saved = this.a.put(next);
    this.c.emit({ aggregate: this.aggregate, platform_id: scope.platform_id, ids: [rec.id] });
    await saved;
    return next;
  }
  async delete(scope: Scope, id: string, opts?: WriteOptions): Promise<boolean> {
    const cur = this.a.get(scope, id);
    if (!cur || cur.platform_id !== scope.platform_id) return false;
    if (opts?.ifVersion !== undefined && opts.ifVersion !== null) checkVersion(this.aggregate, id, versionOf(cur), opts);
    const saved = this.a.delete(scope, id);
    this.c.emit({ aggregate: this.aggregate, platform_id: scope.platform_id, ids: [id] });
    await saved;
    return true;
  }
}

class Jobs implements JobsRepo {
  /** Jobs of a platform sorted by name, rebuilt when a job changes (HubStore.jobsVersion). */
  private readonly sorted = new Map<string, { version: number; jobs: Job[] }>();
  constructor(
    private readonly c: LowdbCore,
    private readonly keys: LowdbIdempotency,
  ) {}

  private platformJobs(scope: Scope): Job[] {
    const hit = this.sorted.get(scope.platform_id);
    if (hit && hit.version === this.c.store.jobsVersion) return hit.jobs;
    const jobs = this.c.store.jobs(scope.platform_id).sort(byName);
    this.sorted.set(scope.platform_id, { version: this.c.store.jobsVersion, jobs });
    return jobs;
  }
  async get(scope: Scope, id: string) {
    const j = this.c.store.job(id);
    return j && j.platform_id === scope.platform_id ? withVersion(j) : undefined;
  }
  async list(scope: Scope, q: JobQuery): Promise<Page<Stored<Job>>> {
    const all = this.platformJobs(scope);
    const hits = all.filter((j) => jobMatches(j, q, this.c.store.jobRuntime(j.id)));
    const page = pageAfter(hits, q);
    return { total: hits.length, total_exact: true, more: page.more, items: page.items.map((j) => withVersion(j)) };
  }
  async all(scope: Scope) {
    return this.platformJobs(scope).map((j) => withVersion(j));
  }
  async referencing(scope: Scope, ref: JobRef) {
    return this.platformJobs(scope)
      .filter((j) => refersTo(j, ref))
      .map((j) => withVersion(j));
  }
  async put(scope: Scope, job: Job, opts?: JobWriteOptions): Promise<Stored<Job>> {
    assertScope('jobs', scope, job);
    const cur = this.c.store.job(job.id);
    assertOwner('jobs', scope, cur);
    checkVersion('jobs', job.id, versionOf(cur), opts);
    const key = opts?.idempotency;
    if (key && opts.ifVersion !== null) throw new Error('an idempotency record is written only with a create (ifVersion: null)');
    // The key's record joins the definitions, saved with the job in one file write.
    if (key) this.keys.claim(scope, key);
    const next = { ...(unversioned(job) as Job), version: (versionOf(cur) ?? 0) + 1 };
    if (opts?.runtime) this.c.store.setJobRuntime(job.id, opts.runtime);
    const saved = Promise.all([this.c.store.putJob(next), ...(opts?.runtime ? [this.c.store.saveRuntime()] : [])]);
    this.c.emit({ aggregate: 'jobs', platform_id: scope.platform_id, ids: [job.id] });
    await saved;
    if (key) this.keys.settle(scope, key.key);
    return next;
  }
  async putMany(scope: Scope, jobs: readonly Job[], opts?: { idempotency?: IdempotencyRecord }): Promise<number> {
    for (const j of jobs) {
      assertScope('jobs', scope, j);
      assertOwner('jobs', scope, this.c.store.job(j.id));
    }
    const key = opts?.idempotency;
    if (key) this.keys.claim(scope, key);
    const next = jobs.map((j) => ({ ...(unversioned(j) as Job), version: (versionOf(this.c.store.job(j.id)) ?? 0) + 1 }));
    const saved = this.c.store.putJobs(next);
    this.c.emit({ aggregate: 'jobs', platform_id: scope.platform_id, ids: jobs.length <= 100 ? jobs.map((j) => j.id) : null });
    await saved;
    if (key) this.keys.settle(scope, key.key);
    return next.length;
  }
  async delete(scope: Scope, id: string, opts?: WriteOptions): Promise<boolean> {
    const cur = this.c.store.job(id);
    if (!cur || cur.platform_id !== scope.platform_id) return false;
    if (opts?.ifVersion !== undefined && opts.ifVersion !== null) checkVersion('jobs', id, versionOf(cur), opts);
    const saved = this.c.store.deleteJob(id);
    this.c.emit({ aggregate: 'jobs', platform_id: scope.platform_id, ids: [id] });
    await saved;
    return true;
  }
}

class LocalLeadership implements Leadership {
  private lease: Lease | null = null;
  constructor(
    private readonly c: LowdbCore,
    private readonly holder: string,
  ) {}
  async tryAcquire(): Promise<Lease | null> {
    if (this.lease) return this.lease;
    if (this.c.leader) return null;
    this.c.doc.data.epoch++;
    await this.c.doc.save();
    let resolve!: () => void;
    const lease: Lease = { epoch: this.c.doc.data.epoch, lost: new Promise<void>((r) => (resolve = r)) };
    this.lease = lease;
    this.c.leader = {
      holder: this.holder,
      lose: () => {
        this.lease = null;
        resolve();
      },
    };
    return lease;
  }
  async release(): Promise<void> {
    if (!this.lease || this.c.leader?.holder !== this.holder) return;
    const l = this.c.leader;
    this.c.leader = null;
    l.lose();
  }
}

export class LowdbStore implements StorePort {
  readonly platforms: Platforms;
  readonly sites: Scoped<Site>;
  readonly controlDevices: Scoped<ControlDevice>;
  readonly webhooks: Scoped<StoredWebhook>;
  readonly jobs: Jobs;
  readonly runtime: LowdbRuntime;
  readonly executions: LowdbExecutions;
  readonly inbound: LowdbInbound;
  readonly remediation: LowdbRemediation;
  readonly deliveries: LowdbDeliveries;
  readonly idempotency: LowdbIdempotency;
  readonly drafts: LowdbDrafts;

  private constructor(
    private readonly c: LowdbCore,
    private readonly epochFence: number | null,
  ) {
    const s = c.store;
    const fence = () => c.fence(epochFence);
    this.platforms = new Platforms(c);
    this.sites = new Scoped<Site>(c, 'sites', {
      get: (scope, id) => s.site(scope.platform_id, id),
      list: (scope) => s.sites(scope.platform_id),
      put: (r) => s.putSite(r),
      delete: (scope, id) => s.deleteSite(scope.platform_id, id),
    });
    this.controlDevices = new Scoped<ControlDevice>(c, 'control_devices', {
      get: (_scope, id) => s.controlDevice(id),
      list: (scope) => s.controlDevices(scope.platform_id),
      put: (r) => s.putControlDevice(r),
      delete: (_scope, id) => s.deleteControlDevice(id),
    });
    this.webhooks = new Scoped<StoredWebhook>(c, 'webhooks', {
      get: (_scope, id) => s.webhook(id),
      list: (scope) => s.webhooks(scope.platform_id),
      put: (r) => s.putWebhook(r),
      delete: (_scope, id) => s.deleteWebhook(id),
    });
    this.idempotency = new LowdbIdempotency(c);
    this.jobs = new Jobs(c, this.idempotency);
    this.runtime = new LowdbRuntime(c, fence);
    this.executions = new LowdbExecutions(c, fence);
    this.inbound = new LowdbInbound(c);
    this.remediation = new LowdbRemediation(c, fence);
    this.deliveries = new LowdbDeliveries(c, fence);
    this.drafts = c.drafts;
  }

  /** The port over a HubStore that its owner has loaded; reads the adapter's port.json. */
  static async open(store: HubStore, dataDir: string): Promise<LowdbStore> {
    const s = LowdbStore.create(store, dataDir);
    await s.load();
    return s;
  }

  /** The port before anything is read (a hub builds its parts first); load() it at start. */
  static create(store: HubStore, dataDir: string): LowdbStore {
    return new LowdbStore(new LowdbCore(store, dataDir), null);
  }

  /** Read the adapter's port.json (the HubStore is loaded by its owner). */
  async load(): Promise<void> {
    await this.c.doc.load();
    await this.c.drafts.doc.load();
  }

  fenced(epoch: number): LowdbStore {
    return new LowdbStore(this.c, epoch);
  }
  async epoch(): Promise<number> {
    return this.c.doc.data.epoch;
  }
  leadership(holder: string): Leadership {
    return new LocalLeadership(this.c, holder);
  }
  async subscribe(onChange: (c: Change) => void): Promise<Unsubscribe> {
    this.c.listeners.add(onChange);
    return async () => {
      this.c.listeners.delete(onChange);
    };
  }
  /** Waits for pending writes (the HubStore itself is closed by its owner). */
  async close(): Promise<void> {
    if (this.epochFence !== null) return;
    await Promise.all([this.c.store.flush(), this.c.doc.flush(), this.c.drafts.doc.flush()]);
  }
}
