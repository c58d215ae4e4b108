// Remediation service: what happens when jobs fire. It turns a poll cycle's fires into
// executions with their playbook run, applying the guardrails first:
//   - per device: over the rolling limit, the run starts escalated (only notify steps run);
//   - correlated failure: the cycle's trips of a platform are judged together (correlation.ts);
//     above the rule they are held, one incident opens and people are told once (an execution
//     of its own, a notify step: on-call SMS through the platform's notify site, and a webhook
//     to every enabled endpoint); one call releases them;
//   - settle only when it matters: a fired run waits `settle_ms` before acting only when its
//     platform already has another trip in the correlation window (or this cycle brings
//     several, or an incident is open), so a burst spread over a few cycles is still seen as
//     one before anything is sent, while a lone device going offline gets its command at once;
//   - a trip that was failing before its job existed (the job never saw its condition not
//     hold: JobRuntime.seen_ok) is not part of a burst: bulk-loading jobs on a platform where ten devices
//     already fail opens no incident (it still joins one that is open);
//   - an earlier trip that already dispatched its command when an incident opens is not held:
//     its SMS is out, it is shown as sent and runs on;
//   - incidents expire (incident-expiry.ts) and tell someone by default: the on-call SMS when
//     set, and every enabled webhook; who was told is recorded on the incident.
// The engine (engine.ts) runs the playbooks; this is the Firer the poller and the API call.
import type { Logger } from '../common/log.js';
import type { Clock } from '../common/clock.js';
import type { FireReason } from '../core/machine.js';
import type { Execution } from '../model/execution.js';
import type { Job, JobRuntime } from '../model/job.js';
import type { RemediationSettings } from '../model/remediation.js';
import type { NotifyStep } from '../model/steps.js';
import type { Fire, Firer } from '../poller/poller.js';
import type { LeaderStore } from '../store/leader-store.js';
import { type Incident, incidentText, observeTrips, openIncident, releaseIncident, type Trip } from './correlation.js';
import { expiredText, expireIncident } from './incident-expiry.js';
import type { PlaybookEngine } from './engine.js';
import { checkDevice, deviceKey, pruneHistory, recordDevice } from './guardrails.js';
import { createRun } from './run.js';

export interface ServiceDeps {
  store: LeaderStore;
  engine: PlaybookEngine;
  clock: Clock;
  log: Logger;
  settings: (platformId: string) => RemediationSettings;
  newId: () => string;
  settleMs: number;
  /** Language of incident notifications. */
  lang: 'ru' | 'en';
  onIncident?: (platformId: string) => void;
}

const FAILING = new Set(['firing', 'no_data']);

export class RemediationService implements Firer {
  constructor(private readonly d: ServiceDeps) {}

  fire(job: Job, reason: FireReason | 'manual', values: Record<string, number | null>): Promise<string | null> {
    return this.fireMany([{ job, reason, values }]).then((ids) => ids[0] ?? null);
  }

  /** A cycle's fires, judged together per platform. Resolves with the execution ids, in order. */
  fireMany(fires: readonly Fire[]): Promise<Array<string | null>> {
    const { engine } = this.d;
    return engine.serial(async () => {
      const now = this.d.clock.now();
      const crowded = this.crowdedPlatforms(fires, now);
      const execs = fires.map((f) => this.newExecution(f, now, !crowded.has(f.job.platform_id)));
      // Decide, record, then act: the executions and their jobs' firing state in one write.
      const runtimes = new Map<string, JobRuntime>();
      fires.forEach((f, i) => {
        if (f.runtime) runtimes.set(f.job.id, { ...f.runtime, last_execution_id: (execs[i] as Execution).id });
      });
      await this.d.store.commitFiring(execs, runtimes);
      for (const e of execs) engine.announce(e);
      const byPlatform = new Map<string, Array<{ exec: Execution; fire: Fire }>>();
      fires.forEach((f, i) => {
        const list = byPlatform.get(f.job.platform_id) ?? [];
        list.push({ exec: execs[i] as Execution, fire: f });
        byPlatform.set(f.job.platform_id, list);
      });
      for (const [platformId, list] of byPlatform) await this.startPlatform(platformId, list, now);
      await this.d.store.saveRemediation();
      await engine.flush();
      return execs.map((e) => e.id);
    });
  }

