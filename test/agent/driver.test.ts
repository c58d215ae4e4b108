// Modem driver, outbox and sender on @serialport/binding-mock with the scripted modem:
// start-up, sending with retries after +CMS ERROR, status reports, inbound SMS, the recovery
// ladder when the modem goes silent, and a spontaneous modem restart.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ExecutionUpdate, ModemStatus } from '../../hub/common/contract/index.js';
import { examples } from '../../hub/common/contract/index.js';
import { silentLogger } from '../../hub/common/log.js';
import { AtEngine } from '../../agent/at/engine.js';
import { ModemDriver, type ModemDriverConfig } from '../../agent/modem/driver.js';
import { Journal } from '../../agent/outbox/journal.js';
import { Outbox } from '../../agent/outbox/outbox.js';
import { Pacer } from '../../agent/outbox/pacing.js';
import { Sender } from '../../agent/outbox/sender.js';
import type { JournalRecord } from '../../agent/outbox/state.js';
import { SerialLink } from '../../agent/serial/port.js';
import type { DecodedStatusReport } from '../../agent/sms/deliver.js';
import { encodeDeliver } from '../../agent/sms/deliver.js';
import type { InboundMessage } from '../../agent/sms/reassembly.js';
import type { SimOptions } from '../../agent/sim/modem.js';
import { mockModem } from './support/mock-modem.js';
import { waitFor } from '../support/process.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const cfg: ModemDriverConfig = {
  cnmi: '2,1,0,1,0',
  registrationTimeoutMs: 2000,
  syncAttempts: 2,
  pollIntervalMs: 100,
  resetWaitMs: 50,
  reopenDelayMs: 50,
  sendTimeoutMs: 2000,
  recoveryBackoffMs: 50,
  syncTimeoutMs: 200,
};

async function rig(sim: Omit<SimOptions, 'write'> = {}, extra: Partial<ModemDriverConfig> = {}, handOn?: (m: InboundMessage) => Promise<void>) {
  const m = mockModem(sim);
  const statuses: ModemStatus[] = [];
  const reports: DecodedStatusReport[] = [];
  const inbound: InboundMessage[] = [];
  const ran: string[] = [];
  const engine = new AtEngine({ onUrc: (u) => d.onUrc(u), defaultTimeoutMs: 400 });
  const link = new SerialLink({ path: m.path, baudRate: 115200, binding: m.binding, engine, log: silentLogger, onLost: (r) => d.portLost(r) });
  const d: ModemDriver = new ModemDriver({
    engine,
    link,
    log: silentLogger,
    config: { ...cfg, ...extra },
    runCommand: async (c) => {
      ran.push(c);
    },
    onStatus: (s) => statuses.push(s),
    onStatusReport: (r) => reports.push(r),
    onInbound: async (i) => {
      if (handOn) await handOn(i);
      inbound.push(i);
    },
  });
  cleanups.push(() => d.stop());
  return { m, driver: d, engine, statuses, reports, inbound, ran };
}

