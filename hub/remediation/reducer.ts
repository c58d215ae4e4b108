// The playbook execution state machine (issue 10, "Playbooks"), pure:
//   reduce(state, event, now) -> { state, effects }
// Effects are commands for the shell (dispatch an SMS, notify, send a webhook, schedule a timer,
// watch a verification). Every outbound effect carries a stable key; the shell acknowledges it
// once it is durably in its outbox (`ack`), and only unacknowledged keys are emitted again after
// a restart, so nothing that was sent is sent twice. Every step and outcome goes to the timeline.
// Outcomes: recovered (with the time to recovery, from the last command to the first good sample),
// not_recovered (the next step runs), unknown (no data newer than the verify step).
import { renderTemplate } from '../core/template.js';
import type { NotifyStep, StepV2 } from './playbook.js';
import type { Effect, RunEvent, RunState, WebhookEvent } from './run.js';

export interface Reduced {
  state: RunState;
  effects: Effect[];
}

/** How long after a send step's own expiry the machine stops waiting for its result. */
export const SEND_GRACE_MS = 5 * 60_000;
/** How long a notify step waits for the outbox to take its messages before moving on. */
export const NOTIFY_ACK_MS = 60_000;

type Draft = RunState;

function log(s: Draft, at: number, step: number | null, state: string, detail?: string): void {
  s.timeline.push(detail === undefined ? { at, step, state } : { at, step, state, detail });
}

function current(s: Draft): StepV2 | undefined {
  return s.steps[s.idx];
}

function sendKey(s: Draft, i: number): string {
  return `${s.id}:${i}:send`;
}

export function notifyEffects(s: Draft, i: number, step: NotifyStep, now: number): Effect[] {
  const ttr_s = s.ttr_ms === null ? null : Math.round(s.ttr_ms / 1000);
  const outcome = s.outcome ?? (s.escalated ? 'escalated' : null);
  const text = renderTemplate(step.text, {
    device: s.device.name || s.device.key,
    device_key: s.device.key,
    job: s.job_name,
    outcome: outcome ?? 'none',
    ttr_s: ttr_s ?? '?',
    step: i,
  });
  const out: Effect[] = [];
  if (step.sms) out.push({ type: 'notify_sms', key: `${s.id}:${i}:sms`, step: i, site_id: step.sms.site_id, to: step.sms.to, text });
  for (const endpoint_id of step.webhooks) {
    const event: WebhookEvent = {
      type: s.escalated ? 'execution.escalated' : 'execution.notify',
      execution_id: s.id,
      platform_id: s.platform_id,
      job_id: s.job_id,
      job_name: s.job_name,
      device: s.device,
      outcome: s.outcome,
      ttr_s,
      escalation_reason: s.escalation_reason,
      step: i,
      text,
      at: new Date(now).toISOString(),
    };
    out.push({ type: 'webhook', key: `${s.id}:${i}:wh:${endpoint_id}`, step: i, endpoint_id, event });
  }
  return out;
}

function finish(s: Draft, now: number, fx: Effect[]): void {
  s.phase = 'done';
  s.deadline_at = null;
  s.step_at = null;
  log(s, now, null, 'finished', s.outcome ?? (s.escalated ? 'escalated' : 'no outcome'));
  fx.push({ type: 'finished', outcome: s.outcome, ttr_ms: s.ttr_ms, escalated: s.escalated });
}

/** Enter step i (or the first later step allowed); ends the run past the last step. */
function enterStep(s: Draft, i: number, now: number, fx: Effect[]): void {
  while (i < s.steps.length && s.notify_only && s.steps[i]?.type !== 'notify') {
    log(s, now, i, 'skipped', 'escalation: only notify steps run');
    i++;
  }
  const step = s.steps[i];
  s.idx = i;
  s.pending = [];
  s.send_state = null;
  if (!step) return finish(s, now, fx);
  s.step_at = now;
  log(s, now, i, 'started', step.type);
  switch (step.type) {
    case 'send': {
      const key = sendKey(s, i);
      s.pending = [key];
      s.deadline_at = now + step.expires_s * 1000 + SEND_GRACE_MS;
      fx.push({ type: 'dispatch_sms', key, step: i, send: step }, { type: 'timer', at: s.deadline_at });
      return;
    }
    case 'wait':
      s.deadline_at = now + step.duration_s * 1000;
      fx.push({ type: 'timer', at: s.deadline_at });
      return;
    case 'verify':
      s.verify_seen = false;
      s.verify_holds_since = null;
      s.deadline_at = now + step.within_s * 1000;
      fx.push({ type: 'watch', step: i, conditions: step.conditions, combine: step.combine, since: now }, { type: 'timer', at: s.deadline_at });
      return;
    case 'notify': {
      if (s.outcome === 'not_recovered' || s.outcome === 'unknown') {
        if (!s.escalated) log(s, now, i, 'escalated', s.outcome);
        s.escalated = true;
      }
      const effects = notifyEffects(s, i, step, now);
      s.pending = effects.map((e) => ('key' in e ? e.key : ''));
      s.deadline_at = now + NOTIFY_ACK_MS;
      fx.push(...effects, { type: 'timer', at: s.deadline_at });
      return;
    }
  }
}