  /**
   * Platforms whose fired runs settle this cycle: more than one device tripping inside the
   * correlation window (this cycle's automatic trips plus the recent ones), or an open incident.
   */
  private crowdedPlatforms(fires: readonly Fire[], now: number): Set<string> {
    const out = new Set<string>();
    const devices = new Map<string, Set<string>>();
    for (const f of fires) {
      if (f.reason === 'manual') continue;
      const set = devices.get(f.job.platform_id) ?? new Set<string>();
      set.add(`${f.job.device.key_type}=${f.job.device.key}`);
      devices.set(f.job.platform_id, set);
    }
    const state = this.d.store.correlation;
    for (const [platformId, set] of devices) {
      const from = now - this.d.settings(platformId).correlation.window_s * 1000;
      for (const t of state.recent[platformId] ?? []) if (t.at > from) set.add(t.device_key);
      const open = state.incidents.some((i) => i.platform_id === platformId && i.status === 'open');
      if (set.size > 1 || open) out.add(platformId);
    }
    return out;
  }

  private newExecution(f: { job: Pick<Job, 'id' | 'platform_id' | 'name' | 'device' | 'steps'>; reason: Execution['trigger']['reason']; values: Fire['values']; execution_id?: string }, now: number, alone = false): Execution {
    // An operator's run, an incident notification and a lone trip act at once; fired jobs of a
    // platform with other recent trips settle first.
    const immediate = alone || f.reason === 'manual' || f.reason === 'incident';
    // A fired episode has a deterministic id (hub/poller/episode.ts); manual runs a fresh one.
    const id = f.execution_id ?? this.d.newId();
    const at = new Date(now).toISOString();
    const run = createRun({ id, platform_id: f.job.platform_id, job_id: f.job.id, job_name: f.job.name, device: { key: f.job.device.key, name: f.job.device.name }, steps: f.job.steps, settle_ms: immediate ? 0 : this.d.settleMs }, now);
    return {
      id,
      platform_id: f.job.platform_id,
      job_id: f.job.id,
      job_name: f.job.name,
      device: f.job.device,
      trigger: { reason: f.reason, values: f.values },
      state: 'created',
      step: 0,
      playbook: run.steps,
      messages: [],
      phase: 'armed',
      outcome: null,
      ttr_ms: null,
      escalated: false,
      escalation_reason: null,
      incident_id: null,
      run,
      timeline: [{ at, step: null, state: 'created', detail: `fired: ${f.reason}` }],
      replies: [],
      event_seq: 0,
      created_at: at,
      updated_at: at,
    };
  }

  /**
   * On boot: executions recorded but never started (the hub died between commitFiring and the
   * start) are started now, through the same guardrails, at their creation time (issue 15).
   */
  resumeArmed(): Promise<number> {
    const { store, engine } = this.d;
    return engine.serial(async () => {
      const armed = store.activeExecutions().filter((e) => e.phase === 'armed');
      const byPlatform = new Map<string, Array<{ exec: Execution; fire: Pick<Fire, 'reason'> }>>();
      for (const exec of armed) {
        if (exec.trigger.reason === 'incident') {
          await engine.apply(exec, { type: 'start' });
          continue;
        }
        const list = byPlatform.get(exec.platform_id) ?? [];
        list.push({ exec, fire: { reason: exec.trigger.reason } });
        byPlatform.set(exec.platform_id, list);
      }
      for (const [platformId, list] of byPlatform) await this.startPlatform(platformId, list, Math.min(...list.map((x) => Date.parse(x.exec.created_at))));
      await store.saveRemediation();
      await engine.flush();
      return armed.length;
    });
  }

