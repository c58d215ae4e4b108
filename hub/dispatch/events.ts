// Public execution events: every change of an execution goes to gsmjobs/v1/events/<p>/execution:
// message states (with the message's site, control device, attempt and references) and playbook
// steps (step, step_type, step_state, phase, outcome, time to recovery, escalation, incident).
import { encodePayload, eventTopic, executionEvent, type FailureReason } from '../common/contract/index.js';
import type { Execution, MessageRun } from '../model/execution.js';
import { executionView } from '../model/execution-view.js';
import type { MqttPublisher } from '../mqtt/adapter.js';
import { stepSites } from '../model/steps.js';

export interface EventDetail {
  reason?: FailureReason;
  /** The message this event is about (a dispatch state change). */
  message?: MessageRun;
  /** A playbook step event: its index and what happened. */
  step?: { index: number | null; state: string };
}

export function executionEventPayload(exec: Execution, at: string, d: EventDetail = {}): string {
  const e = executionView(exec);
  const msg = d.message ?? e.messages[e.messages.length - 1];
  const site = msg?.site_id ?? stepSites(e.playbook)[0] ?? 'none';
  const stepIndex = d.step ? (d.step.index ?? undefined) : d.message?.step;
  const stepType = stepIndex !== undefined ? e.playbook[stepIndex]?.type : undefined;
  return encodePayload(executionEvent, {
    v: 1,
    type: 'execution',
    platform_id: e.platform_id,
    execution_id: e.id,
    job_id: e.job_id,
    job_name: e.job_name,
    site_id: site,
    device: { key_type: e.device.key_type, key: e.device.key, ...(e.device.name ? { name: e.device.name } : {}) },
    ...(msg?.control_device_id ? { control_device_id: msg.control_device_id } : {}),
    // A message's event carries that message's state (as the wire contract always did).
    state: d.message && d.message.state !== 'queued' ? d.message.state : e.state,
    at,
    ...(msg ? { attempt: msg.attempt } : {}),
    seq: e.event_seq,
    ...(d.reason ? { reason: d.reason } : {}),
    ...(msg?.message_refs ? { message_refs: msg.message_refs } : {}),
    ...(stepIndex !== undefined ? { step: stepIndex } : {}),
    ...(stepType ? { step_type: stepType } : {}),
    ...(d.step ? { step_state: d.step.state.slice(0, 40) } : {}),
    phase: e.phase,
    ...(e.outcome ? { outcome: e.outcome } : {}),
    ...(e.ttr_ms !== null ? { ttr_s: Math.round(e.ttr_ms / 100) / 10 } : {}),
    ...(e.escalated ? { escalated: true } : {}),
    ...(e.incident_id ? { incident_id: e.incident_id } : {}),
  });
}

/** Snapshot the event now (the execution keeps changing) and return a function that publishes it. */
export function executionEventSender(mqtt: MqttPublisher | null, e: Execution, at: string, d: EventDetail = {}): () => Promise<void> {
  const topic = eventTopic(e.platform_id, 'execution');
  const payload = executionEventPayload(e, at, d);
  return async () => {
    if (mqtt) await mqtt.publish(topic, payload, {});
  };
}
