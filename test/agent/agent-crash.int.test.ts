// The agent as a child process, killed with SIGKILL while it holds jobs in every state
// (delivered, sent awaiting a report, in the modem without answer, queued), then restarted:
// nothing lost, nothing sent twice (checked from the simulator's own log), the one whose fate
// is unknown reported `uncertain`.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import type { SimPty } from '../../agent/sim/pty.js';
import type { Mosquitto } from '../support/mosquitto.js';
import type { Proc } from '../support/process.js';
import { type HubView, agentConfig, job, startBroker, startHubView, startSim, tmp, startAgentProcess, waitFor, stopRig } from './support/rig.js';

let dir: string;
let broker: Mosquitto;
let hub: HubView;
let sim: SimPty;
let agent: Proc | undefined;
let configFile: string;



beforeAll(async () => {
  dir = tmp('gsmjobs-agent-crash-');
  broker = await startBroker(join(dir, 'broker'));
  hub = await startHubView(broker.url);
  sim = await startSim(dir, { model: 'EC25', statusReportDelayMs: 50 });
  configFile = join(dir, 'agent.yaml');
  const cfg = agentConfig(dir, broker.url, sim.path);
  // A short keepalive so the broker publishes the last will soon after the kill.
  writeFileSync(configFile, YAML.stringify({ ...cfg, mqtt: { ...cfg.mqtt, keepalive_s: 1 }, log_level: 'info' }));
}, 60_000);

afterAll(() => stopRig({ agent, hub, sims: [sim], broker, dir }));

function smsLog(): Array<{ text: string; to: string; mr: number }> {
  return readFileSync(join(dir, 'sms.jsonl'), 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { text: string; to: string; mr: number });
}

describe('agent killed with SIGKILL and restarted', () => {
  it('loses nothing and sends nothing twice', async () => {
    agent = startAgentProcess(configFile);
    await agent.waitForOutput(/"msg":"modem up"/, 20_000);
    // A: delivered before the crash
    await hub.publishJob(job('crash-a', { text: 'A delivered' }));
    await waitFor(() => hub.statesOf('crash-a').includes('delivered'), 10_000, 'A delivered');
    // B: sent, status report still to come
    sim.modem.statusReportDelayMs = 600_000;
    await hub.publishJob(job('crash-b', { text: 'B sent' }));
    await waitFor(() => hub.statesOf('crash-b').includes('sent'), 10_000, 'B sent');
    // C: handed to the modem, no answer yet
    sim.modem.hangNextSend = true;
    await hub.publishJob(job('crash-c', { text: 'C in the modem' }));
    await waitFor(() => hub.statesOf('crash-c').includes('sending') && sim.modem.sent.some((s) => s.text === 'C in the modem'), 10_000, 'C in the modem');
    // D, E: queued behind C (multipart E)
    await hub.publishJob(job('crash-d', { text: 'D queued' }));
    await hub.publishJob(job('crash-e', { text: 'E queued '.repeat(30), to: '+79160000001' }));
    await waitFor(() => hub.statesOf('crash-d').includes('accepted') && hub.statesOf('crash-e').includes('accepted'), 10_000, 'D, E accepted');

    agent.kill('SIGKILL');
    await agent.exited;
    // The broker publishes the retained last will [MQTT-3.1.2-8].
    await waitFor(() => hub.statuses.at(-1)?.state === 'offline', 10_000, 'last will offline');
    sim.modem.silent = false;
    sim.modem.statusReportDelayMs = 50;

    agent = startAgentProcess(configFile);
    await waitFor(() => hub.statesOf('crash-c').includes('uncertain'), 20_000, 'C uncertain');
    await waitFor(() => hub.statesOf('crash-d').includes('delivered') && hub.statesOf('crash-e').includes('delivered'), 20_000, 'D and E delivered');

    // The hub re-sends D (it may not have seen `accepted`): a duplicate, not a second SMS.
    await hub.publishJob(job('crash-d', { text: 'D queued', attempt: 2 }));
    await waitFor(() => hub.statesOf('crash-d').includes('duplicate'), 10_000, 'D duplicate');

    const log = smsLog();
    const count = (text: string) => log.filter((s) => s.text === text).length;
    expect(count('A delivered')).toBe(1);
    expect(count('B sent')).toBe(1);
    expect(count('C in the modem')).toBe(1);
    expect(count('D queued')).toBe(1);
    // E has two parts, each logged once
    expect(log.filter((s) => s.to === '+79160000001')).toHaveLength(2);
    expect(hub.statesOf('crash-a')).toEqual(['accepted', 'sending', 'sent', 'delivered']);
    expect(hub.statesOf('crash-c'), JSON.stringify(hub.updates.filter((u) => u.execution_id === 'crash-c'))).toEqual(['accepted', 'sending', 'uncertain']);
    expect(hub.statesOf('crash-b').slice(0, 3)).toEqual(['accepted', 'sending', 'sent']);
    expect(hub.updates.find((u) => u.execution_id === 'crash-c' && u.state === 'uncertain')?.reason?.code).toBe('uncertain');
    const code = await agent.stop();
    expect(code).toBe(0);
    // the clean stop published a retained offline status
    await waitFor(() => hub.statuses.at(-1)?.state === 'offline', 5000, 'offline status');
  }, 90_000);
});
