// Dry run (issue 10: "A dry run of a playbook says exactly what would be sent to whom, without sending").
import { describe, expect, it } from 'vitest';
import { loadCatalogs } from '../../../hub/catalog/catalog.js';
import type { ControlDevice } from '../../../hub/model/entities.js';
import { dryRun, type DryRunContext, type DrySms } from '../../../hub/remediation/dryrun.js';
import { playbook } from '../../../hub/remediation/playbook.js';
import { d210Playbook, T0 } from './fixtures.js';

const sock: ControlDevice = { id: 'sock1', platform_id: 'ar', name: 'Socket hall 1', phone: '+79990001111', model: 'SIMPAL_D210', site_ids: ['site-a'], created_at: '', updated_at: '' };

function ctx(over: Partial<DryRunContext> = {}): DryRunContext {
  return {
    platform_id: 'ar',
    job_id: 'job1',
    job: { name: 'Player 7 offline', device: { key_type: 'device_id', key: '10007', name: 'Player 7' }, conditions: [{ metric: 'signage_device_online', op: '==', value: 0 }] },
    values: { signage_device_online: 0 },
    controlDevices: new Map([['sock1', sock]]),
    catalogs: loadCatalogs(),
    onCall: ['+79991234567', '+79997654321'],
    endpoints: new Map([['wh1', { id: 'wh1', url: 'https://hooks.example.com/gsm', enabled: true }]]),
    urlPolicy: { allow_loopback: false, allow_private: false },
    now: T0,
    ...over,
  };
}

describe('dry run', () => {
  it('power-cycle and verify: both socket commands, the conditional second cycle, the on-call SMS and the webhook', () => {
    const r = dryRun(d210Playbook(), ctx());
    expect(r.decision).toBe('act');
    expect(r.errors).toEqual([]);
    const sms = r.steps.flatMap((s) => s.messages.filter((m): m is DrySms => m.channel === 'sms').map((m) => [s.index, m.site_id, m.to, m.text]));
    expect(sms).toEqual([
      [0, 'site-a', '+79990001111', '#12#0#1#1#'],
      [3, 'site-a', '+79990001111', '#12#0#5#1#'],
      [6, 'site-a', '+79991234567', 'Player 7 offline: Player 7 not recovered after power-cycles (not_recovered)'],
      [6, 'site-a', '+79997654321', 'Player 7 offline: Player 7 not recovered after power-cycles (not_recovered)'],
    ]);
    expect(r.steps.map((s) => s.runs_if_not_recovered_at)).toEqual([null, null, null, 2, 2, 2, 5]);
    expect(r.steps[2]).toMatchObject({ type: 'verify', duration_s: 300, holds_now: false });
    const wh = r.steps[6]?.messages.find((m) => m.channel === 'webhook');
    expect(wh).toMatchObject({ endpoint_id: 'wh1', url: 'https://hooks.example.com/gsm' });
    expect(JSON.parse(wh?.channel === 'webhook' ? wh.body : '{}')).toMatchObject({ type: 'execution.escalated', device: { key: '10007' } });
  });

  it('verify with no data says null', () => {
    expect(dryRun(d210Playbook(), ctx({ values: {} })).steps[2]?.holds_now).toBeNull();
  });

  it('device limit reached: only people are told, with the reason', () => {
    const r = dryRun(d210Playbook(), ctx({ device_check: { allowed: false, recent: 3, retry_at: T0 + 1, reason: 'device limit: 3 remediations in 24 h (max 3)' } }));
    expect(r.decision).toBe('escalate');
    expect(r.steps.filter((s) => s.messages.length > 0).map((s) => s.index)).toEqual([6]);
  });

  it('an open incident: hold', () => {
    const r = dryRun(d210Playbook(), ctx({ incident: { id: 'inc1', platform_id: 'ar', opened_at: T0, held: [], fleet: 10, rule: '5 of 10 devices', status: 'open', released_at: null, released_by: null } }));
    expect(r).toMatchObject({ decision: 'hold', reason: 'incident inc1: 5 of 10 devices' });
  });

  it('errors name the field: unknown device, wrong site, bad parameter, no on-call list, bad webhook target', () => {
    const p = playbook.parse([
      { type: 'send', site_id: 'site-b', control_device_id: 'sock1', command: { kind: 'catalog', command_id: '12_0_minutes_1', params: { minutes: 'x' } } },
      { type: 'send', site_id: 'site-a', control_device_id: 'ghost', command: { kind: 'text', text: 'hi' } },
      { type: 'notify', sms: { site_id: 'site-a', to: 'on_call' }, webhooks: ['wh1', 'nope'] },
    ]);
    const r = dryRun(p, ctx({ onCall: [], endpoints: new Map([['wh1', { id: 'wh1', url: 'http://127.0.0.1:9/x', enabled: true }]]) }));
    expect(r.errors).toEqual([
      { field: 'steps[0].site_id', message: 'Socket hall 1 does not obey site site-b' },
      { field: 'steps[0].command.params.minutes', message: 'must be a number' },
      { field: 'steps[1].control_device_id', message: 'no such control device' },
      { field: 'steps[2].sms.to', message: 'the platform has no on-call list' },
      { field: 'steps[2].webhooks', message: 'wh1: must not target a loopback address (allow_loopback is off)' },
      { field: 'steps[2].webhooks', message: 'no such webhook endpoint nope' },
    ]);
  });

  it('free text gets its placeholders, in Russian (UCS-2) with the part count', () => {
    const p = playbook.parse([{ type: 'send', site_id: 'site-a', control_device_id: 'sock1', command: { kind: 'text', text: 'Перезагрузка {device}: {metric}={value}' } }]);
    const m = dryRun(p, ctx()).steps[0]?.messages[0];
    expect(m).toMatchObject({ text: 'Перезагрузка Player 7: signage_device_online=0', encoding: 'ucs2', parts: 1 });
  });
});
