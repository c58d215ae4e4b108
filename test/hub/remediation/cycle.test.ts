// One evaluation cycle over many runs: samples reach only runs in a verify step, deadlines fire,
// unchanged runs stay the same objects (so only changes are persisted).
import { describe, expect, it } from 'vitest';
import { runCycle } from '../../../hub/remediation/cycle.js';
import { reduceAll } from '../../../hub/remediation/reducer.js';
import { d210Playbook, newRun, S, T0 } from './fixtures.js';

function verifying(id: string, device: string) {
  const r = newRun(d210Playbook(), id);
  const s = reduceAll({ ...r, device: { key: device, name: device } }, [
    [{ type: 'start' }, T0],
    [{ type: 'send_result', step: 0, state: 'sent', ok: true }, T0 + S],
    [{ type: 'tick' }, T0 + 61 * S],
  ]).state;
  expect(s.steps[s.idx]?.type).toBe('verify');
  return s;
}

describe('runCycle', () => {
  it('recovers the device that is back, leaves the others as they are, and fires deadlines', () => {
    const up = verifying('e-up', 'd-up');
    const down = verifying('e-down', 'd-down');
    const nodata = verifying('e-nodata', 'd-nodata');
    const waiting = reduceAll(newRun(d210Playbook(), 'e-wait'), [[{ type: 'start' }, T0 + 100 * S], [{ type: 'send_result', step: 0, state: 'sent', ok: true }, T0 + 100 * S]]).state;
    const values = new Map([
      ['d-up', new Map([['signage_device_online', 1]])],
      ['d-down', new Map([['signage_device_online', 0]])],
    ]);
    const c = runCycle([up, down, nodata, waiting], (k) => values.get(k), T0 + 120 * S, T0 + 121 * S);
    expect(c.runs[0]?.outcome).toBe('recovered');
    expect(c.runs[0]?.ttr_ms).toBe(119 * S);
    expect(c.runs[1]?.verify_seen).toBe(true);
    expect(c.runs[2]).toBe(nodata);
    expect(c.runs[3]).toBe(waiting);
    expect(c.changed).toEqual(['e-up', 'e-down']);
    expect(c.effects.filter((e) => e.id === 'e-up').map((e) => e.effect.type)).toEqual(['unwatch', 'finished']);
    // A second cycle with the same data changes nothing; the deadline then ends them.
    const again = runCycle(c.runs, (k) => values.get(k), T0 + 150 * S, T0 + 151 * S);
    expect(again.changed).toEqual([]);
    const late = runCycle(again.runs, (k) => values.get(k), T0 + 361 * S, T0 + 361 * S);
    expect(late.runs.map((r) => r.outcome)).toEqual(['recovered', 'not_recovered', 'unknown', null]);
  });
});
