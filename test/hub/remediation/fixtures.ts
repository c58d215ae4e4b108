// Shared plain values for the remediation tests: a D210 power-cycle playbook and a run factory.
import { powerCycleTemplate, type Playbook } from '../../../hub/remediation/playbook.js';
import { createRun, type RunState, type WebhookEvent } from '../../../hub/remediation/run.js';

export const T0 = Date.parse('2026-11-25T08:00:00Z');
export const S = 1000;
export const MIN = 60 * S;

export function d210Playbook(): Playbook {
  return powerCycleTemplate({
    model: 'SIMPAL_D210',
    site_id: 'site-a',
    control_device_id: 'sock1',
    off_min: 1,
    long_off_min: 5,
    boot_s: 300,
    notify: { sms: { site_id: 'site-a', to: 'on_call' }, webhooks: ['wh1'] },
  });
}

export function newRun(steps: Playbook = d210Playbook(), id = 'ex1', settle_ms = 0): RunState {
  return createRun({ id, platform_id: 'ar', job_id: 'job1', job_name: 'Player 7 offline', device: { key: '10007', name: 'Player 7' }, steps, settle_ms }, T0);
}

/** The webhook event of an escalated execution (pure and I/O webhook tests). */
export function escalatedEvent(at: number, text = 'Player 7 not recovered'): WebhookEvent {
  return {
    type: 'execution.escalated',
    execution_id: 'ex1',
    platform_id: 'ar',
    job_id: 'job1',
    job_name: 'Player 7 offline',
    device: { key: '10007', name: 'Player 7' },
    outcome: 'not_recovered',
    ttr_s: null,
    escalation_reason: null,
    step: 6,
    text,
    at: new Date(at).toISOString(),
  };
}
