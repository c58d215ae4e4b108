// The whole agent in-process against a real Mosquitto (contract usernames and ACL) and the
// scripted modem on a socat pty pair: jobs to SMS, updates and retained status, malformed and
// duplicate jobs, +CMS ERROR then success, unplug and return, broker restart, /metrics checked
// by promtool, /healthz.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../agent/app.js';
import { agentConfigSchema } from '../../agent/config.js';
import { defaultBinding } from '../../agent/modem/stack.js';
import type { SimPty } from '../../agent/sim/pty.js';
import { silentLogger } from '../../hub/common/log.js';
import type { Mosquitto } from '../support/mosquitto.js';
import { type HubView, agentConfig, job, startBroker, startHubView, startSim, tmp, waitFor, stopRig } from './support/rig.js';

let dir: string;
let broker: Mosquitto;
let hub: HubView;
let sim: SimPty;
let agent: Agent;

beforeAll(async () => {
  dir = tmp('gsmjobs-agent-int-');
  broker = await startBroker(join(dir, 'broker'));
  hub = await startHubView(broker.url);
  sim = await startSim(dir, { spam: true, splitChunks: true });
  agent = new Agent(agentConfigSchema.parse(agentConfig(dir, broker.url, sim.path)), { binding: await defaultBinding(), log: silentLogger });
  await agent.start();
  await waitFor(() => agent.modemStatus().state === 'up' && agent.mqtt.connected, 15_000, 'agent ready');
}, 60_000);

afterAll(() => stopRig({ agent, hub, sims: [sim], broker, dir }));

const sentTo = (text: string) => sim.modem.sent.filter((s) => s.text === text);

