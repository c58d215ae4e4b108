// Issue 20 step 4: an agent listing two brokers. Two real Mosquitto processes (contract users
// and ACL), the agent in-process on the scripted modem over a socat pty: connected to A; A is
// SIGKILLed while a job is in the modem; the agent moves to B within its reconnect period,
// reports the rest of that job on B, takes a job published on B; every SMS goes out once and the
// outbox journal holds each job once. Then B dies and A comes back: the list wraps around.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../agent/app.js';
import { agentConfigSchema } from '../../agent/config.js';
import { defaultBinding } from '../../agent/modem/stack.js';
import type { SimPty } from '../../agent/sim/pty.js';
import { silentLogger } from '../../hub/common/log.js';
import type { Mosquitto } from '../support/mosquitto.js';
import { type HubView, PASSWORD, agentConfig, job, rm, startBroker, startHubView, startSim, tmp, waitFor } from './support/rig.js';

const RECONNECT_S = 1;
let dir: string;
let a: Mosquitto;
let b: Mosquitto;
let hubA: HubView;
let hubB: HubView;
let sim: SimPty;
let agent: Agent;

beforeAll(async () => {
  dir = tmp('gsmjobs-agent-brokers-');
  [a, b] = await Promise.all([startBroker(join(dir, 'a')), startBroker(join(dir, 'b'))]);
  [hubA, hubB] = await Promise.all([startHubView(a.url), startHubView(b.url)]);
  sim = await startSim(dir);
  const base = agentConfig(dir, a.url, sim.path);
  const config = agentConfigSchema.parse({ ...base, mqtt: { ...base.mqtt, url: [a.url, b.url], reconnect_s: RECONNECT_S } });
  agent = new Agent(config, { binding: await defaultBinding(), log: silentLogger });
  await agent.start();
  await waitFor(() => agent.modemStatus().state === 'up' && agent.mqtt.connected, 15_000, 'agent ready');
}, 60_000);

afterAll(async () => {
  await agent?.stop();
  hubA?.client.end(true);
  hubB?.client.end(true);
  await sim?.stop();
  await a?.stop();
  await b?.stop();
  if (dir) rm(dir);
});

const sentTo = (text: string) => sim.modem.sent.filter((s) => s.text === text);
/** Both hubs' views of one execution, one update per seq. */
const statesOf = (id: string) =>
  [...new Map([...hubA.updates, ...hubB.updates].filter((u) => u.execution_id === id).map((u) => [u.seq, u.state] as const)).entries()].sort(([x], [y]) => x - y).map(([, s]) => s);
const journalJobs = (id: string) =>
  readFileSync(join(dir, 'data', 'outbox.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { t: string; job?: { execution_id: string }; r?: { job: { execution_id: string } } })
    .filter((r) => (r.t === 'job' && r.job?.execution_id === id) || (r.t === 'snap' && r.r?.job.execution_id === id)).length;
const metrics = async () => (await fetch(`http://127.0.0.1:${agent.http.port}/metrics`)).text();

describe('agent with two brokers', () => {
  it('connects to the first broker and says so in /metrics and /healthz, without the password', async () => {
    expect(agent.mqtt.broker).toBe(a.url);
    await waitFor(async () => (await metrics()).includes(`gsmjobs_agent_mqtt_broker_info{url="${a.url}"} 1`), 5000, 'broker_info A');
    const health = (await (await fetch(`http://127.0.0.1:${agent.http.port}/healthz`)).json()) as Record<string, unknown>;
    expect(health).toMatchObject({ mqtt: true, mqtt_broker: a.url });
    expect(await metrics()).not.toContain(PASSWORD);
  });

  it('moves to B within its reconnect period when A is SIGKILLed mid-send, and loses or doubles nothing', async () => {
    sim.modem.sendDelayMs = 1500;
    await hubA.publishJob(job('br-1', { text: 'через брокер A' }));
    await waitFor(() => hubA.statesOf('br-1').includes('sending'), 10_000, 'sending on A');
    a.proc.kill('SIGKILL');
    const killedAt = Date.now();
    await waitFor(() => agent.mqtt.connected && agent.mqtt.broker === b.url, 15_000, 'agent on B');
    const moveMs = Date.now() - killedAt;
    // One reconnect period, plus slack for a loaded CI machine.
    expect(moveMs).toBeLessThan(RECONNECT_S * 1000 + 4000);
    // The rest of br-1 is reported on B (the journal kept the unacknowledged updates).
    await waitFor(() => hubB.statesOf('br-1').includes('delivered'), 15_000, 'br-1 delivered, seen on B');
    sim.modem.sendDelayMs = 0;
    expect(statesOf('br-1')).toEqual(['accepted', 'sending', 'sent', 'delivered']);
    // A job the hub publishes on B is taken, sent and reported there.
    await hubB.publishJob(job('br-2', { text: 'через брокер B' }));
    await waitFor(() => hubB.statesOf('br-2').includes('delivered'), 15_000, 'br-2 delivered on B');
    expect(hubB.statesOf('br-2')).toEqual(['accepted', 'sending', 'sent', 'delivered']);
    expect(sentTo('через брокер A')).toHaveLength(1);
    expect(sentTo('через брокер B')).toHaveLength(1);
    expect(journalJobs('br-1')).toBe(1);
    expect(journalJobs('br-2')).toBe(1);
    await waitFor(() => agent.outbox.pendingUpdates().length === 0, 5000, 'all updates acknowledged on B');
    const text = await metrics();
    expect(text).toContain(`gsmjobs_agent_mqtt_broker_info{url="${b.url}"} 1`);
    expect(text).not.toContain(`url="${a.url}"`);
    await waitFor(() => hubB.statuses.some((s) => s.state === 'online'), 5000, 'retained status online on B');
  }, 60_000);

  it('wraps around the list: B SIGKILLed, A back on its port, the agent returns to A', async () => {
    await a.restart(0);
    b.proc.kill('SIGKILL');
    await waitFor(() => agent.mqtt.connected && agent.mqtt.broker === a.url, 20_000, 'agent back on A');
    await waitFor(() => hubA.client.connected, 10_000, 'hub view back on A');
    // The hub view's session died with A (no persistence flush on SIGKILL): subscribe again.
    await hubA.client.subscribeAsync('gsmjobs/v1/site/+/+/#', { qos: 1 });
    await hubA.publishJob(job('br-3', { text: 'снова A' }));
    await waitFor(() => hubA.statesOf('br-3').includes('delivered'), 15_000, 'br-3 delivered on A');
    expect(sentTo('снова A')).toHaveLength(1);
    expect(journalJobs('br-3')).toBe(1);
    expect(sentTo('через брокер A')).toHaveLength(1);
  }, 60_000);
});
