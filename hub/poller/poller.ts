// One polling cycle: collect the metrics of every enabled job (batched per platform), evaluate
// each job's state machine, fire what is due, persist the runtime changes in one write.
// Prometheus failing: the jobs whose data is missing are not evaluated (nothing fires), the
// cycle counts as degraded and /readyz says so.
import type { Clock } from '../common/clock.js';
import type { Logger } from '../common/log.js';
import { evalConditions } from '../core/conditions.js';
import { advance, type FireReason, significantChange } from '../core/machine.js';
import { type Job, type JobRuntime, type JobState, initialRuntime } from '../model/job.js';
import type { QueryFn } from '../prometheus/client.js';
import type { LeaderStore } from '../store/leader-store.js';
import { type Freshness, staleGuard, staleRuleOf } from '../core/freshness.js';
import type { Platform } from '../model/entities.js';
import { collect, deviceKey, type Snapshot, queryKey, type Watched } from './collect.js';
import type { Execution } from '../model/execution.js';
import type { Sample } from '../core/conditions.js';
import { probePlatform } from './probe.js';
import type { SampleChecks } from './sample-checks.js';
import { episodeAnchor, episodeExecutionId } from './episode.js';
import { crashPoint } from '../dispatch/crash-point.js';

const YIELD_EVERY = 1000;

export interface Fire {
  job: Job;
  reason: FireReason | 'manual';
  values: Record<string, number | null>;
  /** The job's runtime after this firing (absent for manual runs): stored with the execution. */
  runtime?: JobRuntime;
  /** The episode's deterministic execution id (absent for manual runs: a fresh id). */
  execution_id?: string;
}

export interface Firer {
  /** Create and start an execution; resolves with its id (or null if it could not be created). */
  fire(job: Job, reason: FireReason | 'manual', values: Record<string, number | null>): Promise<string | null>;
  /** A cycle's fires at once (guardrails judge them together); ids in order. */
  fireMany?(fires: readonly Fire[]): Promise<Array<string | null>>;
}

/** The playbook side of a cycle: what verify steps need, and the samples once fetched. */
export interface VerifyHook {
  /** Running verify steps of a platform (their conditions are queried with the jobs'). */
  verifying(platformId: string): Execution[];
  /** Feed the platform's samples (null: no usable data this cycle) and tick its runs. */
  cycle(platformId: string, sampleOf: ((e: Execution) => Sample | undefined) | null, dataAt: number): Promise<void>;
}

export interface CycleReport {
  at: number;
  durationMs: number;
  requests: number;
  evaluated: number;
  skipped: number;
  fired: number;
  degraded: boolean;
  errors: string[];
  /** Probe/freshness queries (one per platform), beside the metric `requests`. */
  probes: number;
  /** Per platform: its Prometheus answered this cycle, and whether its source was stale. */
  platforms: Record<string, PlatformHealth>;
  /** Stale samples and duplicate series per platform (platforms with max_sample_age_s). */
  samples?: Record<string, SampleChecks>;
}

export interface PlatformHealth {
  prometheus: 'up' | 'down';
  stale: boolean;
  freshness: Freshness | null;
  error: string | null;
}

export interface PollerHooks {
  onCycle?(report: CycleReport): void;
}

export class Poller {
  /** Last values seen per job (metric -> value), for the API. */
  readonly lastValues = new Map<string, Record<string, number | null>>();
  lastReport: CycleReport | null = null;
  private readonly seen = new Set<string>();
  degradedCycles = 0;

  constructor(
    private readonly deps: { store: LeaderStore; query: QueryFn; clock: Clock; firer: Firer; log: Logger; hooks?: PollerHooks; verify?: VerifyHook },
  ) {}

