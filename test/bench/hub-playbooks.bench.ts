// Playbooks in the real hub shell (issue 10: "the cost of evaluating 10,000 active playbooks per
// cycle"): 10,000 jobs with the SimPal power-cycle playbook all fire (guardrails opened wide),
// the agent reports every command sent, the wait passes, and all 10,000 sit in their verify step.
// Measured: the engine's part of a poll cycle (samples + deadlines over 10,000 runs, data
// unchanged and with every second device recovering), and a whole poll cycle (collect through a
// fake Prometheus, 10,000 job evaluations, 10,000 verifications) with the store on disk.
import type { ExecutionUpdate } from '../../hub/common/contract/index.js';
import { remediationSettings } from '../../hub/model/remediation.js';
import { powerCycleTemplate } from '../../hub/remediation/playbook.js';
import { createWorld } from '../hub/world.js';
import type { Bench, BenchResult } from './harness.js';
import { timeMs } from './harness.js';

const N = 10_000;

const bench: Bench = async () => {
  const w = await createWorld();
  await w.store.putRemediationSettings('a', remediationSettings.parse({ sms_budget: { per_hour: 10_000, sites: {} }, correlation: { window_s: 60, min_count: null, min_share: null, share_min_count: 2 }, device_limit: { max: 1000, window_s: 3600 } }));
  const steps = powerCycleTemplate({ model: 'SIMPAL_D210', site_id: 's1', control_device_id: 'cd-a', notify: { sms: { site_id: 's1', to: 'on_call' }, webhooks: [] }, off_min: 1, boot_s: 600 });
  const jobs = Array.from({ length: N }, (_, i) => w.job('a', { device: { key_type: 'device_id', key: `d${i}`, name: `P${i}` }, steps }));
  await w.store.putJobs(jobs);
  for (const j of jobs) w.prom.set('signage_device_online', { platform_id: 'a', device_id: j.device.key }, 0);
  const fireMs = await timeMs(() => w.poller.cycle());
  await w.dispatcher.idle();
  let seq = 0;
  for (const e of w.store.executionList('a')) {
    const u: ExecutionUpdate = { v: 1, type: 'update', execution_id: e.id, job_id: e.job_id, platform_id: 'a', site_id: 's1', state: 'sent', at: new Date(w.clock.t).toISOString(), attempt: 1, seq: ++seq };
    await w.dispatcher.handleUpdate(u);
  }
  w.clock.advance(61_000);
  await w.engine.tickAll();
  const verifying = w.engine.verifying('a').length;

  const down = new Map([['signage_device_online', 0]]);
  const up = new Map([['signage_device_online', 1]]);
  const steady: number[] = [];
  for (let r = 0; r < 5; r++) {
    w.clock.advance(1000);
    steady.push(await timeMs(() => w.engine.cycle('a', () => down, w.clock.now())));
  }
  steady.sort((a, b) => a - b);
  w.clock.advance(1000);
  const poll = await timeMs(() => w.poller.cycle());
  w.clock.advance(1000);
  const busy = await timeMs(() => w.engine.cycle('a', (e) => (Number(e.device.key.slice(1)) % 2 ? up : down), w.clock.now()));
  const recovered = w.store.executionList('a').filter((e) => e.outcome === 'recovered').length;
  await w.engine.stop();
  await w.store.flush();
  const results: BenchResult[] = [
    { name: 'hub playbooks: engine part of a cycle, 10,000 verifying runs, data unchanged (median of 5)', value: steady[2] ?? 0, unit: 'ms', target: { value: 1000, better: 'lower' }, notes: `${verifying} runs verifying` },
    { name: 'hub playbooks: engine part of a cycle, 10,000 verifying runs, every second device recovers', value: busy, unit: 'ms', target: { value: 1000, better: 'lower' }, notes: `${recovered} recovered (persisted, events published)` },
    { name: 'hub playbooks: whole poll cycle with 10,000 jobs and 10,000 verifying runs (fake Prometheus)', value: poll, unit: 'ms', notes: 'collect + 10,000 job evaluations + 10,000 verifications' },
    { name: 'hub playbooks: the cycle in which 10,000 jobs fire (executions created, commands dispatched)', value: fireMs, unit: 'ms' },
  ];
  return results;
};

export default bench;
