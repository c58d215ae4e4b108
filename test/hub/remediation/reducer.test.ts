// The playbook execution state machine: every outcome, deadlines, restarts in every state
// (issue 10, "Tests": "Pure tests for the playbook state machine").
import { describe, expect, it } from 'vitest';
import { reduce, reduceAll, SEND_GRACE_MS, NOTIFY_ACK_MS } from '../../../hub/remediation/reducer.js';
import { runState, type Effect, type RunEvent, type RunState } from '../../../hub/remediation/run.js';
import { playbook } from '../../../hub/remediation/playbook.js';
import { d210Playbook, MIN, newRun, S, T0 } from './fixtures.js';

type Step = readonly [RunEvent, number];

/** A persisted round trip: JSON text, parsed back through the schema (what a restart reads). */
function persist(s: RunState): RunState {
  return runState.parse(JSON.parse(JSON.stringify(s)));
}

const keysOf = (fx: Effect[]) => fx.flatMap((e) => ('key' in e ? [e.key] : []));
const states = (s: RunState) => s.timeline.map((t) => t.state);

/** Start, hand the first send to the outbox and report it sent; returns the state in the wait step. */
function sentFirst(s = newRun()): RunState {
  return reduceAll(s, [
    [{ type: 'start' }, T0],
    [{ type: 'ack', key: 'ex1:0:send' }, T0 + 1 * S],
    [{ type: 'send_result', step: 0, state: 'sent', ok: true }, T0 + 10 * S],
  ]).state;
}

