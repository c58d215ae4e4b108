// HubStore's definition writes over the working set, for the API and the web form while they
// still take a HubStore (until they use the store port themselves): each changes the copy in
// memory, then writes through the unfenced port (the API is no leader write) and waits for it.
import type { ControlDevice, Platform, Site } from '../model/entities.js';
import type { Job } from '../model/job.js';
import type { RemediationSettings, StoredWebhook } from '../model/remediation.js';
import { scopeOf } from './port.js';
import type { HubStore } from './store.js';
import { siteKey } from './working-set-load.js';
import { WorkingSet } from './working-set.js';

export class ApiWorkingSet extends WorkingSet {
  async putPlatform(p: Platform): Promise<void> {
    this.d.platforms.set(p.id, p);
    await this.write(() => this.port.platforms.put(p));
  }
  async putSite(s: Site): Promise<void> {
    this.d.sites.set(siteKey(s.platform_id, s.id), s);
    await this.write(() => this.port.sites.put(scopeOf(s.platform_id), s));
  }
  async deleteSite(platformId: string, siteId: string): Promise<void> {
    this.d.sites.delete(siteKey(platformId, siteId));
    await this.write(() => this.port.sites.delete(scopeOf(platformId), siteId));
  }
  async putControlDevice(x: ControlDevice): Promise<void> {
    this.d.controlDevices.set(x.id, x);
    await this.write(() => this.port.controlDevices.put(scopeOf(x.platform_id), x));
  }
  async deleteControlDevice(id: string): Promise<void> {
    const cur = this.d.controlDevices.get(id);
    if (!cur) return;
    this.d.controlDevices.delete(id);
    await this.write(() => this.port.controlDevices.delete(scopeOf(cur.platform_id), id));
  }
  async putJob(j: Job): Promise<void> {
    this.jobsVersion++;
    this.d.jobs.set(j.id, j);
    await this.write(() => this.port.jobs.put(scopeOf(j.platform_id), j));
  }
  async putJobs(jobs: readonly Job[]): Promise<void> {
    this.jobsVersion++;
    for (const j of jobs) this.d.jobs.set(j.id, j);
    await this.write(async () => {
      for (const [p, list] of groupBy(jobs)) await this.port.jobs.putMany(scopeOf(p), list);
    });
  }
  async deleteJob(id: string): Promise<void> {
    const cur = this.d.jobs.get(id);
    if (!cur) return;
    this.jobsVersion++;
    this.d.jobs.delete(id);
    this.d.runtimes.delete(id);
    await this.write(() => this.port.jobs.delete(scopeOf(cur.platform_id), id));
  }
  async putWebhook(w: StoredWebhook): Promise<void> {
    this.d.webhooks.set(w.id, w);
    await this.write(() => this.port.webhooks.put(scopeOf(w.platform_id), w));
  }
  async deleteWebhook(id: string): Promise<void> {
    const cur = this.d.webhooks.get(id);
    if (!cur) return;
    this.d.webhooks.delete(id);
    await this.write(() => this.port.webhooks.delete(scopeOf(cur.platform_id), id));
  }
  async putRemediationSettings(platformId: string, s: RemediationSettings): Promise<void> {
    this.d.settings.set(platformId, s);
    await this.write(() => this.port.remediation.putSettings(scopeOf(platformId), s));
  }
  /** Writes are awaited by their callers; nothing is pending in memory but what the queue holds. */
  async flush(): Promise<void> {
    await this.saveRemediation();
  }

  /** The API and the web form type their store as HubStore; this offers what they call. */
  asHubStore(): HubStore {
    return this as unknown as HubStore;
  }
}

function groupBy(jobs: readonly Job[]): Map<string, Job[]> {
  const out = new Map<string, Job[]>();
  for (const j of jobs) out.set(j.platform_id, [...(out.get(j.platform_id) ?? []), j]);
  return out;
}
