// Issue 19 target over real processes: the agent process (tsx) with two modems (two simulated
// modems on socat pty pairs), a real Mosquitto with the contract's ACL, this file playing the
// hub. (1) A queue of 10 jobs drains on the primary; the primary is unplugged mid-queue; the
// queue drains through the second modem with nothing lost or sent twice (counted at both
// simulators' SMS logs by text), the first message out via the second modem within 10 s of the
// unplug (written to test-artifacts/modems-failover.json). Status reports are matched on the
// modem that sent the part (both simulators number their messages from TP-MR 1). (2) The
// uncertain rule: the agent SIGKILLed at after_pdu_written on modem A and restarted with A
// unplugged reports the message `uncertain` and does not send it on B; with
// `resend_if_uncertain: true` it goes out on B.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import type { SimPty } from '../../agent/sim/pty.js';
import type { SimSms } from '../../agent/sim/modem.js';
import type { Mosquitto } from '../support/mosquitto.js';
import type { Proc } from '../support/process.js';
import { type HubView, agentConfig, job, startBroker, startHubView, startSim, tmp, startAgentProcess, waitFor, stopRig } from './support/rig.js';

const root = new URL('../..', import.meta.url).pathname;
let dir: string;
let broker: Mosquitto;
let hub: HubView;
let simA: SimPty;
let simB: SimPty;
let agent: Proc | undefined;
let configFile: string;
/** When each simulator accepted each part (wall clock), by text. */
const outAt: { a: Array<{ at: number; sms: SimSms }>; b: Array<{ at: number; sms: SimSms }> } = { a: [], b: [] };
/** After this many SMS, modem A holds the `> ` of the next AT+CMGS (that message is then in flight, its PDU not yet sent). */
let holdAfter: number | undefined;


const FINAL = ['sent', 'delivered', 'not_delivered', 'expired', 'failed', 'uncertain'];
const final = (id: string) => hub.statesOf(id).find((s) => FINAL.includes(s));

function logTexts(name: 'a' | 'b'): string[] {
  const file = join(dir, `sms-${name}.jsonl`);
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => (JSON.parse(l) as SimSms).text);
}

/** Both modems up, as the agent's retained status v2 says. */
async function bothUp(p: Proc): Promise<void> {
  await waitFor(
    () => {
      const s = hub.statuses.at(-1);
      return s?.state === 'online' && s.v === 2 && s.modems?.length === 2 && s.modems.every((m) => m.state === 'up');
    },
    30_000,
    `both modems up\n${p.output().slice(-3000)}`,
  );
}

beforeAll(async () => {
  dir = tmp('gsmjobs-agent-modems-');
  broker = await startBroker(join(dir, 'broker'));
  hub = await startHubView(broker.url);
  simA = await startSim(dir, { name: 'modem-a', model: 'SIM800', logFile: join(dir, 'sms-a.jsonl'), statusReportDelayMs: 50, onSms: (sms) => {
      outAt.a.push({ at: Date.now(), sms });
      if (outAt.a.length === holdAfter) simA.modem.hold = 'prompt';
    } });
  simB = await startSim(dir, { name: 'modem-b', model: 'EC25', logFile: join(dir, 'sms-b.jsonl'), statusReportDelayMs: 50, onSms: (sms) => outAt.b.push({ at: Date.now(), sms }) });
  configFile = join(dir, 'agent.yaml');
  const { modem: timings, ...cfg } = agentConfig(dir, broker.url, simA.path);
  const { port: _port, ...t } = timings;
  writeFileSync(
    configFile,
    YAML.stringify({
      ...cfg,
      modems: [
        { ...t, id: 'a', port: simA.path, carrier: 'MTS', priority: 0, parts_per_hour: 1000, price_per_part: 2.5, currency: 'RUB' },
        { ...t, id: 'b', port: simB.path, carrier: 'Beeline', priority: 1 },
      ],
      // A pause between two messages through one modem: the unplug lands between two sends.
      send: { ...cfg.send, per_modem_interval_s: 0.4 },
      mqtt: { ...cfg.mqtt, keepalive_s: 2 },
      log_level: 'info',
    }),
  );
}, 60_000);

