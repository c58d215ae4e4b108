// What the leader's parts (poller, remediation engine and service, dispatcher, site monitor,
// inbound matcher, webhook sender, the hub's metrics) read and write: sync reads of a working
// copy in memory, writes that are awaited where the callers already await a save (decide,
// record, then act). Two implementations: HubStore (lowdb, one machine; its documents are the
// working copy) and WorkingSet (hub/store/working-set.ts, any StorePort: PostgreSQL).
import type { ControlDevice, Platform, Site } from '../model/entities.js';
import type { Execution } from '../model/execution.js';
import type { Job, JobRuntime } from '../model/job.js';
import type { RemediationSettings, StoredWebhook } from '../model/remediation.js';
import type { UptimeMark } from '../model/uptime.js';
import type { CorrelationState } from '../model/correlation.js';
import type { BudgetState, DeviceHistory } from '../model/guardrails.js';
import type { DeliveryRecord } from '../model/delivery.js';
import type { HubStore, InboundRecord, RetentionPolicy } from './store.js';

export interface LeaderStore {
  /** Increases with every change of a job definition (for caches of sorted lists). */
  readonly jobsVersion: number;

  platform(id: string): Platform | undefined;
  platforms(): Platform[];
  site(platformId: string, siteId: string): Site | undefined;
  sites(platformId?: string): Site[];
  controlDevice(id: string): ControlDevice | undefined;
  controlDevices(platformId: string): ControlDevice[];
  job(id: string): Job | undefined;
  jobs(platformId?: string): Job[];
  webhook(id: string): StoredWebhook | undefined;
  webhooks(platformId: string): StoredWebhook[];
  remediationSettings(platformId: string, defaults: RemediationSettings): RemediationSettings;

  /** Each job's evaluation state: set in memory, then saveRuntime() once after a batch. */
  jobRuntime(id: string): JobRuntime | undefined;
  setJobRuntime(id: string, rt: JobRuntime): void;
  saveRuntime(): Promise<void>;

  execution(id: string): Execution | undefined;
  executionList(platformId?: string): Execution[];
  /** Executions whose playbook is not done. */
  activeExecutions(): Execution[];
  /**
   * A message's execution not in the working copy yet (written by another hub before the change
   * feed caught up), read from the store by the message's wire id and kept. Absent where the
   * working copy is the whole store (lowdb).
   */
  executionByMessage?(platformId: string, wireId: string): Promise<Execution | undefined>;
  putExecution(e: Execution): Promise<void>;
  putExecutions(list: readonly Execution[]): Promise<void>;
  /** The cycle's new executions and the runtimes of the jobs that fired them, in one write. */
  commitFiring(list: readonly Execution[], runtimes: ReadonlyMap<string, JobRuntime>): Promise<void>;
  /** Executions changed in place (the engine's group commit): write what changed. */
  readonly executions: { save(): Promise<void> };
  pruneExecutions(now: number, policy: RetentionPolicy): Promise<number>;

  inbound(platformId: string): InboundRecord[];
  addInbound(r: InboundRecord, maxPerPlatform: number): Promise<void>;

  /** Guardrail state, global in memory (keys `<platform>/...`), per platform in the store. */
  deviceHistory: DeviceHistory;
  correlation: CorrelationState;
  budget(platformId: string): BudgetState;
  setBudget(platformId: string, b: BudgetState): void;
  /** Write the guardrail state and the deliveries added in memory. */
  saveRemediation(): Promise<void>;

  deliveries(platformId?: string): DeliveryRecord[];
  deliveryByKey(key: string, endpointId: string): DeliveryRecord | undefined;
  dueDeliveries(now: number): DeliveryRecord[];
  /** Add a delivery in memory (written with the next saveRemediation). */
  addDelivery(rec: DeliveryRecord): void;
  putDelivery(rec: DeliveryRecord, max?: number): Promise<void>;

  uptimeMarks(platformId: string, siteId: string): UptimeMark[];
  markUptime(platformId: string, siteId: string, at: number, up: boolean): Promise<void>;
}

/** HubStore is a LeaderStore (checked at compile time). */
export const hubStoreIsLeaderStore = (s: HubStore): LeaderStore => s;
