// Public execution events: every change of an execution goes to gsmjobs/v1/events/<p>/execution.
import { encodePayload, eventTopic, executionEvent, type FailureReason } from '../common/contract/index.js';
import type { Execution } from '../model/execution.js';
import type { MqttPublisher } from '../mqtt/adapter.js';

export function executionEventPayload(e: Execution, at: string, reason?: FailureReason): string {
  const step = e.steps[e.step];
  return encodePayload(executionEvent, {
    v: 1,
    type: 'execution',
    platform_id: e.platform_id,
    execution_id: e.id,
    job_id: e.job_id,
    job_name: e.job_name,
    site_id: step?.site_id ?? 'unknown',
    device: { key_type: e.device.key_type, key: e.device.key, ...(e.device.name ? { name: e.device.name } : {}) },
    ...(step?.control_device_id ? { control_device_id: step.control_device_id } : {}),
    state: e.state,
    at,
    ...(step ? { attempt: step.attempt } : {}),
    seq: e.event_seq,
    ...(reason ? { reason } : {}),
    ...(step?.message_refs ? { message_refs: step.message_refs } : {}),
  });
}

/** Snapshot the event now (the execution keeps changing) and return a function that publishes it. */
export function executionEventSender(mqtt: MqttPublisher | null, e: Execution, at: string, reason?: FailureReason): () => Promise<void> {
  const topic = eventTopic(e.platform_id, 'execution');
  const payload = executionEventPayload(e, at, reason);
  return async () => {
    if (mqtt) await mqtt.publish(topic, payload, {});
  };
}