describe('ModemDriver', () => {
  it('starts up: sync, echo off, identity, SIM PIN, PDU mode, indications, registration', async () => {
    const { m, driver } = await rig({ model: 'SIM800', pin: '2468', spam: true }, { pin: '2468' });
    driver.start();
    await waitFor(() => driver.isUp, 5000, 'modem up').catch((e: unknown) => {
      throw new Error(`${(e as Error).message}: ${JSON.stringify(driver.status)} ${m.written()}`);
    });
    expect(driver.status).toMatchObject({ state: 'up', manufacturer: 'SIMCOM_Ltd', model: 'SIMCOM_SIM800L', registration: 'home', signal_dbm: -71, operator: 'MTS RUS' });
    const w = m.written();
    for (const c of ['ATE0\r', 'AT+CMEE=1\r', 'AT+CPIN="2468"\r', 'AT+CMGF=0\r', 'AT+CNMI=2,1,0,1,0\r', 'AT+CSCA?\r', 'AT+CREG?\r']) expect(w).toContain(c);
  }, 15_000);

  it('brings back a modem left in numeric result mode (ATV0) [V.250 6.2.6]', async () => {
    const { m, driver } = await rig({ model: 'EC25' });
    m.sim.verbose = false;
    driver.start();
    await waitFor(() => driver.isUp, 5000, 'modem up');
    expect(m.sim.verbose).toBe(true);
  });

  it('says plainly when the SIM wants a PIN and none is configured', async () => {
    const { driver } = await rig({ pin: '2468' });
    driver.start();
    await waitFor(() => driver.status.state === 'down', 5000, 'modem down');
    expect(driver.status.error).toMatch(/asks for a PIN and none is configured/);
  });

  it('reads inbound SMS (+CMTI), reassembles multipart text and deletes it from the SIM [TS 27.005 3.4.1]', async () => {
    const { m, driver, inbound } = await rig({ model: 'EC25' });
    driver.start();
    await waitFor(() => driver.isUp, 5000, 'modem up');
    const long = 'Ответ: питание выключено на 5 минут. '.repeat(3);
    m.sim.receive('+79161234567', long);
    await waitFor(() => inbound.length === 1, 5000, 'inbound');
    expect(inbound[0]).toMatchObject({ from: '+79161234567', text: long, parts: 2, complete: true });
    await waitFor(() => m.sim.storedCount === 0, 2000, 'deleted from the SIM');
  });

  it('a forged part (seq beyond the total) neither completes a message nor deletes its parts from the SIM [TS 23.040 9.2.3.24.1]', async () => {
    const { m, driver, inbound } = await rig();
    driver.start();
    await waitFor(() => driver.isUp, 5000, 'modem up');
    const sentAt = '2026-11-25T08:30:00.000Z';
    const real = encodeDeliver({ from: '+79161234567', text: 'first half ', encoding: 'gsm7', sentAt, concat: { ref: 9, total: 2, seq: 1 } });
    const forged = encodeDeliver({ from: '+79161234567', text: 'forged', encoding: 'gsm7', sentAt, concat: { ref: 9, total: 2, seq: 5 } });
    m.sim.receivePdu(real.hex, real.tpduLength);
    m.sim.receivePdu(forged.hex, forged.tpduLength);
    await waitFor(() => inbound.length === 1, 5000, 'the forged part handed on alone');
    expect(inbound[0]).toMatchObject({ text: 'forged', parts: 1, complete: false });
    await waitFor(() => m.sim.storedCount === 1, 2000, 'only the forged part deleted');
    await new Promise((r) => setTimeout(r, 300));
    expect(m.sim.storedCount).toBe(1); // the real first half waits for its second half
    expect(driver.smsDrops.invalid_seq).toBe(1);
  });

  it('keeps an inbound SMS on the SIM until it is handed on', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const { m, driver, inbound } = await rig({}, {}, () => gate);
    driver.start();
    await waitFor(() => driver.isUp, 5000, 'modem up');
    m.sim.receive('+79161234567', 'held');
    await new Promise((r) => setTimeout(r, 300));
    expect(m.sim.storedCount).toBe(1);
    expect(inbound).toHaveLength(0);
    release();
    await waitFor(() => m.sim.storedCount === 0 && inbound.length === 1, 3000, 'handed on and deleted');
  });

  it('climbs the recovery ladder when the modem goes silent and comes back up', async () => {
    const { m, driver, statuses, ran } = await rig({}, { powerCycleCommand: 'power-cycle-modem' });
    driver.start();
    await waitFor(() => driver.isUp, 5000, 'modem up');
    m.sim.silent = true;
    await waitFor(() => driver.status.state === 'down', 8000, 'modem down');
    expect(driver.status.error).toMatch(/stopped answering|does not answer/);
    await waitFor(() => driver.recoveries >= 4, 15_000, 'ladder climbed');
    expect(ran).toEqual(['power-cycle-modem']);
    expect(m.written()).toContain('AT+CFUN=1,1\r');
    m.sim.silent = false;
    await waitFor(() => driver.isUp, 15_000, 'modem up again');
    expect(statuses.map((s) => s.state)).toEqual(expect.arrayContaining(['up', 'down', 'init']));
  }, 40_000);

  it('re-initialises after a spontaneous modem restart (RDY without being asked)', async () => {
    const { m, driver } = await rig({ model: 'SIM800', resetMs: 50 });
    driver.start();
    await waitFor(() => driver.isUp, 5000, 'modem up');
    const before = (m.written().match(/ATE0\r/g) ?? []).length;
    m.sim.restart();
    await waitFor(() => (m.written().match(/ATE0\r/g) ?? []).length > before && driver.isUp, 8000, 're-initialised');
    expect(m.sim.echo).toBe(false);
  }, 15_000);
});

