// Issue 19 over real processes: the agent process (tsx), a real Mosquitto with the contract's
// ACL, the simulated modem on a socat pty, and this file playing the hub with the hub's
// credentials. While the agent is down the hub publishes a job and its cancel (and, the other
// way round, a cancel and then its job: the two topics are not ordered); the agent starts and
// sends none of them (counted at the simulator's SMS log) and the hub hears `expired` with
// reason `cancelled`. A job that arrives after its accept_by is refused the same way.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { type JobCancel, siteTopic } from '../../hub/common/contract/index.js';
import type { SimPty } from '../../agent/sim/pty.js';
import type { Mosquitto } from '../support/mosquitto.js';
import type { Proc } from '../support/process.js';
import { SITE, type HubView, agentConfig, job, startBroker, startHubView, startSim, tmp, startAgentProcess, waitFor, stopRig } from './support/rig.js';

let dir: string;
let broker: Mosquitto;
let hub: HubView;
let sim: SimPty;
let agent: Proc | undefined;
let configFile: string;



function publishCancel(id: string, attempt = 1): Promise<void> {
  const c: JobCancel = { v: 1, type: 'cancel', execution_id: id, job_id: job(id).job_id, ...SITE, attempt, at: new Date().toISOString(), reason: 'moved to site s2 after 120 s' };
  return new Promise((resolve, reject) => hub.client.publish(siteTopic(SITE, 'cancel'), JSON.stringify(c), { qos: 1 }, (err) => (err ? reject(err) : resolve())));
}

function smsTexts(): string[] {
  const file = join(dir, 'sms.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { text: string }).text);
}

const final = (id: string) => hub.statesOf(id).find((s) => ['sent', 'delivered', 'expired', 'failed', 'uncertain'].includes(s));

beforeAll(async () => {
  dir = tmp('gsmjobs-agent-cancel-');
  broker = await startBroker(join(dir, 'broker'));
  hub = await startHubView(broker.url);
  sim = await startSim(dir, { model: 'SIM800', statusReportDelayMs: 50 });
  configFile = join(dir, 'agent.yaml');
  const cfg = agentConfig(dir, broker.url, sim.path);
  writeFileSync(configFile, YAML.stringify({ ...cfg, log_level: 'info' }));
  // A first run makes the persistent session (job and cancel subscriptions) that holds messages while the agent is down.
  agent = startAgentProcess(configFile);
  let published = 0;
  await waitFor(
    async () => {
      if (final('warm-up')) return true;
      if (!hub.statesOf('warm-up').length && Date.now() - published > 2000) {
        published = Date.now();
        await hub.publishJob(job('warm-up', { text: 'warm up', status_report: false }));
      }
      return false;
    },
    60_000,
    'the warm-up job sent',
  );
  expect(await agent.stop()).toBe(0);
  agent = undefined;
}, 90_000);

afterAll(() => stopRig({ agent, hub, sims: [sim], broker, dir }));

describe('the agent obeys the hub cancel and accept_by', () => {
  it('job then cancel, cancel then job, late accept_by: none sent while the agent was down; each reported expired', async () => {
    await hub.publishJob(job('job-first', { text: 'job first, then cancel', status_report: false }));
    await publishCancel('job-first');
    await publishCancel('cancel-first');
    await hub.publishJob(job('cancel-first', { text: 'cancel first, then job', status_report: false }));
    await hub.publishJob(job('too-late', { text: 'accepted too late', status_report: false, accept_by: new Date(Date.now() + 500).toISOString() }));
    // accept_by passes while the agent is down.
    await new Promise((r) => setTimeout(r, 800));
    agent = startAgentProcess(configFile);
    await waitFor(() => final('job-first') && final('cancel-first') && final('too-late'), 60_000, `all three settled\n${agent?.output().slice(-3000) ?? ''}`);
    // A job published now is sent: the agent does send (the zero above is not a dead modem).
    await hub.publishJob(job('control', { text: 'control message', status_report: false }));
    await waitFor(() => final('control'), 30_000, 'the control job sent');

    const reasonOf = (id: string) => hub.updates.find((u) => u.execution_id === id && u.state === 'expired')?.reason;
    expect(final('job-first')).toBe('expired');
    expect(reasonOf('job-first')).toMatchObject({ code: 'cancelled', message: 'moved to site s2 after 120 s' });
    expect(final('cancel-first')).toBe('expired');
    expect(reasonOf('cancel-first')).toMatchObject({ code: 'cancelled' });
    expect(final('too-late')).toBe('expired');
    expect(reasonOf('too-late')).toMatchObject({ code: 'accept_deadline', retryable: false });
    expect(final('control')).toBe('sent');
    const texts = smsTexts();
    expect(texts.filter((x) => x === 'job first, then cancel' || x === 'cancel first, then job' || x === 'accepted too late')).toEqual([]);
    expect(texts.filter((x) => x === 'control message')).toHaveLength(1);

    // A cancel after the message went out does not un-send it: the state is reported again.
    const before = hub.updates.filter((u) => u.execution_id === 'control').length;
    await publishCancel('control');
    await waitFor(() => hub.updates.filter((u) => u.execution_id === 'control').length > before, 15_000, 'the state of control reported again');
    expect(hub.updates.filter((u) => u.execution_id === 'control').at(-1)?.state).toBe('sent');
    expect(await agent.stop()).toBe(0);
    agent = undefined;
  }, 120_000);
});
