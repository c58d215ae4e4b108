// Playbooks in the real hub shell (issue 10: "the cost of evaluating 10,000 active playbooks per
// cycle"): 10,000 jobs with the SimPal power-cycle playbook, each with an execution whose command
// was sent and whose wait is over, so all 10,000 sit in their verify step.
// Measured: the engine's part of a poll cycle (samples + deadlines over 10,000 runs, data
// unchanged and with every second device recovering), and a whole poll cycle (collect through a
// fake Prometheus, 10,000 job evaluations, 10,000 verifications) with the store on disk.
import type { Execution } from '../../hub/model/execution.js';
import { remediationSettings } from '../../hub/model/remediation.js';
import { powerCycleTemplate } from '../../hub/remediation/playbook.js';
import { reduceAll } from '../../hub/remediation/reducer.js';
import { createRun } from '../../hub/remediation/run.js';
import { createWorld } from '../hub/world.js';
import type { Bench, BenchResult } from './harness.js';
import { timeMs } from './harness.js';

const N = 10_000;

const bench: Bench = async () => {
  const w = await createWorld();
  const steps = powerCycleTemplate({ model: 'SIMPAL_D210', site_id: 's1', control_device_id: 'cd-a', notify: { sms: { site_id: 's1', to: 'on_call' }, webhooks: [] }, off_min: 1, boot_s: 600 });
  const jobs = Array.from({ length: N }, (_, i) => w.job('a', { device: { key_type: 'device_id', key: `d${i}`, name: `P${i}` }, steps }));
  await w.store.putJobs(jobs);
  for (const j of jobs) w.prom.set('signage_device_online', { platform_id: 'a', device_id: j.device.key }, 0);
  // 10,000 executions whose command was sent and whose wait is over: each is in its verify step.
  const t0 = w.clock.now();
  const execs: Execution[] = jobs.map((job, i) => {
    const id = `e${i}`;
    let run = createRun({ id, platform_id: 'a', job_id: job.id, job_name: job.name, device: { key: job.device.key, name: job.device.name }, steps }, t0);
    run = reduceAll(run, [
      [{ type: 'start' }, t0],
      [{ type: 'ack', key: `${id}:0:send` }, t0],
      [{ type: 'send_result', step: 0, state: 'sent', ok: true }, t0 + 1000],
      [{ type: 'tick' }, t0 + 61_000],
    ]).state;
    const at = new Date(t0).toISOString();
    return {
      id, platform_id: 'a', job_id: job.id, job_name: job.name, device: job.device, trigger: { reason: 'condition', values: {} }, state: 'sent', step: run.idx, playbook: run.steps,
      messages: [{ wire_id: id, step: 0, kind: 'command', site_id: 's1', control_device_id: 'cd-a', to: '+79160000001', text: '#12#0#1#1#', state: 'sent', attempt: 1, agent_seq: 1, expires_at: at, dispatched_at: at }],
      phase: run.phase, outcome: null, ttr_ms: null, escalated: false, escalation_reason: null, incident_id: null, run, timeline: [], replies: [], event_seq: 0, created_at: at, updated_at: at,
    };
  });
  await w.store.putExecutions(execs);
  w.clock.advance(62_000);
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
  const recovered = w.store.executionList('a').filter((e) => e.run.outcome === 'recovered').length;
  await w.engine.stop();
  await w.store.flush();
  // A separate hub: 1,000 jobs fire in one cycle (guardrails opened wide), each execution
  // created, its command written and handed to MQTT.
  const f = await createWorld();
  await f.store.putRemediationSettings('a', remediationSettings.parse({ sms_budget: { per_hour: 10_000, sites: {} }, correlation: { window_s: 60, min_count: null, min_share: null, share_min_count: 2 } }));
  const fjobs = Array.from({ length: 1000 }, (_, i) => f.job('a', { device: { key_type: 'device_id', key: `f${i}`, name: `F${i}` }, steps }));
  await f.store.putJobs(fjobs);
  for (const j of fjobs) f.prom.set('signage_device_online', { platform_id: 'a', device_id: j.device.key }, 0);
  const fire = await timeMs(async () => {
    await f.poller.cycle();
    await f.publisher.idle();
  });
  const published = f.pub.on('/a/s1/job').length;
  await f.engine.stop();
  await f.store.flush();
  const results: BenchResult[] = [
    { name: 'hub playbooks: a cycle in which 1,000 jobs fire (executions, commands written, published, PUBACKed)', value: fire, unit: 'ms', notes: `${published} jobs published` },
    { name: 'hub playbooks: engine part of a cycle, 10,000 verifying runs, data unchanged (median of 5)', value: steady[2] ?? 0, unit: 'ms', target: { value: 1000, better: 'lower' }, notes: `${verifying} runs verifying` },
    { name: 'hub playbooks: engine part of a cycle, 10,000 verifying runs, every second device recovers', value: busy, unit: 'ms', notes: `${recovered} recovered, one store write, 5,000 x 3 events` },
    { name: 'hub playbooks: whole poll cycle, 10,000 jobs + 10,000 verifying runs (fake Prometheus, store on disk)', value: poll, unit: 'ms', notes: 'collect + 10,000 job evaluations + 10,000 verifications' },
  ];
  return results;
};

export default bench;
