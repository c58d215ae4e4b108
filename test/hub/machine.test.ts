// Pure evaluation: operators, AND/OR, `for`, no-data hysteresis, windows, cooldown, restarts.
import { describe, expect, it } from 'vitest';
import { compare, evalConditions } from '../../hub/core/conditions.js';
import { advance, type MachineJob } from '../../hub/core/machine.js';
import { inWindows, localTime } from '../../hub/core/windows.js';
import { initialRuntime, type JobRuntime } from '../../hub/model/job.js';

const T0 = Date.parse('2026-11-23T10:00:00Z'); // a Monday, 13:00 in Moscow
const S = 1000;
const base: MachineJob = { for_s: 0, no_data: { mode: 'ignore', after_s: 120 }, windows: null, cooldown_s: 600 };

/** Feed a series of (seconds offset, holds) observations; return the states and fire reasons. */
function run(job: MachineJob, steps: Array<[number, boolean | undefined]>, start: JobRuntime = initialRuntime(T0)) {
  let rt = start;
  const out: Array<{ state: string; fire: string | null }> = [];
  for (const [sec, holds] of steps) {
    const r = advance(job, rt, holds, T0 + sec * S);
    rt = r.rt;
    out.push({ state: rt.state, fire: r.fire });
  }
  return { out, rt };
}

describe('operators', () => {
  it.each([
    [5, '>', 4, true],
    [4, '>', 4, false],
    [4, '>=', 4, true],
    [3, '<', 4, true],
    [4, '<', 4, false],
    [4, '<=', 4, true],
    [0, '==', 0, true],
    [1, '==', 0, false],
    [1, '!=', 0, true],
    [0, '!=', 0, false],
  ] as const)('%d %s %d is %s', (v, op, t, want) => {
    expect(compare(v, op, t)).toBe(want);
  });
});

describe('AND / OR with missing data', () => {
  const conds = [
    { metric: 'a', op: '>' as const, value: 1 },
    { metric: 'b', op: '==' as const, value: 0 },
  ];
  it('AND needs all true; any false wins over no data', () => {
    expect(evalConditions(conds, 'and', new Map([['a', 2], ['b', 0]]))).toBe(true);
    expect(evalConditions(conds, 'and', new Map([['a', 2], ['b', 1]]))).toBe(false);
    expect(evalConditions(conds, 'and', new Map([['b', 1]]))).toBe(false);
    expect(evalConditions(conds, 'and', new Map([['b', 0]]))).toBeUndefined();
  });
  it('OR needs one true; all false is false; otherwise no data', () => {
    expect(evalConditions(conds, 'or', new Map([['a', 0], ['b', 0]]))).toBe(true);
    expect(evalConditions(conds, 'or', new Map([['a', 0], ['b', 1]]))).toBe(false);
    expect(evalConditions(conds, 'or', new Map([['b', 0]]))).toBe(true);
    expect(evalConditions(conds, 'or', new Map([['b', 1]]))).toBeUndefined();
    expect(evalConditions(conds, 'or', new Map([['a', Number.NaN], ['b', 1]]))).toBeUndefined();
  });
});