describe('Sender with outbox and driver', () => {
  it('retries after +CMS ERROR with backoff and sends once; status report makes it delivered', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gsmjobs-sender-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const { m, driver, reports } = await rig({ model: 'SIM7600', statusReportDelayMs: 20 });
    const outbox = new Outbox(new Journal<JournalRecord>(join(dir, 'j')), { resendUncertain: false, maxTries: 4, retryBaseMs: 30, retryMaxMs: 100, reportWaitMs: 60_000, dedupRetentionMs: 60_000, compactBytes: 1e9 });
    const updates: ExecutionUpdate[] = [];
    outbox.onUpdate = (u) => updates.push(u);
    await outbox.load();
    const sender = new Sender({ outbox, modem: driver, pacer: new Pacer(0, 0), config: { maxParts: 6, maxTries: 4, resendUncertain: false }, log: silentLogger });
    outbox.onChange = () => sender.poke();
    cleanups.push(() => sender.stop());
    m.sim.cmsErrors.push(42, 500);
    driver.start();
    sender.start();
    await outbox.accept({ ...examples.exampleJob, expires_at: new Date(Date.now() + 60_000).toISOString() });
    await waitFor(() => m.sim.sent.length === 1, 8000, 'sent');
    // status report -> outbox (the app wires this; done by hand here)
    await waitFor(() => reports.length === 1, 5000, 'status report');
    const r = reports[0] as DecodedStatusReport;
    await outbox.report(r.messageRef, r.status, r.outcome, r.dischargeAt);
    expect(updates.map((u) => u.state)).toEqual(['accepted', 'sending', 'sent', 'delivered']);
    expect(updates.map((u) => u.seq)).toEqual([0, 1, 2, 3]);
    expect(m.sim.sent).toHaveLength(1);
    expect(outbox.get(examples.exampleJob.execution_id)?.tries).toBe(3);
  }, 20_000);

  it('fails at once on a permanent +CMS ERROR and on an invalid number', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gsmjobs-sender-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const { m, driver } = await rig();
    const outbox = new Outbox(new Journal<JournalRecord>(join(dir, 'j')), { resendUncertain: false, maxTries: 4, retryBaseMs: 30, retryMaxMs: 100, reportWaitMs: 60_000, dedupRetentionMs: 60_000, compactBytes: 1e9 });
    const updates: ExecutionUpdate[] = [];
    outbox.onUpdate = (u) => updates.push(u);
    await outbox.load();
    const sender = new Sender({ outbox, modem: driver, pacer: new Pacer(0, 0), config: { maxParts: 6, maxTries: 4, resendUncertain: false }, log: silentLogger });
    driver.start();
    await waitFor(() => driver.isUp, 5000, 'up');
    m.sim.cmsErrors.push(28);
    const exp = new Date(Date.now() + 60_000).toISOString();
    await outbox.accept({ ...examples.exampleJob, execution_id: 'a1', expires_at: exp });
    await outbox.accept({ ...examples.exampleJob, execution_id: 'a2', to: '12', expires_at: exp });
    const a1 = outbox.get('a1');
    const a2 = outbox.get('a2');
    if (!a1 || !a2) throw new Error('missing');
    expect(await sender.sendOne(a1)).toBe('failed');
    expect(await sender.sendOne(a2)).toBe('failed');
    expect(updates.filter((u) => u.state === 'failed').map((u) => u.reason?.code)).toEqual(['cms_error', 'invalid_number']);
    expect(m.sim.sent).toHaveLength(0);
  }, 15_000);
});
