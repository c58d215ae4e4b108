// The store port (issue 20): what the API, the web form, the poller and the remediation engine
// need from persistence, one interface per aggregate, async, every read scoped to a platform
// (a read never crosses tenants; an admin lists platforms first, then reads each). Adapters:
// hub/store/lowdb-adapter.ts (embedded, one machine) and hub/store/pg/ (PostgreSQL, several hubs).
//
// Versions: every definition and every execution carries `version` (1 on create, +1 per write),
// the ETag of issue 17. A write may name the version it read (`ifVersion`); a stale one is
// refused with VersionConflictError; `ifVersion: null` means "create, must not exist".
//
// Fencing: the leader's writes (runtime, executions, remediation state, deliveries) go through
// `fenced(epoch)`, a view of the port whose every write checks inside its transaction that the
// leadership epoch is still `epoch`; a deposed leader's late write fails with StaleEpochError.
import type { ControlDevice, Platform, Site } from '../model/entities.js';
import type { Execution, ExecutionView } from '../model/execution.js';
import type { Job, JobRuntime, JobState } from '../model/job.js';
import { type RemediationSettings, settingsVersion, type StoredWebhook } from '../model/remediation.js';
import type { UptimeMark } from '../model/uptime.js';
import type { Incident, Trip } from '../model/correlation.js';
import type { BudgetState, DeviceHistory } from '../model/guardrails.js';
import type { DeliveryRecord } from '../model/delivery.js';
import type { InboundRecord } from './store.js';
import { ScopeError, VersionConflictError } from './port-errors.js';

export type { InboundRecord };

/** Every read and write names the platform it is about. */
export interface Scope {
  readonly platform_id: string;
}
export const scopeOf = (platform_id: string): Scope => ({ platform_id });

/** A record as stored: with its version (ETag). */
export type Stored<T> = T & { version: number };

export interface WriteOptions {
  /** The version the caller read; null: the record must not exist yet; omitted: no check. */
  ifVersion?: number | null;
}

/** A job's write: WriteOptions, plus what is written in the same write (one transaction). */
export interface JobWriteOptions extends WriteOptions {
  /** The job's evaluation restarts: its runtime replaced. */
  runtime?: JobRuntime;
  /**
   * A create's Idempotency-Key record (issue 20), stored with the job, so a crash never leaves the
   * job without it (a retry would create a second job). Only with `ifVersion: null`. When the key
   * is taken already (another request won it, maybe on another hub), nothing is written:
   * IdempotencyKeyTakenError.
   */
  idempotency?: IdempotencyRecord;
}

export interface Page<T> {
  /** Matches of the filters (whatever the cursor and offset); see `total_exact`. */
  total: number;
  items: T[];
  /** False when `total` is an estimate (a query with `countCap` matched more than the cap). */
  total_exact?: boolean;
  /** Whether more items follow this page (adapters that know it say so). */
  more?: boolean;
}

/** A position in the jobs list's order (name, then id): the last job of the page before. */
export interface JobCursor {
  name: string;
  id: string;
}

/** A page of the jobs list; `runtimes` holds the page's runtimes when the adapter read them with it. */
export interface JobPage extends Page<Stored<Job>> {
  runtimes?: Map<string, JobRuntime>;
}

// --- errors (each a class, so callers map them: 409, 412, 503): port-errors.ts

export { IdempotencyKeyTakenError, ScopeError, StaleEpochError, StoreError, StoreUnavailableError, VersionConflictError } from './port-errors.js';

export function assertScope(aggregate: string, scope: Scope, rec: { id: string; platform_id: string }): void {
  if (rec.platform_id !== scope.platform_id) throw new ScopeError(aggregate, rec.id, scope, rec.platform_id);
}

// --- aggregates

export interface PlatformsRepo {
  get(id: string): Promise<Stored<Platform> | undefined>;
  /** Every platform (admin views, the poller's loop over tenants). */
  list(): Promise<Array<Stored<Platform>>>;
  /** The platform owning an API token, by the token's SHA-256 hex. */
  byTokenHash(hash: string): Promise<Stored<Platform> | undefined>;
  put(p: Platform, opts?: WriteOptions): Promise<Stored<Platform>>;
}