/** The deadline of the current step passed. */
function onDeadline(s: Draft, now: number, fx: Effect[]): void {
  const step = current(s);
  if (s.step_at === null) return enterStep(s, s.idx, now, fx); // settle delay over
  if (!step) return finish(s, now, fx);
  switch (step.type) {
    case 'send':
      log(s, now, s.idx, 'uncertain', 'no dispatch result before the deadline');
      s.send_state = 'uncertain';
      return enterStep(s, s.idx + 1, now, fx);
    case 'wait':
      log(s, now, s.idx, 'waited');
      return enterStep(s, s.idx + 1, now, fx);
    case 'verify': {
      fx.push({ type: 'unwatch' });
      const outcome = s.verify_seen ? 'not_recovered' : 'unknown';
      s.outcome = outcome;
      log(s, now, s.idx, outcome, outcome === 'unknown' ? 'no data before the deadline' : 'condition did not hold before the deadline');
      if (outcome === 'unknown') {
        if (step.on_unknown === 'stop') return finish(s, now, fx);
        if (step.on_unknown === 'notify_only') s.notify_only = true;
      }
      return enterStep(s, s.idx + 1, now, fx);
    }
    case 'notify':
      log(s, now, s.idx, 'notify_unconfirmed', `outbox did not take ${s.pending.join(', ')}`);
      return enterStep(s, s.idx + 1, now, fx);
  }
}

function onAck(s: Draft, key: string, now: number, fx: Effect[]): void {
  const at = s.pending.indexOf(key);
  if (at < 0) return;
  s.pending.splice(at, 1);
  s.acked.push(key);
  const step = current(s);
  if (step?.type === 'send') {
    s.last_send_at = now;
    log(s, now, s.idx, 'dispatched');
  } else if (step?.type === 'notify' && s.pending.length === 0 && s.phase === 'running') {
    log(s, now, s.idx, 'notified');
    enterStep(s, s.idx + 1, now, fx);
  }
}

function onSample(s: Draft, holds: boolean | undefined, dataAt: number, now: number, fx: Effect[]): void {
  const step = current(s);
  if (step?.type !== 'verify' || s.step_at === null || dataAt < s.step_at || holds === undefined) return;
  s.verify_seen = true;
  if (!holds) {
    s.verify_holds_since = null;
    return;
  }
  s.verify_holds_since ??= dataAt;
  if (dataAt - s.verify_holds_since < step.hold_s * 1000) return;
  s.outcome = 'recovered';
  s.ttr_ms = Math.max(0, s.verify_holds_since - (s.last_send_at ?? s.step_at));
  log(s, now, s.idx, 'recovered', `time to recovery ${Math.round(s.ttr_ms / 1000)} s`);
  fx.push({ type: 'unwatch' });
  finish(s, now, fx);
}

/** Re-emit what is outstanding for the current step (restart, release). */
function resume(s: Draft, now: number, fx: Effect[]): void {
  const step = current(s);
  if (s.step_at === null || !step) {
    if (s.deadline_at !== null) fx.push({ type: 'timer', at: s.deadline_at });
    return;
  }
  if (step.type === 'send' && s.pending.length > 0) fx.push({ type: 'dispatch_sms', key: sendKey(s, s.idx), step: s.idx, send: step });
  if (step.type === 'verify') fx.push({ type: 'watch', step: s.idx, conditions: step.conditions, combine: step.combine, since: s.step_at });
  if (step.type === 'notify') fx.push(...notifyEffects(s, s.idx, step, now).filter((e) => 'key' in e && s.pending.includes(e.key)));
  if (s.deadline_at !== null) fx.push({ type: 'timer', at: s.deadline_at });
}

