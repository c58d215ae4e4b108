// What the API needs from the rest of the hub (fakes in tests), and the Hono env type.
import type { Registry } from 'prom-client';
import type { Catalog } from '../catalog/catalog.js';
import type { SiteLive } from '../dispatch/sites.js';
import type { Job } from '../model/job.js';
import type { Platform } from '../model/entities.js';
import type { CycleReport, Firer } from '../poller/poller.js';
import type { DeviceDirectory } from '../prometheus/devices.js';
import type { QueryFn } from '../prometheus/client.js';
import type { StorePort, Stored } from '../store/port.js';
import type { RemediationService } from '../remediation/service.js';
import type { HubConfig } from '../config.js';

export interface ApiDeps {
  /** The one store port of the process; every read names the caller's platform. */
  port: StorePort;
  catalogs: ReadonlyMap<string, Catalog>;
  /** sha256 of the admin token; null disables admin access. */
  adminTokenHash: string | null;
  now: () => number;
  query: QueryFn;
  devices: DeviceDirectory;
  firer: Firer;
  /** Incidents and cancellation (absent in API unit tests that do not need them). */
  remediation?: RemediationService;
  remediationConfig: HubConfig['remediation'];
  lastValues: (jobId: string) => Record<string, number | null> | undefined;
  lastCycle: () => CycleReport | null;
  site: (platformId: string, siteId: string) => SiteLive | undefined;
  /** `cycleFailures`: poll cycles failed in a row and the last error (/healthz fails from FAILING_CYCLES). */
  health: {
    mqttUp(): boolean;
    prometheusOk(): boolean;
    cycleFailures?(): { count: number; error: string | null };
    /** This hub's leadership and whether the store answers (hub/leader/elector.ts); absent: one hub that always leads. */
    leadership?(): { leader: boolean; epoch: number; holder: string; storeUp: boolean; storeError: string | null };
  };
  registry: Registry;
  /** Called after a job is created, changed or deleted (`deleted`: its write is committed) (e.g. schedule a cycle). */
  onJobsChanged?: (job: Job, deleted?: boolean) => void;
  /** Called after a site is deleted (clear its live state and retained MQTT messages). */
  onSiteDeleted?: (platformId: string, siteId: string) => Promise<void> | void;
}

export interface Auth {
  admin: boolean;
  /** Set for a platform token; admins pick a platform with ?platform_id=. */
  platform_id: string | null;
  /** The platform record the token was found in (this request only: scope() need not read it again). */
  platform?: Stored<Platform>;
}

export interface HubEnv {
  /** `platform`: the tenant a request acts on, once resolved (scope()). */
  Variables: { auth: Auth; deps: ApiDeps; platform?: Platform };
}