  private async startPlatform(platformId: string, list: Array<{ exec: Execution; fire: Pick<Fire, 'reason' | 'runtime'> }>, now: number): Promise<void> {
    const { store, engine } = this.d;
    const settings = this.d.settings(platformId);
    const auto = list.filter((x) => x.fire.reason !== 'manual');
    // Correlated failure: the automatic trips of this cycle, together with the recent ones.
    await this.expirePlatform(platformId, now);
    const open = openIncident(store.correlation, platformId) !== undefined;
    const trips: Trip[] = auto
      .filter((x) => open || !this.preexisting(x.fire))
      .map((x) => ({ execution_id: x.exec.id, device_key: `${x.exec.device.key_type}=${x.exec.device.key}`, at: now }));
    const fleet = this.fleet(platformId);
    const incidentId = this.d.newId();
    const obs = trips.length ? observeTrips(store.correlation, platformId, trips, fleet, now, settings.correlation, incidentId) : null;
    if (obs) store.correlation = obs.state;
    const hold = new Set(obs?.hold ?? []);
    const incident = obs?.incident ?? null;
    // Per device: acting counts against the rolling limit; beyond it the run only notifies.
    // A trip held by an incident is held before it starts: nothing of it runs until release.
    let history = pruneHistory(store.deviceHistory, now, settings.device_limit);
    for (const { exec, fire } of list) {
      if (incident && hold.has(exec.id)) {
        await engine.apply(exec, { type: 'hold', incident_id: incident.id });
        continue;
      }
      const key = deviceKey(platformId, `${exec.device.key_type}=${exec.device.key}`);
      const check = fire.reason === 'manual' ? null : checkDevice(history, key, now, settings.device_limit);
      if (!check || check.allowed) history = recordDevice(history, key, now, settings.device_limit);
      await engine.apply(exec, check && !check.allowed ? { type: 'start', escalate: check.reason ?? 'device limit' } : { type: 'start' });
    }
    store.deviceHistory = history;
    if (!obs || !incident) return;
    // When the incident just opened, the burst's earlier trips (still settling) are held too;
    // one whose command is already out is not: it is shown as sent and runs on.
    const batch = new Set(list.map((x) => x.exec.id));
    const acted = new Set<string>();
    for (const id of hold) {
      if (batch.has(id)) continue;
      const exec = store.execution(id);
      if (exec?.messages.some((m) => m.kind === 'command' && m.dispatched_at !== null)) acted.add(id);
      else if (exec?.run && exec.phase !== 'done') await engine.apply(exec, { type: 'hold', incident_id: incident.id });
    }
    if (!obs.opened) return;
    const opened: Incident = { ...incident, held: incident.held.filter((t) => !acted.has(t.execution_id)) };
    // Stored before the notification is built: its SMS text and its webhook's device list both
    // name exactly the devices held.
    store.correlation = { ...store.correlation, incidents: store.correlation.incidents.map((i) => (i.id === opened.id ? opened : i)) };
    const notified = await this.notifyIncident(platformId, opened.id, incidentText(opened, this.d.lang), settings, now);
    store.correlation = { ...store.correlation, incidents: store.correlation.incidents.map((i) => (i.id === opened.id ? { ...opened, notified } : i)) };
    this.d.log.warn('correlated failure: executions held, incident opened', { platform_id: platformId, incident: opened.id, devices: opened.held.length, rule: opened.rule, already_sent: acted.size, notified });
    this.d.onIncident?.(platformId);
  }

  /** Distinct devices of the platform's enabled jobs. */
  private fleet(platformId: string): number {
    return new Set(this.d.store.jobs(platformId).filter((j) => j.enabled).map((j) => `${j.device.key_type}=${j.device.key}`)).size;
  }

  /** The trip's device was failing before its job existed: the job never saw its condition not hold. */
  private preexisting(f: Pick<Fire, 'reason' | 'runtime'>): boolean {
    return f.reason === 'condition' && f.runtime !== undefined && f.runtime.seen_ok !== true;
  }

  /** Devices of the platform failing now (their job firing or without data). */
  private failingDevices(platformId: string): Set<string> {
    const out = new Set<string>();
    for (const j of this.d.store.jobs(platformId)) {
      if (j.enabled && FAILING.has(this.d.store.jobRuntime(j.id)?.state ?? 'ok')) out.add(`${j.device.key_type}=${j.device.key}`);
    }
    return out;
  }

  /** End every open incident whose time has come (each poll cycle). */
  expireIncidents(): Promise<number> {
    return this.d.engine.serial(async () => {
      const now = this.d.clock.now();
      let n = 0;
      for (const inc of this.d.store.correlation.incidents.filter((i) => i.status === 'open')) if (await this.expirePlatform(inc.platform_id, now)) n++;
      if (n) {
        await this.d.store.saveRemediation();
        await this.d.engine.flush();
      }
      return n;
    });
  }