/** Sites, control devices and webhooks: plain documents of a platform. */
export interface ScopedRepo<T extends { id: string; platform_id: string }> {
  get(scope: Scope, id: string): Promise<Stored<T> | undefined>;
  list(scope: Scope): Promise<Array<Stored<T>>>;
  put(scope: Scope, rec: T, opts?: WriteOptions): Promise<Stored<T>>;
  /** True when something was deleted. */
  delete(scope: Scope, id: string, opts?: WriteOptions): Promise<boolean>;
}

/** The jobs list of the API (GET /jobs): filters, sorted by name then id, one page. */
export interface JobQuery {
  enabled?: boolean;
  /** Runtime state; an enabled job without runtime is `ok`, a disabled job matches no state. */
  state?: JobState;
  key?: string;
  site_id?: string;
  /** Case-insensitive substring of the name, device name or device key. */
  q?: string;
  /** Keyset pagination: only jobs after this one in (name, id) order; `offset` then skips more. */
  after?: JobCursor;
  /**
   * Count the matches exactly up to this many; beyond it `total` is the database's estimate
   * (never below the cap + 1) and `total_exact` is false. Omitted: always exact.
   */
  countCap?: number;
  limit: number;
  offset: number;
}

/** What a job refers to (site, control device, webhook), for "in use" checks before a delete. */
export interface JobRef {
  site_id?: string;
  control_device_id?: string;
  webhook_id?: string;
}

export interface JobsRepo {
  get(scope: Scope, id: string): Promise<Stored<Job> | undefined>;
  list(scope: Scope, query: JobQuery): Promise<JobPage>;
  /** Every job of the platform (the poller, correlation's fleet size). */
  all(scope: Scope): Promise<Array<Stored<Job>>>;
  /** Jobs that refer to a site, a control device or a webhook. */
  referencing(scope: Scope, ref: JobRef): Promise<Array<Stored<Job>>>;
  /** Create or replace; with `runtime` or `idempotency` (JobWriteOptions) in the same write. */
  put(scope: Scope, job: Job, opts?: JobWriteOptions): Promise<Stored<Job>>;
  /**
   * Many jobs in one transaction (bulk import, seeding); all or nothing. With `idempotency`, the
   * record is stored in the same transaction (IdempotencyKeyTakenError as put's).
   */
  putMany(scope: Scope, jobs: readonly Job[], opts?: { idempotency?: IdempotencyRecord }): Promise<number>;
  /** Deletes the job and its runtime. */
  delete(scope: Scope, id: string, opts?: WriteOptions): Promise<boolean>;
}

/** Each job's evaluation state: written by the leader's poller, once per cycle at most. */
export interface RuntimeRepo {
  get(scope: Scope, jobId: string): Promise<JobRuntime | undefined>;
  /** Runtimes of the named jobs of the platform (one query: a page of the jobs list). */
  many(scope: Scope, jobIds: readonly string[]): Promise<Map<string, JobRuntime>>;
  all(scope: Scope): Promise<Map<string, JobRuntime>>;
  /** Runtimes of jobs of the platform (unknown jobs are ignored). Fenced. */
  putMany(scope: Scope, runtimes: ReadonlyMap<string, JobRuntime>): Promise<void>;
}

/** The executions list of the API (GET /executions): newest first, one page. */
export interface ExecutionQuery {
  job_id?: string;
  key?: string;
  site_id?: string;
  state?: ExecutionView['state'];
  phase?: ExecutionView['phase'];
  outcome?: NonNullable<ExecutionView['outcome']>;
  incident_id?: string;
  /** ISO times, inclusive. */
  since?: string;
  until?: string;
  limit: number;
  offset: number;
}

export interface RetentionPolicy {
  maxAgeMs: number;
  maxPerPlatform: number;
}

export interface ExecutionsRepo {
  get(scope: Scope, id: string): Promise<Stored<Execution> | undefined>;
  /** The named executions of the platform that exist (one query). */
  many(scope: Scope, ids: readonly string[]): Promise<Map<string, Stored<Execution>>>;
  list(scope: Scope, query: ExecutionQuery): Promise<Page<Stored<Execution>>>;
  /**
   * The execution one of whose messages carries this wire id (the `execution_id` an agent's
   * update names): for an update about an execution the leader's working set has not loaded yet.
   */
  byMessage(scope: Scope, wireId: string): Promise<Stored<Execution> | undefined>;
  /** Executions whose playbook is not done (restart, each engine tick). */
  active(scope: Scope): Promise<Array<Stored<Execution>>>;
  /** The engine's write of one execution (its only writer). Fenced. */
  put(scope: Scope, e: Execution, opts?: WriteOptions): Promise<Stored<Execution>>;
  /**
   * Decide, record, then act: a cycle's new executions and the runtimes of the jobs that fired
   * them, in one transaction, before anything is published. Fenced.
   */
  commitFiring(scope: Scope, executions: readonly Execution[], runtimes: ReadonlyMap<string, JobRuntime>): Promise<void>;
  /** Drop finished executions past the age bound, then the oldest finished beyond the count. */
  prune(scope: Scope, now: number, policy: RetentionPolicy): Promise<number>;
}