function draft(s: RunState): Draft {
  return { ...s, pending: [...s.pending], acked: [...s.acked], timeline: [...s.timeline] };
}

/** A sample that changes nothing: not verifying, stale or no data, or "still down" again. */
function sampleIsNoop(s: RunState, ev: Extract<RunEvent, { type: 'sample' }>): boolean {
  if (s.phase !== 'running' || s.step_at === null || s.steps[s.idx]?.type !== 'verify') return true;
  if (ev.holds === undefined || ev.data_at < s.step_at) return true;
  return ev.holds === false && s.verify_seen && s.verify_holds_since === null;
}

export function reduce(prev: RunState, ev: RunEvent, now: number): Reduced {
  // Fast paths: a tick before the deadline and a sample that changes nothing return the same
  // object (most of 10,000 runs each cycle), so the shell persists only what changed.
  if (ev.type === 'tick' && (prev.phase !== 'running' || prev.deadline_at === null || now < prev.deadline_at)) return { state: prev, effects: [] };
  if (ev.type === 'sample' && sampleIsNoop(prev, ev)) return { state: prev, effects: [] };
  if (prev.phase === 'done') return { state: prev, effects: [] };
  const s = draft(prev);
  const fx: Effect[] = [];
  switch (ev.type) {
    case 'start':
      if (s.phase !== 'armed') break;
      s.phase = 'running';
      if (ev.escalate) {
        s.escalated = true;
        s.notify_only = true;
        s.escalation_reason = ev.escalate;
        log(s, now, null, 'escalated', ev.escalate);
      }
      if (now < s.act_at) {
        s.deadline_at = s.act_at;
        log(s, now, null, 'settling', `acts at ${new Date(s.act_at).toISOString()}`);
        fx.push({ type: 'timer', at: s.act_at });
      } else enterStep(s, 0, now, fx);
      break;
    case 'tick':
      onDeadline(s, now, fx);
      break;
    case 'ack':
      if (s.phase === 'running' || s.phase === 'held') onAck(s, ev.key, now, fx);
      break;
    case 'send_result': {
      if (s.phase === 'armed' || ev.step !== s.idx || current(s)?.type !== 'send' || s.step_at === null || s.send_state !== null) break;
      const key = sendKey(s, s.idx);
      if (s.pending.includes(key)) onAck(s, key, now, fx);
      s.send_state = ev.state;
      log(s, now, s.idx, ev.state, ev.detail);
      // While held the result is recorded; the next step waits for the release.
      if (s.phase === 'running') enterStep(s, s.idx + 1, now, fx);
      break;
    }
    case 'sample':
      if (s.phase === 'running') onSample(s, ev.holds, ev.data_at, now, fx);
      break;
    case 'hold':
      if (s.phase === 'held') break;
      if (current(s)?.type === 'verify') fx.push({ type: 'unwatch' });
      s.phase = 'held';
      s.incident_id = ev.incident_id;
      log(s, now, s.step_at === null ? null : s.idx, 'held', `incident ${ev.incident_id}`);
      break;
    case 'release': {
      if (s.phase !== 'held') break;
      s.phase = 'running';
      log(s, now, null, 'released', ev.by);
      const step = current(s);
      // Time passed while held: a settle delay, wait or verify starts afresh; a send that was
      // handed over is not repeated, one that was not is re-emitted with the same key.
      if (s.step_at === null || step?.type === 'wait' || step?.type === 'verify') enterStep(s, s.idx, now, fx);
      else if ((step?.type === 'send' && s.send_state !== null) || (step?.type === 'notify' && s.pending.length === 0)) enterStep(s, s.idx + 1, now, fx);
      else resume(s, now, fx);
      break;
    }
    case 'cancel':
      if (current(s)?.type === 'verify' && s.phase === 'running') fx.push({ type: 'unwatch' });
      log(s, now, null, 'cancelled', ev.by);
      finish(s, now, fx);
      break;
    case 'restart':
      log(s, now, s.step_at === null ? null : s.idx, 'resumed', `phase ${s.phase}`);
      if (s.phase === 'running') resume(s, now, fx);
      break;
  }
  return { state: s, effects: fx };
}

/** Apply several events in order (tests, replay). */
export function reduceAll(s: RunState, events: ReadonlyArray<readonly [RunEvent, number]>): Reduced {
  const effects: Effect[] = [];
  for (const [ev, at] of events) {
    const r = reduce(s, ev, at);
    s = r.state;
    effects.push(...r.effects);
  }
  return { state: s, effects };
}