describe('power-cycle and verify: outcomes', () => {
  it('recovered after the first power-off: ends with the time to recovery, no second cycle, nobody notified', () => {
    const r = reduceAll(newRun(), [
      [{ type: 'start' }, T0],
      [{ type: 'ack', key: 'ex1:0:send' }, T0 + 2 * S],
      [{ type: 'send_result', step: 0, state: 'sent', ok: true }, T0 + 10 * S],
      [{ type: 'tick' }, T0 + 10 * S + MIN], // wait over -> verify
      [{ type: 'sample', holds: false, data_at: T0 + 100 * S }, T0 + 100 * S],
      [{ type: 'sample', holds: true, data_at: T0 + 152 * S }, T0 + 155 * S],
    ]);
    expect(r.state.phase).toBe('done');
    expect(r.state.outcome).toBe('recovered');
    expect(r.state.ttr_ms).toBe(150 * S); // from the dispatch (ack at +2 s) to the good sample's time
    expect(r.effects.filter((e) => e.type === 'dispatch_sms')).toHaveLength(1);
    expect(r.effects.some((e) => e.type === 'notify_sms' || e.type === 'webhook')).toBe(false);
    expect(r.effects.at(-1)).toEqual({ type: 'finished', outcome: 'recovered', ttr_ms: 150 * S, escalated: false });
    expect(states(r.state)).toEqual(['created', 'started', 'dispatched', 'sent', 'started', 'waited', 'started', 'recovered', 'finished']);
  });

  it('not recovered: the longer power-off runs, then people are notified (SMS + webhook) and the run is escalated', () => {
    let s = sentFirst();
    let r = reduce(s, { type: 'tick' }, T0 + 10 * S + MIN);
    expect(r.effects.find((e) => e.type === 'watch')).toMatchObject({ step: 2, since: T0 + 70 * S });
    s = reduceAll(r.state, [[{ type: 'sample', holds: false, data_at: T0 + 90 * S }, T0 + 90 * S]]).state;
    r = reduce(s, { type: 'tick' }, T0 + 70 * S + 300 * S);
    expect(r.state.outcome).toBe('not_recovered');
    const second = r.effects.find((e) => e.type === 'dispatch_sms');
    expect(second).toMatchObject({ key: 'ex1:3:send', send: { command: { command_id: '12_0_minutes_1', params: { minutes: 5 } } } });
    const t1 = T0 + 370 * S;
    r = reduceAll(r.state, [
      [{ type: 'send_result', step: 3, state: 'delivered', ok: true }, t1 + 5 * S],
      [{ type: 'tick' }, t1 + 5 * S + 5 * MIN],
      [{ type: 'sample', holds: false, data_at: t1 + 400 * S }, t1 + 400 * S],
      [{ type: 'tick' }, t1 + 5 * S + 5 * MIN + 300 * S],
    ]);
    expect(r.state.escalated).toBe(true);
    expect(r.state.outcome).toBe('not_recovered');
    const sms = r.effects.find((e) => e.type === 'notify_sms');
    expect(sms).toMatchObject({ site_id: 'site-a', to: 'on_call', text: 'Player 7 offline: Player 7 not recovered after power-cycles (not_recovered)' });
    const wh = r.effects.find((e) => e.type === 'webhook');
    expect(wh).toMatchObject({ endpoint_id: 'wh1', event: { type: 'execution.escalated', execution_id: 'ex1', outcome: 'not_recovered', device: { key: '10007' } } });
    expect(r.state.phase).toBe('running'); // until the outbox takes both
    r = reduceAll(r.state, [
      [{ type: 'ack', key: 'ex1:6:wh:wh1' }, t1 + 700 * S],
      [{ type: 'ack', key: 'ex1:6:sms' }, t1 + 701 * S],
    ]);
    expect(r.state.phase).toBe('done');
    expect(r.effects.at(-1)).toEqual({ type: 'finished', outcome: 'not_recovered', ttr_ms: null, escalated: true });
    expect(states(r.state).filter((x) => x === 'not_recovered')).toHaveLength(2);
  });

  it('recovered at the second verify: no notification', () => {
    let r = reduceAll(reduce(sentFirst(), { type: 'tick' }, T0 + 70 * S).state, [
      [{ type: 'sample', holds: false, data_at: T0 + 80 * S }, T0 + 80 * S],
      [{ type: 'tick' }, T0 + 370 * S],
      [{ type: 'ack', key: 'ex1:3:send' }, T0 + 371 * S],
      [{ type: 'send_result', step: 3, state: 'sent', ok: true }, T0 + 380 * S],
      [{ type: 'tick' }, T0 + 680 * S],
      [{ type: 'sample', holds: true, data_at: T0 + 900 * S }, T0 + 905 * S],
    ]);
    expect(r.state.outcome).toBe('recovered');
    expect(r.state.ttr_ms).toBe(529 * S);
    expect(r.effects.some((e) => e.type === 'notify_sms')).toBe(false);
    r = reduce(r.state, { type: 'sample', holds: false, data_at: T0 + 1000 * S }, T0 + 1000 * S);
    expect(r.state.outcome).toBe('recovered'); // done runs ignore events
  });

  it('unknown (no data): no blind second power-cycle, only the notify steps run', () => {
    const r = reduceAll(sentFirst(), [
      [{ type: 'tick' }, T0 + 70 * S],
      [{ type: 'sample', holds: undefined, data_at: T0 + 80 * S }, T0 + 80 * S],
      [{ type: 'sample', holds: true, data_at: T0 + 60 * S }, T0 + 90 * S], // older than the step: stale
      [{ type: 'tick' }, T0 + 370 * S],
    ]);
    expect(r.state.outcome).toBe('unknown');
    expect(r.effects.some((e) => e.type === 'dispatch_sms')).toBe(false);
    expect(states(r.state)).toContain('skipped');
    expect(r.state.idx).toBe(6);
    expect(r.effects.find((e) => e.type === 'notify_sms')).toBeDefined();
  });

  it('on_unknown stop / continue', () => {
    const base = [
      { type: 'send', site_id: 's', control_device_id: 'c', command: { kind: 'text', text: 'reboot' } },
      { type: 'verify', conditions: [{ metric: 'up', op: '==', value: 1 }], within_s: 60 },
      { type: 'send', site_id: 's', control_device_id: 'c', command: { kind: 'text', text: 'again' } },
    ];
    const run = (on_unknown: string) =>
      reduceAll(newRun(playbook.parse([base[0], { ...base[1], on_unknown }, base[2]])), [
        [{ type: 'start' }, T0],
        [{ type: 'send_result', step: 0, state: 'sent', ok: true }, T0 + S],
        [{ type: 'tick' }, T0 + 61 * S],
      ]);
    const stop = run('stop');
    expect(stop.state.phase).toBe('done');
    expect(stop.state.outcome).toBe('unknown');
    const cont = run('continue');
    expect(cont.effects.filter((e) => e.type === 'dispatch_sms').map((e) => e.key)).toEqual(['ex1:0:send', 'ex1:2:send']);
  });

  it('hold_s: a single good sample is not enough; the condition must hold without interruption', () => {
    const p = playbook.parse([
      { type: 'send', site_id: 's', control_device_id: 'c', command: { kind: 'text', text: 'x' } },
      { type: 'verify', conditions: [{ metric: 'up', op: '==', value: 1 }], within_s: 600, hold_s: 60 },
    ]);
    const r = reduceAll(newRun(p), [
      [{ type: 'start' }, T0],
      [{ type: 'send_result', step: 0, state: 'sent', ok: true }, T0 + S],
      [{ type: 'sample', holds: true, data_at: T0 + 30 * S }, T0 + 30 * S],
      [{ type: 'sample', holds: false, data_at: T0 + 60 * S }, T0 + 60 * S],
      [{ type: 'sample', holds: true, data_at: T0 + 90 * S }, T0 + 90 * S],
      [{ type: 'sample', holds: true, data_at: T0 + 120 * S }, T0 + 120 * S],
    ]);
    expect(r.state.phase).toBe('running');
    const done = reduce(r.state, { type: 'sample', holds: true, data_at: T0 + 150 * S }, T0 + 150 * S);
    expect(done.state.outcome).toBe('recovered');
    expect(done.state.ttr_ms).toBe(89 * S); // send_result at +1 s is the dispatch time; holds since +90 s
  });
});

