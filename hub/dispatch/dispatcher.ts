// Dispatch: a firing job becomes an execution record (written first), then a QoS 1 job message
// to its site. The dispatcher follows the agent's updates (ordered by seq), re-sends jobs the
// agent has not acknowledged when the site comes back (attempt + 1), marks them unacknowledged
// at expiry, and publishes every change on the platform's public execution topic.
import { randomBytes } from 'node:crypto';
import type { Clock } from '../common/clock.js';
import { encodePayload, type ExecutionUpdate, type FailureReason, jobRequest, siteTopic } from '../common/contract/index.js';
import type { Logger } from '../common/log.js';
import type { Catalog } from '../catalog/catalog.js';
import { stepText } from '../core/action.js';
import type { FireReason } from '../core/machine.js';
import type { Execution, SendStepRun } from '../model/execution.js';
import type { Job } from '../model/job.js';
import type { MqttPublisher } from '../mqtt/adapter.js';
import type { Firer } from '../poller/poller.js';
import type { HubStore } from '../store/store.js';
import { executionEventSender } from './events.js';

export function newId(now: number): string {
  return `${now.toString(36).padStart(9, '0')}${randomBytes(8).toString('hex')}`;
}

export interface DispatcherDeps {
  store: HubStore;
  catalogs: ReadonlyMap<string, Catalog>;
  mqtt: MqttPublisher | null;
  clock: Clock;
  log: Logger;
  isSiteOnline: (platformId: string, siteId: string) => boolean;
  /** Re-send an unacknowledged job to an online site after this long. */
  resendAfterMs: number;
  onState?: (platformId: string, state: string) => void;
}

export class Dispatcher implements Firer {
  private readonly inflight = new Set<Promise<void>>();
  rejectedUpdates = 0;

  constructor(private readonly deps: DispatcherDeps) {}

  /** Wait until every publish started so far has settled (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.inflight.size) await Promise.allSettled([...this.inflight]);
  }

  async fire(job: Job, reason: FireReason | 'manual', values: Record<string, number | null>): Promise<string | null> {
    const { store, clock, catalogs } = this.deps;
    const now = clock.now();
    const at = new Date(now).toISOString();
    const step = job.steps[0];
    if (!step) return null;
    const device = store.controlDevice(step.control_device_id);
    const text = device && device.platform_id === job.platform_id ? stepText(step, device, catalogs, { job, values }) : null;
    const run: SendStepRun = {
      type: 'send',
      site_id: step.site_id,
      control_device_id: step.control_device_id,
      to: device?.phone ?? '',
      text: text?.ok ? text.text : '',
      state: 'created',
      attempt: 1,
      agent_seq: -1,
      expires_at: new Date(now + step.expires_s * 1000).toISOString(),
      dispatched_at: null,
    };
    const exec: Execution = {
      id: newId(now),
      platform_id: job.platform_id,
      job_id: job.id,
      job_name: job.name,
      device: job.device,
      trigger: { reason, values },
      state: 'created',
      step: 0,
      steps: [run],
      outcome: null,
      timeline: [{ at, step: null, state: 'created', detail: `fired: ${reason}` }],
      replies: [],
      event_seq: 0,
      created_at: at,
      updated_at: at,
    };
    let failure: FailureReason | undefined;
    if (!device || device.platform_id !== job.platform_id) failure = { code: 'invalid_action', message: `control device ${step.control_device_id} not found` };
    else if (!store.site(job.platform_id, step.site_id)) failure = { code: 'invalid_action', message: `site ${step.site_id} not found` };
    else if (text && !text.ok) failure = { code: 'invalid_action', message: `${text.field}: ${text.message}` };
    const event = executionEventSender(this.deps.mqtt, exec, at);
    await store.putExecution(exec);
    this.deps.onState?.(exec.platform_id, 'created');
    this.track(event());
    if (failure) {
      await this.setState(exec, 0, 'failed', failure.message, failure);
      return exec.id;
    }
    this.track(this.send(exec));
    return exec.id;
  }

  private track(p: Promise<void>): void {
    const q = p.catch((err: unknown) => this.deps.log.warn('publish failed', { error: (err as Error).message }));
    this.inflight.add(q);
    void q.finally(() => this.inflight.delete(q));
  }

  /** Publish the job of the execution's current step (QoS 1); `dispatched` on PUBACK. */
  private async send(exec: Execution): Promise<void> {
    const run = exec.steps[exec.step];
    if (!run || !this.deps.mqtt) return;
    const payload = encodePayload(jobRequest, {
      v: 1,
      type: 'job',
      execution_id: exec.id,
      job_id: exec.job_id,
      platform_id: exec.platform_id,
      site_id: run.site_id,
      to: run.to,
      text: run.text,
      created_at: exec.created_at,
      expires_at: run.expires_at,
      attempt: run.attempt,
      status_report: true,
    });
    await this.deps.mqtt.publish(siteTopic({ platform_id: exec.platform_id, site_id: run.site_id }, 'job'), payload, {});
    const cur = this.deps.store.execution(exec.id);
    if (cur && cur.steps[cur.step]?.state === 'created') {
      const r = cur.steps[cur.step] as SendStepRun;
      r.dispatched_at = new Date(this.deps.clock.now()).toISOString();
      await this.setState(cur, cur.step, 'dispatched', `attempt ${r.attempt}`);
    }
  }