export interface InboundRepo {
  /** Newest first. */
  list(scope: Scope, limit: number): Promise<InboundRecord[]>;
  /** Keeps the newest `maxPerPlatform`. */
  add(scope: Scope, r: InboundRecord, maxPerPlatform: number): Promise<void>;
}

/** A platform's guardrail state: device history, SMS budget and queue, correlation, incidents. */
export interface GuardrailState {
  history: DeviceHistory;
  budget: BudgetState;
  recent: Trip[];
  incidents: Incident[];
}
export const emptyGuardrails = (): GuardrailState => ({ history: {}, budget: { sent: {}, queue: [] }, recent: [], incidents: [] });

export interface SettingsWriteOptions {
  ifVersion?: number;
  /** What a platform without stored settings uses (the config's defaults). */
  defaults?: RemediationSettings;
}
/** Check a settings write's `ifVersion` against what is stored (pure; both adapters call it inside the write). */
export function checkSettingsVersion(platformId: string, stored: RemediationSettings | null, opts: SettingsWriteOptions | undefined): void {
  if (opts?.ifVersion === undefined) return;
  const cur = stored ?? opts.defaults ?? null;
  const current = cur === null ? null : settingsVersion(cur);
  if (current !== opts.ifVersion) throw new VersionConflictError('remediation settings', platformId, opts.ifVersion, current);
}

export interface RemediationRepo {
  /** The platform's settings, or null when it uses the config's defaults. */
  settings(scope: Scope): Promise<RemediationSettings | null>;
  /**
   * With `ifVersion`, the write happens only when the stored settings (or `defaults` when none
   * are stored) still have that `settingsVersion`; checked inside the write, so of two concurrent
   * writes with the same version one fails with VersionConflictError.
   */
  putSettings(scope: Scope, s: RemediationSettings, opts?: SettingsWriteOptions): Promise<void>;
  /** Read-modify-write by the engine with `ifVersion` (version 0: never written). */
  state(scope: Scope): Promise<Stored<GuardrailState>>;
  /** Fenced. */
  putState(scope: Scope, s: GuardrailState, opts?: WriteOptions): Promise<Stored<GuardrailState>>;
  uptimeMarks(scope: Scope, siteId: string): Promise<UptimeMark[]>;
  /** Record the site's modem state when it changes. */
  markUptime(scope: Scope, siteId: string, at: number, up: boolean): Promise<void>;
}

export interface DeliveriesRepo {
  list(scope: Scope): Promise<DeliveryRecord[]>;
  byKey(scope: Scope, key: string, endpointId: string): Promise<DeliveryRecord | undefined>;
  /** Deliveries whose next attempt is due, oldest first. */
  due(scope: Scope, now: number): Promise<DeliveryRecord[]>;
  /** Insert or replace by id; keeps the newest `max` settled ones of the platform. Fenced. */
  put(scope: Scope, rec: DeliveryRecord, max?: number): Promise<void>;
}

/** Idempotency keys of mutating API calls (issue 17): the first response is replayed. */
export interface IdempotencyRecord {
  key: string;
  /** Hash of method, path and body: the same key with another request is a conflict. */
  request_hash: string;
  status: number;
  body: unknown;
  created_at: number;
}
export interface IdempotencyRepo {
  get(scope: Scope, key: string): Promise<IdempotencyRecord | undefined>;
  /** Store the first response for a key; when one exists already, returns it instead. */
  put(scope: Scope, rec: IdempotencyRecord): Promise<IdempotencyRecord>;
  /** Forget keys older than `before` (epoch ms). */
  prune(before: number): Promise<number>;
}

/**
 * A web-form wizard draft (issue 17): kept in the store so every hub on one PostgreSQL sees it
 * (an operator's next request may land on another hub). Owned by a platform and a signed-in owner
 * (a hash of the sign-in token and platform); `data` is the form's record, opaque to the store.
 */