describe('agent over MQTT and a pty modem', () => {
  it('sends a job once and reports accepted, sending, sent, delivered; retained status online', async () => {
    await hub.publishJob(job('int-1', { text: 'Перезагрузка #1' }));
    await waitFor(() => hub.statesOf('int-1').includes('delivered'), 10_000, 'delivered');
    expect(hub.statesOf('int-1')).toEqual(['accepted', 'sending', 'sent', 'delivered']);
    expect(sentTo('Перезагрузка #1')).toHaveLength(1);
    await waitFor(() => hub.statuses.some((s) => s.state === 'online' && s.modem?.state === 'up'), 5000, 'status online');
    const last = hub.statuses.at(-1);
    expect(last).toMatchObject({ platform_id: 'p1', site_id: 's1', state: 'online', modem: { state: 'up', model: 'SIMCOM_SIM800L' } });
  });

  it('counts and drops malformed jobs without blocking the next one', async () => {
    await hub.publishJob('{not json');
    await hub.publishJob(JSON.stringify({ ...job('int-bad'), to: 'call me' }));
    await hub.publishJob(job('int-2', { text: 'after bad ones' }));
    await waitFor(() => hub.statesOf('int-2').includes('sent'), 10_000, 'sent after malformed');
    const metrics = await agent.registry.getSingleMetricAsString('gsmjobs_agent_mqtt_malformed_messages_total');
    expect(metrics).toMatch(/gsmjobs_agent_mqtt_malformed_messages_total 2/);
    // the bad job still named its execution, so the hub hears that it failed and why
    await waitFor(() => hub.statesOf('int-bad').includes('failed'), 5000, 'bad job reported');
    expect(hub.updates.find((u) => u.execution_id === 'int-bad')?.reason).toMatchObject({ code: 'invalid_job', message: expect.stringMatching(/^to: must be/) });
  });

  it('answers a re-sent execution as duplicate and does not send it again', async () => {
    await waitFor(() => hub.statesOf('int-1').includes('delivered'), 5000, 'first delivered');
    await hub.publishJob(job('int-1', { text: 'Перезагрузка #1', attempt: 2 }));
    await waitFor(() => hub.statesOf('int-1').includes('duplicate'), 5000, 'duplicate');
    expect(sentTo('Перезагрузка #1')).toHaveLength(1);
  });

  it('retries after +CMS ERROR and sends once', async () => {
    sim.modem.cmsErrors.push(42, 38);
    await hub.publishJob(job('int-3', { text: 'cms then ok' }));
    await waitFor(() => hub.statesOf('int-3').includes('delivered'), 10_000, 'delivered after cms errors');
    expect(sentTo('cms then ok')).toHaveLength(1);
    expect(agent.outbox.stateOf('int-3')).toBe('delivered');
  });

  it('serves /metrics that promtool accepts, and /healthz', async () => {
    const base = `http://127.0.0.1:${agent.http.port}`;
    const text = await (await fetch(`${base}/metrics`)).text();
    for (const name of ['gsmjobs_agent_modem_up{modem="modem"} 1', 'gsmjobs_agent_modem_signal_dbm{modem="modem"} -71', 'gsmjobs_agent_mqtt_connected 1', 'gsmjobs_agent_outbox_depth 0', 'gsmjobs_agent_at_command_duration_seconds_bucket', 'gsmjobs_agent_sms_messages_total{result="sent",modem="modem"}', 'gsmjobs_agent_last_success_timestamp_seconds{modem="modem"}', 'gsmjobs_agent_modem_registration{state="home",modem="modem"} 1', 'operator="MTS RUS"']) {
      expect(text).toContain(name);
    }
    const file = join(dir, 'metrics.txt');
    writeFileSync(file, text);
    const out = execFileSync('sh', ['-c', `promtool check metrics < ${file} 2>&1; echo rc=$?`]).toString();
    expect(out.trim()).toBe('rc=0');
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ ok: true, modem: 'up', mqtt: true });
  });

  it('survives unplug and return: modem down meanwhile, queued job sent once after', async () => {
    await sim.unplug();
    await waitFor(() => agent.modemStatus().state === 'down', 10_000, 'modem down');
    await waitFor(() => hub.statuses.at(-1)?.modem?.state === 'down', 5000, 'status down published');
    expect((await fetch(`http://127.0.0.1:${agent.http.port}/healthz`)).status).toBe(503);
    await hub.publishJob(job('int-4', { text: 'while unplugged' }));
    await waitFor(() => hub.statesOf('int-4').includes('accepted'), 5000, 'accepted while unplugged');
    expect(sentTo('while unplugged')).toHaveLength(0);
    await sim.plugIn();
    await waitFor(() => hub.statesOf('int-4').includes('delivered'), 20_000, 'sent after replug');
    expect(sentTo('while unplugged')).toHaveLength(1);
  }, 40_000);

  it('loses nothing when the broker restarts while a message is in the modem', async () => {
    sim.modem.sendDelayMs = 1500;
    await hub.publishJob(job('int-5', { text: 'during broker restart' }));
    await waitFor(() => hub.statesOf('int-5').includes('sending'), 5000, 'sending');
    await broker.restart(2000);
    await waitFor(() => hub.statesOf('int-5').includes('delivered'), 20_000, 'delivered after broker restart').catch((e: unknown) => {
      throw new Error(`${(e as Error).message}: hub saw ${hub.statesOf('int-5').join(',')}; agent state ${agent.outbox.stateOf('int-5')}; pending ${JSON.stringify(agent.outbox.pendingUpdates().map((u) => u.state))}; mqtt ${agent.mqtt.connected} hub ${hub.client.connected}`);
    });
    sim.modem.sendDelayMs = 0;
    expect(hub.statesOf('int-5')).toEqual(['accepted', 'sending', 'sent', 'delivered']);
    expect(sentTo('during broker restart')).toHaveLength(1);
    await waitFor(() => agent.outbox.pendingUpdates().length === 0, 5000, 'all updates acknowledged');
  }, 40_000);

  it('fails a text too long for the part limit at once, before any modem work', async () => {
    await hub.publishJob(job('int-6', { text: 'Ж'.repeat(67 * 6 + 1) }));
    await waitFor(() => hub.statesOf('int-6').includes('failed'), 5000, 'failed');
    expect(hub.statesOf('int-6')).toEqual(['accepted', 'failed']);
    expect(hub.updates.find((u) => u.execution_id === 'int-6' && u.state === 'failed')?.reason).toMatchObject({ code: 'text_too_long', retryable: false });
  });

  it('reports a silent modem down and sends the queued job once it answers again', async () => {
    sim.modem.silent = true;
    await waitFor(() => agent.modemStatus().state === 'down', 15_000, 'modem down');
    expect(agent.modemStatus().error).toMatch(/stopped answering|does not answer/);
    await hub.publishJob(job('int-7', { text: 'after silence' }));
    await waitFor(() => hub.statesOf('int-7').includes('accepted'), 5000, 'accepted');
    sim.modem.silent = false;
    await waitFor(() => hub.statesOf('int-7').includes('delivered'), 20_000, 'delivered after silence');
    expect(sentTo('after silence')).toHaveLength(1);
  }, 40_000);

  it('publishes inbound SMS', async () => {
    sim.modem.receive('+79161234567', 'Питание включено');
    await waitFor(() => hub.inbound.length > 0, 5000, 'inbound');
    expect(hub.inbound[0]).toMatchObject({ type: 'inbound', from: '+79161234567', text: 'Питание включено', parts: 1, platform_id: 'p1', site_id: 's1' });
  });
});
