// SIM protection on the pty simulator: a PIN the SIM refused is remembered (salted hash, in
// the data directory) so that neither a restart, the recovery ladder nor `doctor` spends another
// try [TS 27.007 8.3 +CPIN]; the last try is never spent; the simulator counts every AT+CPIN=.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../hub/common/log.js';
import { Registry } from 'prom-client';
import { agentConfigSchema } from '../../agent/config.js';
import { createAgentMetrics } from '../../agent/metrics.js';
import type { SimInfo } from '../../agent/modem/setup.js';
import { runDoctor } from '../../agent/doctor.js';
import { createModemStack, defaultBinding } from '../../agent/modem/stack.js';
import type { ModelName } from '../../agent/sim/models.js';
import type { SimPty } from '../../agent/sim/pty.js';
import { agentConfig, rm, startSim, tmp, waitFor } from './support/rig.js';

let dir: string | undefined;
let sim: SimPty | undefined;

afterEach(async () => {
  await sim?.stop();
  sim = undefined;
  if (dir) rm(dir);
  dir = undefined;
});

function config(pin: string | undefined) {
  const base = agentConfig(dir as string, 'mqtt://127.0.0.1:1', (sim as SimPty).path);
  return agentConfigSchema.parse({ ...base, modem: { ...base.modem, ...(pin ? { pin } : {}) } });
}

/** Start the modem side as `agent run` does, wait until it settles, stop it (one "run" of the service). */
async function serviceRun(pin: string | undefined): Promise<{ state: string; error?: string; blocked: boolean; recoveries: number; sim: SimInfo; metrics: string }> {
  const stack = createModemStack({ config: config(pin), log: silentLogger, binding: await defaultBinding() });
  stack.driver.start();
  try {
    await waitFor(() => stack.driver.blocked ?? stack.driver.isUp, 10_000, 'modem up or blocked');
    // Long enough for the old ladder to have reset the modem and retried the PIN.
    await new Promise((r) => setTimeout(r, 1500));
    const s = stack.driver.status;
    // The SIM metrics as the service exposes them.
    const registry = new Registry();
    createAgentMetrics(registry, { modem: () => stack.driver.status, outboxDepth: () => 0, journalBytes: () => 0, mqttConnected: () => false, sim: () => stack.driver.sim });
    const metrics = await registry.metrics();
    return { state: s.state, ...(s.error ? { error: s.error } : {}), blocked: stack.driver.blocked !== undefined, recoveries: stack.driver.recoveries, sim: stack.driver.sim, metrics };
  } finally {
    await stack.driver.stop();
  }
}

describe.each<ModelName>(['EC25', 'SIM800', 'E3372'])('a wrong PIN on %s', (model) => {
  it('is sent exactly once across restarts and doctor runs, then the right PIN is tried', async () => {
    dir = tmp('gsmjobs-pin-');
    sim = await startSim(dir, { model, pin: '2580' });
    const first = await serviceRun('1111');
    expect(first.state).toBe('down');
    expect(first.blocked).toBe(true);
    expect(first.recoveries).toBe(0); // no resets for a state a reset cannot heal
    expect(first.error).toContain('the SIM refused the configured PIN; 2 tries left; fix the PIN, do not restart');
    expect(first.error).toContain(' / SIM-карта отклонила указанный PIN; осталось попыток: 2; исправьте PIN, не перезапускайте');
    expect(first.sim).toEqual({ state: 'pin_refused', triesLeft: 2 });
    expect(first.metrics).toMatch(/gsmjobs_agent_sim_state\{state="pin_refused",modem="modem"\} 1/);
    expect(first.metrics).toMatch(/gsmjobs_agent_sim_state\{state="ready",modem="modem"\} 0/);
    expect(first.metrics).toMatch(/gsmjobs_agent_sim_pin_tries_left\{modem="modem"\} 2/);
    // A restart of the service.
    const second = await serviceRun('1111');
    expect(second.error).toContain('2 tries left');
    // doctor shares the refusal memory.
    const checks = await runDoctor(config('1111'), await defaultBinding(), silentLogger);
    expect(checks.find((c) => c.name === 'sim')).toMatchObject({ ok: false, detail: expect.stringContaining('2 tries left') });
    expect(sim.modem.pinAttempts).toBe(1);
    expect(sim.modem.pinTriesLeft).toBe(2);
    // What is stored: a salted hash, never the PIN, readable by the owner only.
    const file = join(dir, 'data', 'sim-pin-refused.json');
    expect(readFileSync(file, 'utf8')).not.toContain('1111');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    // The technician fixes the PIN: it is tried, the SIM opens, the memory is cleared.
    const fixed = await serviceRun('2580');
    expect(fixed.state).toBe('up');
    expect(fixed.sim).toEqual({ state: 'ready', triesLeft: 3 });
    expect(sim.modem.pinAttempts).toBe(2);
    expect(() => statSync(file)).toThrow();
  }, 40_000);
});

describe('the last PIN try', () => {
  it('is never spent, and a PUK-locked SIM is reported without a PIN', async () => {
    dir = tmp('gsmjobs-pin-');
    sim = await startSim(dir, { model: 'EC25', pin: '2580' });
    sim.modem.pinTriesLeft = 1;
    const r = await serviceRun('1111');
    expect(r.error).toContain('only 1 PIN try left');
    expect(r.sim).toEqual({ state: 'pin_last_try', triesLeft: 1 });
    expect(sim.modem.pinAttempts).toBe(0);
    sim.modem.pinTriesLeft = 0;
    const puk = await serviceRun('1111');
    expect(puk.error).toContain('needs its PUK');
    expect(puk.error).toContain('SIM-карта заблокирована, нужен PUK');
    expect(puk.metrics).toMatch(/gsmjobs_agent_sim_state\{state="puk_required",modem="modem"\} 1/);
    expect(sim.modem.pinAttempts).toBe(0);
  }, 30_000);

  it('the simulator PUK-locks after three wrong PINs', async () => {
    dir = tmp('gsmjobs-pin-');
    sim = await startSim(dir, { model: 'SIM800', pin: '2580' });
    const lines: string[] = [];
    const m = sim.modem;
    const o = m as unknown as { o: { write: (d: string) => void } };
    const write = o.o.write;
    o.o.write = (d) => lines.push(d);
    for (let i = 0; i < 3; i++) m.input('AT+CPIN="0000"\r');
    m.input('AT+CPIN?\r');
    m.input('AT+SPIC\r');
    o.o.write = write;
    const text = lines.join('');
    expect(text.match(/\+CME ERROR: 16/g)).toHaveLength(3);
    expect(text).toContain('+CPIN: SIM PUK');
    expect(text).toContain('+SPIC: 0,10,3,10');
  });
});