describe('state machine', () => {
  it('fires once per episode, not on every change of value', () => {
    const { out } = run(base, [
      [0, false],
      [30, true],
      [60, true],
      [90, true],
      [120, false],
    ]);
    expect(out.map((o) => o.state)).toEqual(['ok', 'firing', 'firing', 'firing', 'cooldown']);
    expect(out.filter((o) => o.fire).length).toBe(1);
  });

  it('`for` requires the condition to hold without interruption', () => {
    const job = { ...base, for_s: 60 };
    const { out } = run(job, [
      [0, true],
      [30, true],
      [45, false],
      [60, true],
      [90, true],
      [120, true],
    ]);
    expect(out.map((o) => o.state)).toEqual(['pending', 'pending', 'ok', 'pending', 'pending', 'firing']);
    expect(out[5]?.fire).toBe('condition');
  });

  it('cooldown delays a new episode until it ends, then fires if still true', () => {
    const { out } = run(base, [
      [0, true],
      [30, false],
      [60, true],
      [590, true],
      [600, true],
      [630, true],
    ]);
    expect(out.map((o) => o.state)).toEqual(['firing', 'cooldown', 'cooldown', 'cooldown', 'firing', 'firing']);
    expect(out.map((o) => o.fire)).toEqual(['condition', null, null, null, 'condition', null]);
  });

  it('after the cooldown with the condition clear, the job returns to ok', () => {
    const { out } = run(base, [
      [0, true],
      [30, false],
      [700, false],
    ]);
    expect(out.map((o) => o.state)).toEqual(['firing', 'cooldown', 'ok']);
  });

  it('no data: a short gap changes nothing (hysteresis), a long one enters no_data', () => {
    const job = { ...base, for_s: 60 };
    const { out } = run(job, [
      [0, true],
      [30, undefined],
      [60, true],
      [90, true],
    ]);
    // The gap at 30 s neither reset nor advanced the pending episode; it fires at 60 s held.
    expect(out.map((o) => o.state)).toEqual(['pending', 'pending', 'firing', 'firing']);
    const long = run(job, [
      [0, false],
      [60, undefined],
      [119, undefined],
      [121, undefined],
      [150, false],
    ]);
    expect(long.out.map((o) => o.state)).toEqual(['ok', 'ok', 'ok', 'no_data', 'ok']);
    expect(long.out.every((o) => o.fire === null)).toBe(true);
  });

  it('no-data mode fire: fires once per outage, and the returning bad value continues the episode', () => {
    const job: MachineJob = { ...base, no_data: { mode: 'fire', after_s: 120 } };
    const { out } = run(job, [
      [0, false],
      [130, undefined],
      [160, undefined],
      [190, true],
      [220, false],
    ]);
    expect(out.map((o) => o.state)).toEqual(['ok', 'no_data', 'no_data', 'firing', 'cooldown']);
    expect(out.map((o) => o.fire)).toEqual([null, 'no_data', null, null, null]);
  });

  it('a job never seen with data counts the gap from its creation', () => {
    const job: MachineJob = { ...base, no_data: { mode: 'fire', after_s: 120 } };
    const { out } = run(job, [
      [60, undefined],
      [121, undefined],
    ]);
    expect(out.map((o) => o.fire)).toEqual([null, 'no_data']);
  });

  it('outside the time windows nothing fires; the due job waits in pending', () => {
    // Moscow is UTC+3: T0 is Monday 13:00. Window: Monday 14:00-15:00.
    const job: MachineJob = { ...base, windows: { tz: 'Europe/Moscow', ranges: [{ days: [1], from: '14:00', to: '15:00' }] } };
    const { out } = run(job, [
      [0, true],
      [3599, true],
      [3600, true],
    ]);
    expect(out.map((o) => o.state)).toEqual(['pending', 'pending', 'firing']);
    expect(out[2]?.fire).toBe('condition');
  });

  it('a restart with the persisted runtime does not re-fire', () => {
    const first = run(base, [[0, true]]);
    expect(first.out[0]?.fire).toBe('condition');
    const persisted = JSON.parse(JSON.stringify(first.rt)) as JobRuntime;
    const after = run(base, [
      [3600, true],
      [3630, true],
    ], persisted);
    expect(after.out.map((o) => o.fire)).toEqual([null, null]);
    expect(after.out[0]?.state).toBe('firing');
  });

  it('a restart in pending keeps the `for` timer', () => {
    const job = { ...base, for_s: 120 };
    const first = run(job, [[0, true]]);
    const persisted = JSON.parse(JSON.stringify(first.rt)) as JobRuntime;
    const after = run(job, [[121, true]], persisted);
    expect(after.out[0]).toEqual({ state: 'firing', fire: 'condition' });
  });
});

describe('time windows', () => {
  const monday13 = T0;
  it('reads local weekday and minute in the zone', () => {
    expect(localTime(monday13, 'Europe/Moscow')).toEqual({ day: 1, minute: 13 * 60 });
    expect(localTime(monday13, 'America/New_York')).toEqual({ day: 1, minute: 5 * 60 });
  });
  it('ranges crossing midnight belong to the day they start', () => {
    const w = { tz: 'Europe/Moscow', ranges: [{ days: [1], from: '22:00', to: '06:00' }] };
    expect(inWindows(w, Date.parse('2026-11-23T19:30:00Z'))).toBe(true); // Mon 22:30
    expect(inWindows(w, Date.parse('2026-11-24T02:00:00Z'))).toBe(true); // Tue 05:00
    expect(inWindows(w, Date.parse('2026-11-24T03:30:00Z'))).toBe(false); // Tue 06:30
    expect(inWindows(w, Date.parse('2026-11-24T19:30:00Z'))).toBe(false); // Tue 22:30
  });
  it('00:00-24:00 covers the whole day; null windows are always active', () => {
    const w = { tz: 'UTC', ranges: [{ days: [7], from: '00:00', to: '24:00' }] };
    expect(inWindows(w, Date.parse('2026-11-29T23:59:00Z'))).toBe(true);
    expect(inWindows(w, Date.parse('2026-11-30T00:01:00Z'))).toBe(false);
    expect(inWindows(null, 0)).toBe(true);
  });
});