  private async setState(exec: Execution, stepIndex: number, state: Execution['state'], detail?: string, reason?: FailureReason): Promise<void> {
    const at = new Date(this.deps.clock.now()).toISOString();
    const run = exec.steps[stepIndex] as SendStepRun;
    run.state = state;
    if (reason) run.reason = reason;
    exec.state = state;
    exec.event_seq++;
    exec.updated_at = at;
    exec.timeline.push({ at, step: stepIndex, state, ...(detail ? { detail } : {}) });
    const event = executionEventSender(this.deps.mqtt, exec, at, reason);
    await this.deps.store.putExecution(exec);
    this.deps.onState?.(exec.platform_id, state);
    this.track(event());
  }

  /** An agent update from topic `ref`; stale (seq) or foreign updates are dropped. */
  async handleUpdate(u: ExecutionUpdate): Promise<boolean> {
    const exec = this.deps.store.execution(u.execution_id);
    const run = exec?.steps[exec.step];
    if (!exec || !run || exec.platform_id !== u.platform_id || run.site_id !== u.site_id || u.seq <= run.agent_seq) {
      this.rejectedUpdates++;
      return false;
    }
    run.agent_seq = u.seq;
    if (u.message_refs) run.message_refs = u.message_refs;
    if (u.parts) run.parts = u.parts;
    const detail = u.reason ? `${u.reason.code}: ${u.reason.message}` : `attempt ${u.attempt}`;
    await this.setState(exec, exec.step, u.state, detail, u.reason);
    return true;
  }

  /** Re-send what the agent of a site has not acknowledged (site came back, or periodic sweep). */
  async resendPending(platformId?: string, siteId?: string, force = false): Promise<number> {
    const now = this.deps.clock.now();
    let sent = 0;
    for (const exec of this.deps.store.executionList(platformId)) {
      const run = exec.steps[exec.step];
      if (!run || run.agent_seq >= 0 || (siteId !== undefined && run.site_id !== siteId)) continue;
      if (run.state !== 'created' && run.state !== 'dispatched') continue;
      if (Date.parse(run.expires_at) <= now) {
        await this.setState(exec, exec.step, 'unacknowledged', 'expired before the agent accepted it', { code: 'unacknowledged', message: 'the agent never accepted the job before it expired' });
        continue;
      }
      if (!this.deps.isSiteOnline(exec.platform_id, run.site_id)) continue;
      const last = run.dispatched_at ? Date.parse(run.dispatched_at) : Date.parse(exec.created_at);
      if (!force && now - last < this.deps.resendAfterMs) continue;
      run.attempt++;
      run.dispatched_at = new Date(now).toISOString();
      await this.setState(exec, exec.step, 'dispatched', `re-sent, attempt ${run.attempt}`);
      this.track(this.send(exec));
      sent++;
    }
    return sent;
  }
}