describe('deadlines', () => {
  it('a send without a result ends uncertain after expiry + grace, and the playbook goes on', () => {
    const s = reduce(newRun(), { type: 'start' }, T0).state;
    expect(s.deadline_at).toBe(T0 + 900 * S + SEND_GRACE_MS);
    expect(reduce(s, { type: 'tick' }, T0 + 900 * S).state).toBe(s); // before the deadline: same object
    const r = reduce(s, { type: 'tick' }, T0 + 900 * S + SEND_GRACE_MS);
    expect(r.state.timeline.find((t) => t.state === 'uncertain')).toMatchObject({ step: 0, at: T0 + 900 * S + SEND_GRACE_MS });
    expect(r.state.steps[r.state.idx]?.type).toBe('wait');
  });

  it('a notify step the outbox never takes moves on after NOTIFY_ACK_MS and says so', () => {
    const p = playbook.parse([{ type: 'notify', webhooks: ['w'] }]);
    const s = reduce(newRun(p), { type: 'start' }, T0).state;
    const r = reduce(s, { type: 'tick' }, T0 + NOTIFY_ACK_MS);
    expect(r.state.phase).toBe('done');
    expect(states(r.state)).toContain('notify_unconfirmed');
  });

  it('a failed send is on the timeline and the verify still decides', () => {
    const r = reduceAll(newRun(), [
      [{ type: 'start' }, T0],
      [{ type: 'send_result', step: 0, state: 'failed', ok: false, detail: 'modem_error' }, T0 + 5 * S],
      [{ type: 'send_result', step: 0, state: 'sent', ok: true }, T0 + 6 * S], // stale repeat: ignored
    ]);
    expect(r.state.timeline.find((t) => t.state === 'failed')).toMatchObject({ step: 0, detail: 'modem_error' });
    expect(r.state.idx).toBe(1);
  });
});

/** Scripts that stop in each state; a restart there must re-emit only what is outstanding. */
const checkpoints: Array<[string, Step[], (fx: Effect[]) => void]> = [
  ['armed (never started)', [], (fx) => expect(fx).toEqual([])],
  ['settling', [[{ type: 'start' }, T0]], (fx) => expect(fx).toEqual([{ type: 'timer', at: T0 + 30 * S }])],
  ['send, not yet handed over', [[{ type: 'start' }, T0 + 30 * S]], (fx) => expect(keysOf(fx)).toEqual(['ex1:0:send'])],
  ['send, handed over', [[{ type: 'start' }, T0 + 30 * S], [{ type: 'ack', key: 'ex1:0:send' }, T0 + 31 * S]], (fx) => expect(fx.map((e) => e.type)).toEqual(['timer'])],
  ['wait', [[{ type: 'start' }, T0 + 30 * S], [{ type: 'send_result', step: 0, state: 'sent', ok: true }, T0 + 40 * S]], (fx) => expect(fx).toEqual([{ type: 'timer', at: T0 + 100 * S }])],
  [
    'verify',
    [[{ type: 'start' }, T0 + 30 * S], [{ type: 'send_result', step: 0, state: 'sent', ok: true }, T0 + 40 * S], [{ type: 'tick' }, T0 + 100 * S]],
    (fx) => expect(fx.map((e) => e.type)).toEqual(['watch', 'timer']),
  ],
  [
    'held',
    [[{ type: 'start' }, T0], [{ type: 'hold', incident_id: 'inc1' }, T0 + S]],
    (fx) => expect(fx).toEqual([]),
  ],
];