export interface DraftDoc {
  id: string;
  platform_id: string;
  owner: string;
  data: unknown;
  /** Epoch ms of the last change: the draft lives `DRAFT_TTL_MS` after it. */
  updated_at: number;
}
export interface DraftsRepo {
  /** The owner's draft, or undefined (unknown, another owner's or another platform's). */
  get(scope: Scope, owner: string, id: string): Promise<Stored<DraftDoc> | undefined>;
  /**
   * Create (`ifVersion: null`) or replace (`ifVersion`: the version read). With `maxPerOwner`,
   * the owner's oldest drafts beyond it are dropped in the same write.
   */
  put(scope: Scope, d: DraftDoc, opts?: WriteOptions & { maxPerOwner?: number }): Promise<Stored<DraftDoc>>;
  delete(scope: Scope, owner: string, id: string): Promise<boolean>;
  /** Drop every draft (all platforms) last changed before `before` (epoch ms). */
  expire(before: number): Promise<number>;
}

/**
 * A signed-in web session shared by every hub on one PostgreSQL (issue 20: the web form is served
 * by every hub, so a session must not be one hub's file). Keyed by the SHA-256 of the cookie's
 * id; holds only hashes (hub/web/session.ts), never a token.
 */
export interface WebSessionDoc {
  token_hash: string;
  admin: boolean;
  platform_id: string;
  platform_name: string;
  csrf: string;
  lang: 'ru' | 'en' | null;
  /** Epoch ms. */
  expires_at: number;
}
export interface WebSessionsRepo {
  get(idHash: string): Promise<WebSessionDoc | undefined>;
  /** Create or replace. */
  put(idHash: string, s: WebSessionDoc): Promise<void>;
  delete(idHash: string): Promise<boolean>;
  /** Drop the sessions that expired before `now` (epoch ms). */
  expire(now: number): Promise<number>;
}

// --- change feed and leadership

export type Aggregate = 'platforms' | 'sites' | 'control_devices' | 'jobs' | 'runtime' | 'executions' | 'inbound' | 'remediation' | 'webhooks' | 'deliveries';

/**
 * What changed, for other hubs' caches and live views. `ids` is null when many changed at once;
 * `aggregate: 'all'` (platform_id '*') after the feed was interrupted: anything may have changed.
 */
export interface Change {
  aggregate: Aggregate | 'all';
  platform_id: string;
  ids: string[] | null;
  /**
   * The changed records themselves (with their versions), one per id, when the writer could
   * carry them (PostgreSQL: a job written by the API, while the notification stays small):
   * readers may take them instead of reading the store.
   */
  docs?: Array<Record<string, unknown>>;
  /** With `docs` of jobs: the runtimes written in the same statement, one per id. */
  runtimes?: Array<Record<string, unknown>>;
}
export type Unsubscribe = () => Promise<void>;

export interface Lease {
  readonly epoch: number;
  /** Resolves when leadership is lost (connection gone, released). */
  readonly lost: Promise<void>;
}
export interface Leadership {
  /** The lease, or null when another hub leads. */
  tryAcquire(): Promise<Lease | null>;
  release(): Promise<void>;
}

// --- the port

export interface StorePort {
  readonly platforms: PlatformsRepo;
  readonly sites: ScopedRepo<Site>;
  readonly controlDevices: ScopedRepo<ControlDevice>;
  readonly webhooks: ScopedRepo<StoredWebhook>;
  readonly jobs: JobsRepo;
  readonly runtime: RuntimeRepo;
  readonly executions: ExecutionsRepo;
  readonly inbound: InboundRepo;
  readonly remediation: RemediationRepo;
  readonly deliveries: DeliveriesRepo;
  readonly idempotency: IdempotencyRepo;
  readonly drafts: DraftsRepo;
  /**
   * Web sessions in the store (PostgreSQL, shared by every hub). Absent in lowdb mode, where the
   * one hub keeps them in a file of its data dir (hub/web/session.ts).
   */
  readonly webSessions?: WebSessionsRepo;
  /** This hub's bid for leadership (PostgreSQL: an advisory lock on a dedicated connection). */
  leadership(holder: string): Leadership;
  /** A view whose writes are refused once `epoch` is no longer the leadership's. */
  fenced(epoch: number): StorePort;
  /** The current leadership epoch (0: nobody has led yet). */
  epoch(): Promise<number>;
  /** Changes made by any hub (this one included), after they are committed. */
  subscribe(onChange: (c: Change) => void): Promise<Unsubscribe>;
  close(): Promise<void>;
}