  private async expirePlatform(platformId: string, now: number): Promise<boolean> {
    const { store, engine } = this.d;
    if (!openIncident(store.correlation, platformId)) return false;
    const settings = this.d.settings(platformId);
    const failing = this.failingDevices(platformId);
    const ex = expireIncident(store.correlation, platformId, now, settings.correlation, failing.size, this.fleet(platformId));
    if (!ex) return false;
    store.correlation = ex.state;
    let cancelled = 0;
    let stillHeld = 0;
    for (const t of ex.incident.held) {
      const exec = store.execution(t.execution_id);
      if (!exec?.run || exec.phase !== 'held') continue;
      if (failing.has(t.device_key)) stillHeld++;
      else {
        await engine.apply(exec, { type: 'cancel', by: `incident ${ex.incident.id} expired: device recovered` });
        cancelled++;
      }
    }
    this.d.log.info('incident expired', { platform_id: platformId, incident: ex.incident.id, reason: ex.reason, cancelled, still_held: stillHeld });
    await this.notifyIncident(platformId, ex.incident.id, expiredText(ex.incident, cancelled, stillHeld, this.d.lang), settings, now, 'expired');
    this.d.onIncident?.(platformId);
    return true;
  }

  /**
   * People hear of an incident when it opens and when it expires: an execution of its own with
   * one notify step, to the on-call list (when set) and every enabled webhook. Returns who.
   */
  private async notifyIncident(platformId: string, incidentId: string, text: string, settings: RemediationSettings, now: number, what: 'opened' | 'expired' = 'opened'): Promise<string[]> {
    const { store } = this.d;
    const sms = settings.notify_site_id && settings.on_call.length && store.site(platformId, settings.notify_site_id) ? { site_id: settings.notify_site_id, to: 'on_call' as const } : null;
    const webhooks = store.webhooks(platformId).filter((w) => w.enabled).map((w) => w.id).slice(0, 10);
    if (!sms && webhooks.length === 0) {
      this.d.log.error(`incident ${what} but nobody to notify: set on_call + notify_site_id or add a webhook`, { platform_id: platformId, incident: incidentId });
      return [];
    }
    const step: NotifyStep = { type: 'notify', sms, webhooks, text: text.replace(/[{}]/g, '') };
    const suffix = what === 'opened' ? '' : `-${what}`;
    const job = { id: `incident-${incidentId}${suffix}`.slice(0, 64), platform_id: platformId, name: `Incident ${incidentId}${suffix ? ` ${what}` : ''}`, device: { key_type: 'device_id' as const, key: platformId, name: platformId }, steps: [step] };
    const exec = this.newExecution({ job, reason: 'incident', values: {} }, now);
    exec.incident_id = incidentId;
    if (exec.run) exec.run = { ...exec.run, incident_id: incidentId };
    await store.putExecution(exec);
    this.d.engine.announce(exec);
    await this.d.engine.apply(exec, { type: 'start' });
    return [...(sms ? ['sms:on_call'] : []), ...webhooks.map((w) => `webhook:${w}`)];
  }

  /** Release an incident: its held executions resume. */
  release(platformId: string, incidentId: string, by: string): Promise<{ ok: true; resumed: number } | { ok: false; status: 404 | 409; message: string }> {
    const { store, engine } = this.d;
    return engine.serial(async () => {
      const inc = store.correlation.incidents.find((i) => i.id === incidentId);
      if (!inc || inc.platform_id !== platformId) return { ok: false as const, status: 404 as const, message: `incident ${incidentId} not found` };
      const r = releaseIncident(store.correlation, incidentId, by, this.d.clock.now());
      if ('error' in r) return { ok: false as const, status: 409 as const, message: r.error };
      store.correlation = r.state;
      await store.saveRemediation();
      let resumed = 0;
      for (const id of r.resume) {
        const exec = store.execution(id);
        if (!exec?.run || exec.phase !== 'held') continue;
        await engine.apply(exec, { type: 'release', by });
        resumed++;
      }
      await engine.flush();
      this.d.onIncident?.(platformId);
      return { ok: true as const, resumed };
    });
  }

  /** Cancel a running execution (nothing more is sent; what was handed to the agent stays). */
  cancel(exec: Execution, by: string): Promise<boolean> {
    return this.d.engine.serial(async () => {
      const cur = this.d.store.execution(exec.id);
      if (!cur?.run || cur.phase === 'done') return false;
      await this.d.engine.apply(cur, { type: 'cancel', by });
      await this.d.engine.flush();
      return true;
    });
  }
}