// A failed test leaves no agent behind to fight the next one over the MQTT client id.
afterEach(async () => {
  await agent?.stop();
  agent = undefined;
});

afterAll(() => stopRig({ agent, hub, sims: [simA, simB], broker, dir }));

describe('two modems, the primary unplugged mid-queue', () => {
  it('the queue drains through the second modem: nothing lost, nothing sent twice, first message on B within 10 s', async () => {
    agent = startAgentProcess(configFile);
    await bothUp(agent);
    const status = hub.statuses.at(-1);
    expect(status?.modems?.map((m) => [m.id, m.carrier, m.priority])).toEqual([
      ['a', 'MTS', 0],
      ['b', 'Beeline', 1],
    ]);
    expect(status?.modem?.state).toBe('up');

    const ids = Array.from({ length: 10 }, (_, i) => `q-${i}`);
    holdAfter = 3;
    const text = (i: number) => `queue message ${i}`;
    for (const [i, id] of ids.entries()) await hub.publishJob(job(id, { text: text(i), to: `+7916${String(2000000 + i)}` }));
    // Three messages out through A; the fourth is in flight (A holds its prompt: the PDU has not
    // left) when A is pulled out. Deterministic on a loaded machine: no PDU is ever cut in half.
    // A's status reports come 50 ms after each answer: the third's may still be on its way when
    // the fourth's prompt is held, and an unplugged modem never reports it; so A is pulled out
    // once its three messages are delivered.
    await waitFor(() => simA.modem.held === 'prompt' && ids.slice(0, 3).every((id) => hub.statesOf(id).includes('delivered')), 30_000, `three messages delivered through A, the fourth at A's prompt\n${agent?.output().slice(-3000) ?? ''}`);
    const unplugAt = Date.now();
    await simA.unplug();
    simA.modem.release();
    holdAfter = undefined;
    await waitFor(() => ids.every((id) => final(id)), 60_000, `every queued job settled\n${agent?.output().slice(-3000) ?? ''}`);
    // Delivered once the status report matched on the modem that sent the part.
    await waitFor(() => ids.every((id) => hub.statesOf(id).includes('delivered')), 30_000, `every job delivered: ${JSON.stringify(ids.map((id) => hub.statesOf(id)))}`).catch(() => undefined);
    const firstOnB = outAt.b.find((x) => x.at >= unplugAt);
    expect(firstOnB, 'a message went out through B after the unplug').toBeDefined();
    const seconds = ((firstOnB?.at ?? Infinity) - unplugAt) / 1000;

    const a = logTexts('a');
    const b = logTexts('b');
    const perText = ids.map((_, i) => a.filter((x) => x === text(i)).length + b.filter((x) => x === text(i)).length);
    const uncertain = ids.filter((id) => final(id) === 'uncertain');
    const figure = { generated_at: new Date().toISOString(), jobs: ids.length, sent_on_a: a.filter((x) => x.startsWith('queue')).length, sent_on_b: b.filter((x) => x.startsWith('queue')).length, first_on_b_after_unplug_s: seconds, lost: perText.filter((n) => n === 0).length, duplicated: perText.filter((n) => n > 1).length, uncertain: uncertain.length };
    mkdirSync(join(root, 'test-artifacts'), { recursive: true });
    writeFileSync(join(root, 'test-artifacts', 'modems-failover.json'), `${JSON.stringify(figure, null, 2)}\n`);
    console.log(`modems failover: ${JSON.stringify(figure)}`);

    expect(perText, `per text count at both simulators (a: ${JSON.stringify(a)}, b: ${JSON.stringify(b)})`).toEqual(ids.map(() => 1));
    expect(uncertain).toEqual([]);
    expect(seconds).toBeLessThan(10);
    expect(figure.sent_on_a).toBeGreaterThanOrEqual(3);
    expect(figure.sent_on_b).toBeGreaterThanOrEqual(1);
    // Every message delivered: status reports matched on the modem that sent each part (both number from TP-MR 1).
    expect(ids.map((id) => hub.statesOf(id).at(-1))).toEqual(ids.map(() => 'delivered'));
    // Updates say which modem sent each message.
    for (const [i, id] of ids.entries()) {
      const sentOn = hub.updates.find((u) => u.execution_id === id && u.state === 'sent')?.modem;
      expect(sentOn, id).toBe(a.includes(text(i)) ? 'a' : 'b');
    }
    await waitFor(() => hub.statuses.at(-1)?.modems?.[0]?.state === 'down', 10_000, 'modem a down in the status');
    // Status v2 carries each modem's budget, parts today and the cost estimate (a: 2.5 RUB a part).
    await waitFor(() => hub.statuses.at(-1)?.modems?.[1]?.parts_today === figure.sent_on_b, 10_000, `parts of b in the status: ${JSON.stringify(hub.statuses.at(-1)?.modems)}`);
    const [ma, mb] = hub.statuses.at(-1)?.modems ?? [];
    expect(ma).toMatchObject({ id: 'a', parts_today: figure.sent_on_a, cost_today: figure.sent_on_a * 2.5, currency: 'RUB', budget: { parts_per_hour: 1000, parts_last_hour: figure.sent_on_a } });
    expect(mb).toMatchObject({ id: 'b', state: 'up', parts_today: figure.sent_on_b, budget: { parts_per_hour: null } });
    expect(hub.statuses.at(-1)?.modem?.state).toBe('up'); // the summary is the best modem: b
    expect(await agent.stop()).toBe(0);
    agent = undefined;
  }, 120_000);
});

