// Remediation benchmark (issue 10, "the cost of evaluating 10,000 active playbooks per cycle"):
// 10,000 runs of the SimPal power-cycle playbook spread over its states (verify, wait, send in
// flight, settling, held). Figures: a steady cycle (data unchanged), a cycle in which every
// verifying device changes (half recover), and the restart cost (JSON round trip + schema parse).
// The target (100 ms per cycle) is a tenth of the hub's 1 s cycle budget (hub-cycle.bench.ts).
import { runCycle } from '../../hub/remediation/cycle.js';
import { powerCycleTemplate } from '../../hub/remediation/playbook.js';
import { reduce, reduceAll } from '../../hub/remediation/reducer.js';
import { createRun, runState, type RunState } from '../../hub/remediation/run.js';
import type { Bench, BenchResult } from './harness.js';

const RUNS = 10_000;
const T0 = Date.parse('2026-11-25T08:00:00Z');
const S = 1000;

function population(): RunState[] {
  const steps = powerCycleTemplate({ model: 'SIMPAL_D210', site_id: 'site-a', control_device_id: 'sock1', notify: { sms: { site_id: 'site-a', to: 'on_call' }, webhooks: ['wh1'] } });
  const runs: RunState[] = [];
  for (let i = 0; i < RUNS; i++) {
    const base = createRun({ id: `ex${i}`, platform_id: 'ar', job_id: `job${i}`, job_name: `Job ${i}`, device: { key: `${10000 + i}`, name: `Player ${i}` }, steps, settle_ms: i % 10 === 9 ? 600 * S : 0 }, T0);
    const kind = i % 10;
    let s = reduce(base, { type: 'start' }, T0).state;
    if (kind < 4) s = reduceAll(s, [[{ type: 'send_result', step: 0, state: 'sent', ok: true }, T0 + S], [{ type: 'tick' }, T0 + 61 * S]]).state; // verify
    else if (kind < 7) s = reduce(s, { type: 'send_result', step: 0, state: 'sent', ok: true }, T0 + 30 * S).state; // wait
    else if (kind === 7) s = reduce(s, { type: 'ack', key: `ex${i}:0:send` }, T0 + S).state; // send in flight
    else if (kind === 8) s = reduce(s, { type: 'hold', incident_id: 'inc' }, T0 + S).state; // held
    runs.push(s); // kind 9: settling
  }
  return runs;
}

function timeIt(fn: () => void, rounds: number): number {
  const xs: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t = process.hrtime.bigint();
    fn();
    xs.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  xs.sort((a, b) => a - b);
  return xs[Math.floor(xs.length / 2)] ?? 0;
}

const bench: Bench = async () => {
  const runs = population();
  const down = new Map([['signage_device_online', 0]]);
  const up = new Map([['signage_device_online', 1]]);
  // Warm the "still down" state once, so the steady cycle is the common case.
  const warm = runCycle(runs, () => down, T0 + 62 * S, T0 + 62 * S).runs;
  const now = T0 + 63 * S;
  let changed = 0;
  const steady = timeIt(() => {
    changed = runCycle(warm, () => down, now, now).changed.length;
  }, 21);
  let effects = 0;
  const busy = timeIt(() => {
    const r = runCycle(warm, (k) => (Number(k) % 2 ? up : down), now, now);
    effects = r.effects.length;
    changed = r.changed.length;
  }, 21);
  let parsed = 0;
  const restart = timeIt(() => {
    const text = JSON.stringify(warm);
    parsed = (JSON.parse(text) as unknown[]).map((x) => runState.parse(x)).length;
  }, 5);
  const bytes = JSON.stringify(warm).length / RUNS;
  await Promise.resolve();
  const results: BenchResult[] = [
    { name: 'remediation: steady cycle over 10,000 active playbooks', value: steady, unit: 'ms', target: { value: 100, better: 'lower' }, notes: 'data unchanged; 4,000 verifying, 3,000 waiting, 1,000 sending, 1,000 held, 1,000 settling' },
    { name: 'remediation: cycle with every verifying device changing', value: busy, unit: 'ms', target: { value: 100, better: 'lower' }, notes: `${changed} runs changed, ${effects} effects (half recover)` },
    { name: 'remediation: restart (JSON round trip + schema parse) of 10,000 runs', value: restart, unit: 'ms', notes: `${parsed} runs, ${Math.round(bytes)} bytes of JSON each` },
  ];
  return results;
};

export default bench;