  async cycle(signal?: AbortSignal): Promise<CycleReport> {
    const { store, clock, log } = this.deps;
    const started = performance.now();
    const now = clock.now();
    const byPlatform = new Map<string, Job[]>();
    for (const j of store.jobs()) {
      if (!j.enabled) continue;
      const list = byPlatform.get(j.platform_id) ?? [];
      list.push(j);
      byPlatform.set(j.platform_id, list);
    }
    const report: CycleReport = { at: now, durationMs: 0, requests: 0, evaluated: 0, skipped: 0, fired: 0, degraded: false, errors: [], probes: 0, platforms: {} };
    // Every known platform is probed each cycle (its freshness rule, or vector(1)), so
    // readiness reflects each Prometheus even when the platform has no jobs.
    const targets = new Map<string, Platform | undefined>(store.platforms().map((p) => [p.id, p]));
    for (const id of byPlatform.keys()) if (!targets.has(id)) targets.set(id, undefined);
    const snapshots = await Promise.all(
      [...targets].map(async ([platformId, platform]) => {
        const jobs = byPlatform.get(platformId) ?? [];
        const verifying = this.deps.verify?.verifying(platformId) ?? [];
        if (!platform) return { platformId, jobs, verifying, snap: null as Snapshot | null, health: null };
        const watched: Watched[] = [...jobs];
        for (const e of verifying) {
          const step = e.playbook[e.step];
          if (step?.type === 'verify') watched.push({ conditions: step.conditions, device: e.device });
        }
        const [snap, health] = await Promise.all([watched.length ? collect(platformId, platform.prometheus, watched, this.deps.query, staleGuard(platformId, staleRuleOf(platform))) : null, probePlatform(platform, this.deps.query)]);
        return { platformId, jobs, verifying, snap, health };
      }),
    );
    if (signal?.aborted) throw new Error('cycle aborted');
    let changed = false;
    let slice = 0;
    const fires: Fire[] = [];
    const verifyFeeds: Array<[string, ((e: Execution) => Sample | undefined) | null]> = [];
    for (const { platformId, jobs, snap, health } of snapshots) {
      if (health) verifyFeeds.push([platformId, health.ok && snap && !health.freshness?.stale ? verifySampler(snap) : null]);
      if (!health) {
        report.skipped += jobs.length;
        report.errors.push(`${platformId}: platform not found`);
        continue;
      }
      report.probes++;
      const up = health.ok && (!snap || snap.failed.size < snap.requests || snap.requests === 0);
      report.platforms[platformId] = { prometheus: up ? 'up' : 'down', stale: health.freshness?.stale ?? false, freshness: health.freshness, error: health.error };
      if (health.error) report.errors.push(`${platformId}: ${health.error}`);
      if (!snap) continue;
      report.requests += snap.requests;
      report.errors.push(...snap.errors.map((e) => `${platformId}: ${e}`));
      if (snap.checks) (report.samples ??= {})[platformId] = snap.checks;
      // Freshness unknown (its query failed): nothing of this platform is evaluated.
      if (!health.ok) {
        report.skipped += jobs.length;
        continue;
      }
      // Stale source: its last-known values are not evidence; every device counts as no data.
      const samples = health.freshness?.stale ? new Map<string, Map<string, number>>() : snap.samples;
      for (const job of jobs) {
        // Let HTTP requests in between slices of a large evaluation.
        if (++slice % YIELD_EVERY === 0) await new Promise<void>((r) => setImmediate(r));
        if (job.conditions.some((c) => snap.failed.has(queryKey(c.metric, job.device.key_type)))) {
          report.skipped++;
          continue;
        }
        report.evaluated++;
        const sample = samples.get(deviceKey(job.device.key_type, job.device.key)) ?? new Map<string, number>();
        const values: Record<string, number | null> = {};
        for (const c of job.conditions) values[c.metric] = sample.get(c.metric) ?? null;
        this.lastValues.set(job.id, values);
        let prev = store.jobRuntime(job.id) ?? initialRuntime(now);
        if (!this.seen.has(job.id)) {
          // First look at this job since the process started: the persisted last-data time may
          // be old (the hub was down), so a gap right now counts from now, not from then.
          this.seen.add(job.id);
          if (prev.state !== 'no_data') prev = { ...prev, data_at: Math.max(prev.data_at ?? prev.since, now) };
        }
        const { rt, fire } = advance(job, prev, evalConditions(job.conditions, job.combine, sample), now);
        if (significantChange(prev, rt) || !store.jobRuntime(job.id)) changed = true;
        // A firing's runtime is set only with its record (commitFiring, below): set before, any
        // runtime write meanwhile (an API edit while the firer waits its turn) could persist
        // `firing` without the execution, and a crash then would lose the episode.
        if (!fire) store.setJobRuntime(job.id, rt);
        if (fire) {
          const id = episodeExecutionId(job.id, episodeAnchor(job, prev, () => store.executionList(job.platform_id)));
          if (store.execution(id)) {
            // This episode is recorded already (its runtime write was lost): never fire it twice.
            store.setJobRuntime(job.id, { ...rt, last_execution_id: id });
            changed = true;
            log.warn('episode already fired: not firing again', { job_id: job.id, execution_id: id });
            continue;
          }
          report.fired++;
          fires.push({ job, reason: fire, values, runtime: rt, execution_id: id });
        }
      }
    }
    if (fires.length) {
      crashPoint('after_decide', fires.map((f) => f.job.id));
      const { firer } = this.deps;
      const ids = firer.fireMany ? await firer.fireMany(fires) : await Promise.all(fires.map((f) => firer.fire(f.job, f.reason, f.values)));
      fires.forEach((f, i) => {
        const rt = f.runtime as JobRuntime;
        const id = ids[i];
        store.setJobRuntime(f.job.id, id ? { ...rt, last_execution_id: id } : rt);
      });
    }
    // Playbooks: verification samples from the same data, then deadlines.
    for (const [platformId, sampler] of verifyFeeds) await this.deps.verify?.cycle(platformId, sampler, now);
    if (changed || fires.length > 0) await store.saveRuntime();
    report.degraded = report.skipped > 0 || Object.values(report.platforms).some((p) => p.prometheus === 'down');
    if (report.degraded) {
      this.degradedCycles++;
      log.warn('cycle degraded: some jobs not evaluated', { skipped: report.skipped, errors: report.errors.slice(0, 5) });
    }
    report.durationMs = performance.now() - started;
    this.lastReport = report;
    this.deps.hooks?.onCycle?.(report);
    return report;
  }

  /** Drop what the poller remembers of a job (deleted, or what it watches changed). */
  forget(jobId: string): void {
    this.lastValues.delete(jobId);
    this.seen.delete(jobId);
  }

  /** Count of enabled jobs per platform and state, for /metrics. */
  jobStates(): Map<string, Map<JobState, number>> {
    const out = new Map<string, Map<JobState, number>>();
    for (const j of this.deps.store.jobs()) {
      if (!j.enabled) continue;
      const state = this.deps.store.jobRuntime(j.id)?.state ?? 'ok';
      const m = out.get(j.platform_id) ?? new Map<JobState, number>();
      m.set(state, (m.get(state) ?? 0) + 1);
      out.set(j.platform_id, m);
    }
    return out;
  }
}

/** A verify step's sample from a snapshot: undefined when a needed query failed or the device has no data. */
function verifySampler(snap: Snapshot): (e: Execution) => Sample | undefined {
  return (e) => {
    const step = e.playbook[e.step];
    if (step?.type !== 'verify' || step.conditions.some((c) => snap.failed.has(queryKey(c.metric, e.device.key_type)))) return undefined;
    return snap.samples.get(deviceKey(e.device.key_type, e.device.key));
  };
}