describe('the uncertain rule with two modems', () => {
  async function crashOnA(id: string, text: string, extra: Record<string, unknown>): Promise<void> {
    await simA.plugIn();
    const crashing = startAgentProcess(configFile, { point: 'after_pdu_written', job: id });
    agent = crashing;
    await bothUp(crashing);
    await hub.publishJob(job(id, { text, status_report: false, ...extra }));
    const code = await Promise.race([crashing.exited, new Promise((r) => setTimeout(() => r('alive'), 30_000))]);
    expect(code, crashing.output().slice(-3000)).toBe('SIGKILL');
    agent = undefined;
    // The PDU was written to A's port; the modem is then pulled out before the agent comes back.
    await simA.unplug();
  }

  it('killed after the PDU was written on A, restarted with A unplugged: uncertain, not sent on B', async () => {
    await crashOnA('unc-1', 'uncertain stays', {});
    agent = startAgentProcess(configFile);
    await waitFor(() => final('unc-1'), 30_000, `unc-1 settled\n${agent.output().slice(-3000)}`);
    expect(final('unc-1')).toBe('uncertain');
    expect(hub.updates.find((u) => u.execution_id === 'unc-1' && u.state === 'uncertain')).toMatchObject({ modem: 'a', reason: { code: 'uncertain' } });
    // A control job shows B is up and sending: the zero below is the rule, not a dead modem.
    await hub.publishJob(job('unc-control', { text: 'control on b', status_report: false }));
    await waitFor(() => final('unc-control'), 30_000, 'control job sent');
    expect(logTexts('b').filter((x) => x === 'control on b')).toHaveLength(1);
    expect(logTexts('b').filter((x) => x === 'uncertain stays')).toHaveLength(0);
    expect(await agent.stop()).toBe(0);
    agent = undefined;
  }, 90_000);

  it('with resend_if_uncertain: true the message goes out on B', async () => {
    await crashOnA('unc-2', 'resend allowed', { resend_if_uncertain: true });
    agent = startAgentProcess(configFile);
    await waitFor(() => final('unc-2'), 30_000, `unc-2 settled\n${agent.output().slice(-3000)}`);
    expect(final('unc-2')).toBe('sent');
    expect(hub.updates.find((u) => u.execution_id === 'unc-2' && u.state === 'sent')?.modem).toBe('b');
    expect(logTexts('b').filter((x) => x === 'resend allowed')).toHaveLength(1);
    expect(await agent.stop()).toBe(0);
    agent = undefined;
  }, 90_000);
});
