// Dispatch: the SMS of an execution (its `messages`) become QoS 1 job messages to their sites.
// The execution record is written first, then published. The dispatcher follows the agent's
// updates (ordered by seq, matched by the message's wire id), re-sends messages the agent has not
// acknowledged when the site comes back (attempt + 1), marks them unacknowledged at expiry, and
// publishes every change on the platform's public execution topic. What to send and when is the
// playbook engine's business (hub/remediation/engine.ts); it hears every message state here.
import type { Clock } from '../common/clock.js';
import { encodePayload, type ExecutionUpdate, type FailureReason, jobRequest, siteTopic } from '../common/contract/index.js';
import type { Logger } from '../common/log.js';
import { type Execution, executionIdOf, type MessageRun, type MessageState } from '../model/execution.js';
import type { MqttPublisher } from '../mqtt/adapter.js';
import type { LeaderStore } from '../store/leader-store.js';
import { type EventDetail, executionEventSender } from './events.js';
import { crashPoint } from './crash-point.js';
import type { OnRejected } from './refusals.js';

export interface DispatcherDeps {
  store: LeaderStore;
  mqtt: MqttPublisher | null;
  clock: Clock;
  log: Logger;
  isSiteOnline: (platformId: string, siteId: string) => boolean;
  /** Re-send an unacknowledged job to an online site after this long. */
  resendAfterMs: number;
  onState?: (platformId: string, state: string) => void;
  /** A message changed state (after it was persisted): the playbook engine listens. */
  onMessageState?: (exec: Execution, message: MessageRun) => Promise<void>;
  /** An agent update was refused (counted in /metrics). */
  onRejected?: OnRejected;
}

export class Dispatcher {
  private readonly inflight = new Set<Promise<void>>();
  rejectedUpdates = 0;

  constructor(private readonly deps: DispatcherDeps) {}

  /** Wait until every publish started so far has settled (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.inflight.size) await Promise.allSettled([...this.inflight]);
  }

  track(p: Promise<void>): void {
    const q = p.catch((err: unknown) => this.deps.log.warn('publish failed', { error: (err as Error).message }));
    this.inflight.add(q);
    void q.finally(() => this.inflight.delete(q));
  }

  /** Publish the public event of a change already persisted. */
  event(exec: Execution, d: EventDetail = {}): void {
    const at = new Date(this.deps.clock.now()).toISOString();
    this.track(executionEventSender(this.deps.mqtt, exec, at, d)());
  }

  /** Publish a message that is `created` (persisted by the caller). */
  publish(exec: Execution, msg: MessageRun): void {
    this.track(this.send(exec.id, msg.wire_id));
  }

  private async send(execId: string, wireId: string): Promise<void> {
    const exec = this.deps.store.execution(execId);
    const msg = exec?.messages.find((m) => m.wire_id === wireId);
    if (!exec || !msg || !this.deps.mqtt) return;
    const payload = encodePayload(jobRequest, {
      v: 1,
      type: 'job',
      execution_id: msg.wire_id,
      job_id: exec.job_id,
      platform_id: exec.platform_id,
      site_id: msg.site_id,
      to: msg.to,
      text: msg.text,
      created_at: exec.created_at,
      expires_at: msg.expires_at,
      attempt: msg.attempt,
      status_report: true,
    });
    crashPoint('before_publish', [exec.job_id]);
    await this.deps.mqtt.publish(siteTopic({ platform_id: exec.platform_id, site_id: msg.site_id }, 'job'), payload, {});
    crashPoint('after_publish', [exec.job_id]);
    const cur = this.deps.store.execution(execId);
    const m = cur?.messages.find((x) => x.wire_id === wireId);
    if (cur && m && m.state === 'created') {
      m.dispatched_at = new Date(this.deps.clock.now()).toISOString();
      await this.setState(cur, m, 'dispatched', `attempt ${m.attempt}`);
    }
  }

  /** Change a message's state: persist, count, publish the event, tell the engine. */
  async setState(exec: Execution, msg: MessageRun, state: MessageState, detail?: string, reason?: FailureReason): Promise<void> {
    const at = new Date(this.deps.clock.now()).toISOString();
    msg.state = state;
    if (reason) msg.reason = reason;
    if (state !== 'queued') exec.state = state;
    exec.event_seq++;
    exec.updated_at = at;
    exec.timeline.push({ at, step: msg.step, state, ...(detail ? { detail: `${msg.to}: ${detail}` } : { detail: msg.to }) });
    const event = executionEventSender(this.deps.mqtt, exec, at, { message: msg, ...(reason ? { reason } : {}) });
    await this.deps.store.putExecution(exec);
    this.deps.onState?.(exec.platform_id, state);
    this.track(event());
    await this.deps.onMessageState?.(exec, msg);
  }

  /** An agent update; stale (seq), unknown or foreign updates are dropped. */
  async handleUpdate(u: ExecutionUpdate): Promise<boolean> {
    const exec = this.deps.store.execution(executionIdOf(u.execution_id));
    const msg = exec?.messages.find((m) => m.wire_id === u.execution_id);
    const reason = !exec || !msg ? 'unknown_execution' : exec.platform_id !== u.platform_id || msg.site_id !== u.site_id ? 'site_mismatch' : u.seq <= msg.agent_seq ? 'stale' : null;
    if (reason || !exec || !msg) {
      this.rejectedUpdates++;
      this.deps.onRejected?.({ platform_id: u.platform_id, site_id: u.site_id }, 'update', reason ?? 'unknown_execution');
      if (reason !== 'stale') this.deps.log.warn('update refused', { platform_id: u.platform_id, site_id: u.site_id, execution_id: u.execution_id, reason });
      return false;
    }
    msg.agent_seq = u.seq;
    if (u.message_refs) msg.message_refs = u.message_refs;
    if (u.parts) msg.parts = u.parts;
    const detail = u.reason ? `${u.reason.code}: ${u.reason.message}` : `attempt ${u.attempt}`;
    await this.setState(exec, msg, u.state, detail, u.reason);
    return true;
  }

  /** Re-send what the agent of a site has not acknowledged (site came back, or periodic sweep). */
  async resendPending(platformId?: string, siteId?: string, force = false): Promise<number> {
    const now = this.deps.clock.now();
    let sent = 0;
    for (const exec of this.deps.store.executionList(platformId)) {
      for (const msg of exec.messages) {
        if (msg.agent_seq >= 0 || (siteId !== undefined && msg.site_id !== siteId)) continue;
        if (msg.state !== 'created' && msg.state !== 'dispatched') continue;
        if (Date.parse(msg.expires_at) <= now) {
          await this.setState(exec, msg, 'unacknowledged', 'expired before the agent accepted it', { code: 'unacknowledged', message: 'the agent never accepted the job before it expired' });
          continue;
        }
        if (!this.deps.isSiteOnline(exec.platform_id, msg.site_id)) continue;
        const last = msg.dispatched_at ? Date.parse(msg.dispatched_at) : Date.parse(exec.created_at);
        if (!force && now - last < this.deps.resendAfterMs) continue;
        msg.attempt++;
        msg.dispatched_at = new Date(now).toISOString();
        await this.setState(exec, msg, 'dispatched', `re-sent, attempt ${msg.attempt}`);
        this.track(this.send(exec.id, msg.wire_id));
        sent++;
      }
    }
    return sent;
  }
}