describe('restarts in every state', () => {
  it.each(checkpoints)('%s: rehydrate from JSON and continue without re-sending', (_name, script, check) => {
    const before = reduceAll(newRun(d210Playbook(), 'ex1', 30 * S), script).state;
    const r = reduce(persist(before), { type: 'restart' }, T0 + 45 * S);
    check(r.effects);
    expect(r.state.timeline.at(-1)?.state).toBe('resumed');
  });

  it('notify: a restart re-emits only the messages the outbox has not taken', () => {
    const p = playbook.parse([{ type: 'notify', sms: { site_id: 'site-a', to: ['+79990001122'] }, webhooks: ['w1', 'w2'] }]);
    let s = reduceAll(newRun(p), [
      [{ type: 'start' }, T0],
      [{ type: 'ack', key: 'ex1:0:sms' }, T0 + S],
    ]).state;
    s = persist(s);
    const r = reduce(s, { type: 'restart' }, T0 + 2 * S);
    expect(keysOf(r.effects)).toEqual(['ex1:0:wh:w1', 'ex1:0:wh:w2']);
    const again = reduce(r.state, { type: 'ack', key: 'ex1:0:sms' }, T0 + 3 * S); // duplicate ack
    expect(again.state.acked.filter((k) => k === 'ex1:0:sms')).toHaveLength(1);
  });

  it('done: a restart re-emits nothing', () => {
    const p = playbook.parse([{ type: 'notify', webhooks: ['w'] }]);
    const s = reduceAll(newRun(p), [[{ type: 'start' }, T0], [{ type: 'ack', key: 'ex1:0:wh:w' }, T0 + S]]).state;
    expect(s.phase).toBe('done');
    expect(reduce(persist(s), { type: 'restart' }, T0 + 5 * S).effects).toEqual([]);
  });
});

describe('escalation, hold, release, cancel', () => {
  it('start with a guardrail escalation: nothing is sent, people are told why', () => {
    const r = reduce(newRun(), { type: 'start', escalate: 'device limit: 3 remediations in 24 h' }, T0);
    expect(r.effects.some((e) => e.type === 'dispatch_sms')).toBe(false);
    expect(r.effects.find((e) => e.type === 'webhook')).toMatchObject({ event: { type: 'execution.escalated', escalation_reason: 'device limit: 3 remediations in 24 h' } });
    expect(r.state.escalated).toBe(true);
  });

  it('held during the settle delay: nothing is sent; release starts the first step', () => {
    let r = reduceAll(newRun(d210Playbook(), 'ex1', 30 * S), [
      [{ type: 'start' }, T0],
      [{ type: 'hold', incident_id: 'inc1' }, T0 + 5 * S],
      [{ type: 'tick' }, T0 + 60 * S],
    ]);
    expect(r.effects.some((e) => e.type === 'dispatch_sms')).toBe(false);
    expect(r.state.incident_id).toBe('inc1');
    r = reduce(r.state, { type: 'release', by: 'ops' }, T0 + 10 * MIN);
    expect(keysOf(r.effects)).toEqual(['ex1:0:send']);
    expect(states(r.state).slice(-3)).toEqual(['held', 'released', 'started']);
  });

  it('released in a verify: the verify restarts with a fresh deadline', () => {
    let s = reduce(sentFirst(), { type: 'tick' }, T0 + 70 * S).state;
    s = reduce(s, { type: 'hold', incident_id: 'i' }, T0 + 80 * S).state;
    const r = reduce(s, { type: 'release', by: 'ops' }, T0 + 3600 * S);
    expect(r.state.deadline_at).toBe(T0 + 3600 * S + 300 * S);
    expect(r.effects.find((e) => e.type === 'watch')).toMatchObject({ since: T0 + 3600 * S });
  });

  it('cancel ends the run without an outcome', () => {
    const r = reduce(sentFirst(), { type: 'cancel', by: 'ops' }, T0 + 20 * S);
    expect(r.state.phase).toBe('done');
    expect(r.effects.at(-1)).toEqual({ type: 'finished', outcome: null, ttr_ms: null, escalated: false });
  });
});

describe('events while held', () => {
  it('a send result that arrives while held is kept; release goes on to the next step', () => {
    let r = reduceAll(newRun(), [
      [{ type: 'start' }, T0],
      [{ type: 'ack', key: 'ex1:0:send' }, T0 + S],
      [{ type: 'hold', incident_id: 'inc' }, T0 + 2 * S],
      [{ type: 'send_result', step: 0, state: 'delivered', ok: true }, T0 + 3 * S],
    ]);
    expect(r.state).toMatchObject({ phase: 'held', idx: 0, send_state: 'delivered' });
    r = reduce(r.state, { type: 'release', by: 'ops' }, T0 + 60 * S);
    expect(r.effects.some((e) => e.type === 'dispatch_sms')).toBe(false);
    expect(r.state.steps[r.state.idx]?.type).toBe('wait');
  });

  it('a notify step fully taken by the outbox while held ends at the release', () => {
    const p = playbook.parse([{ type: 'notify', webhooks: ['w'] }]);
    let r = reduceAll(newRun(p), [
      [{ type: 'start' }, T0],
      [{ type: 'hold', incident_id: 'inc' }, T0 + S],
      [{ type: 'ack', key: 'ex1:0:wh:w' }, T0 + 2 * S],
    ]);
    expect(r.state.phase).toBe('held');
    r = reduce(r.state, { type: 'release', by: 'ops' }, T0 + 3 * S);
    expect(r.state.phase).toBe('done');
    expect(r.effects.some((e) => e.type === 'webhook')).toBe(false);
  });
});
