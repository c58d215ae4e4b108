// One evaluation cycle over every active playbook run, pure: feed each run in a verify step the
// current sample of its device, then tick it. This is what the hub's poll cycle calls after
// fetching data; the benchmark (test/bench/hub-remediation.bench.ts) measures it for 10,000 runs.
import { evalConditions, type Sample } from '../core/conditions.js';
import { reduce } from './reducer.js';
import type { Effect, RunState } from './run.js';

export interface CycleOutput {
  /** The runs after the cycle, in the same order (unchanged runs are the same objects). */
  runs: RunState[];
  /** Effects per run id, in order. */
  effects: Array<{ id: string; effect: Effect }>;
  /** Ids of runs whose state changed (what is worth persisting). */
  changed: string[];
}

/**
 * `sampleOf(deviceKey)` returns the device's current metric values (undefined: none), taken at
 * `dataAt`; `now` is the cycle time.
 */
export function runCycle(runs: readonly RunState[], sampleOf: (deviceKey: string) => Sample | undefined, dataAt: number, now: number): CycleOutput {
  const out: RunState[] = new Array<RunState>(runs.length);
  const effects: CycleOutput['effects'] = [];
  const changed: string[] = [];
  for (let i = 0; i < runs.length; i++) {
    const before = runs[i] as RunState;
    let s = before;
    if (s.phase === 'running' && s.step_at !== null) {
      const step = s.steps[s.idx];
      if (step?.type === 'verify') {
        const sample = sampleOf(s.device.key);
        const holds = sample === undefined ? undefined : evalConditions(step.conditions, step.combine, sample);
        const r = reduce(s, { type: 'sample', holds, data_at: dataAt }, now);
        s = r.state;
        for (const effect of r.effects) effects.push({ id: s.id, effect });
      }
    }
    const t = reduce(s, { type: 'tick' }, now);
    s = t.state;
    for (const effect of t.effects) effects.push({ id: s.id, effect });
    out[i] = s;
    if (s !== before) changed.push(s.id);
  }
  return { runs: out, effects, changed };
}
