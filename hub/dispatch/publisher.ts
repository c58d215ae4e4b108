// The MQTT side of dispatch, with no state of its own: a message of an execution becomes a QoS 1
// job message to its site (with its `accept_by` when it has backup sites), a move to a backup
// site becomes a QoS 1 cancel to the old site, and a change already persisted becomes a public
// execution event.
// The engine (hub/remediation/engine.ts) writes first and then calls these; what they resolve
// to it records itself (the publisher never writes an execution).
import type { Clock } from '../common/clock.js';
import { encodePayload, jobCancel, jobRequest, siteTopic } from '../common/contract/index.js';
import type { Logger } from '../common/log.js';
import type { Execution, MessageRun } from '../model/execution.js';
import type { MqttPublisher } from '../mqtt/adapter.js';
import { crashPoint } from './crash-point.js';
import { type EventDetail, executionEventSender } from './events.js';

export class JobPublisher {
  private readonly inflight = new Set<Promise<void>>();

  constructor(private readonly deps: { mqtt: MqttPublisher | null; clock: Clock; log: Logger }) {}

  /** Wait until every publish started so far has settled (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.inflight.size) await Promise.allSettled([...this.inflight]);
  }

  track(p: Promise<void>): void {
    const q = p.catch((err: unknown) => this.deps.log.warn('publish failed', { error: (err as Error).message }));
    this.inflight.add(q);
    void q.finally(() => this.inflight.delete(q));
  }

  /** Snapshot the public event of a change now; the returned function publishes it (after the write). */
  eventOf(exec: Execution, d: EventDetail = {}): () => Promise<void> {
    return executionEventSender(this.deps.mqtt, exec, new Date(this.deps.clock.now()).toISOString(), d);
  }

  /** Publish the public event of a change already persisted. */
  event(exec: Execution, d: EventDetail = {}): void {
    this.track(this.eventOf(exec, d)());
  }

  /** Publish a message as a job to its site; resolves true once the broker has it (false: no MQTT). */
  async publishJob(exec: Execution, msg: MessageRun): Promise<boolean> {
    if (!this.deps.mqtt) return false;
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
      ...(msg.accept_by ? { accept_by: msg.accept_by } : {}),
    });
    if (msg.hops?.length) crashPoint('before_move_publish', [exec.job_id]);
    crashPoint('before_publish', [exec.job_id]);
    await this.deps.mqtt.publish(siteTopic({ platform_id: exec.platform_id, site_id: msg.site_id }, 'job'), payload, {});
    crashPoint('after_publish', [exec.job_id]);
    return true;
  }

  /** Tell a site not to send attempts up to `attempt` of a message the hub moved away from it (issue 19; QoS 1). */
  async publishCancel(exec: Execution, msg: MessageRun, siteId: string, attempt: number, reason: string): Promise<boolean> {
    if (!this.deps.mqtt) return false;
    const payload = encodePayload(jobCancel, {
      v: 1,
      type: 'cancel',
      execution_id: msg.wire_id,
      job_id: exec.job_id,
      platform_id: exec.platform_id,
      site_id: siteId,
      attempt,
      at: new Date(this.deps.clock.now()).toISOString(),
      reason: reason.slice(0, 200),
    });
    await this.deps.mqtt.publish(siteTopic({ platform_id: exec.platform_id, site_id: siteId }, 'cancel'), payload, {});
    return true;
  }
}
