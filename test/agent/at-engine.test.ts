// AT engine and serial link on @serialport/binding-mock with the scripted modem: one command in
// flight, answers matched to their command, URCs as events, timeouts that name the command,
// the AT+CMGS prompt dance [TS 27.005 3.5.1].
import { afterEach, describe, expect, it } from 'vitest';
import { AtEngine, type Urc, commandName } from '../../agent/at/engine.js';
import { AtCommandError, AtTimeoutError, PortClosedError, UncertainSendError, classifySendError, isCmsRetryable } from '../../agent/at/errors.js';
import { SerialLink } from '../../agent/serial/port.js';
import { encodeSubmit } from '../../agent/sms/submit.js';
import { silentLogger } from '../../hub/common/log.js';
import { type MockModem, mockModem } from './support/mock-modem.js';

const links: SerialLink[] = [];
afterEach(async () => {
  for (const l of links.splice(0)) await l.close();
});

async function setup(opts: Parameters<typeof mockModem>[0] = {}) {
  const m: MockModem = mockModem(opts);
  const urcs: Urc[] = [];
  const observed: string[] = [];
  const engine = new AtEngine({ onUrc: (u) => urcs.push(u), observe: (c, _s, r) => observed.push(`${c}:${r}`) });
  const lost: string[] = [];
  const link = new SerialLink({ path: m.path, baudRate: 115200, binding: m.binding, engine, log: silentLogger, onLost: (r) => lost.push(r) });
  links.push(link);
  await link.open();
  return { m, engine, link, urcs, observed, lost };
}

describe('AtEngine on binding-mock', () => {
  it('runs commands one at a time and matches each answer to its command', async () => {
    const { engine, m, observed } = await setup({ model: 'SIM800' });
    const [a, b, c] = await Promise.all([engine.run('AT+CGMI'), engine.run('AT+CSQ', { prefix: '+CSQ' }), engine.run('AT+CGMM')]);
    expect(a.lines).toEqual(['SIMCOM_Ltd']);
    expect(b.lines).toEqual(['+CSQ: 21,0']);
    expect(c.lines).toEqual(['SIMCOM_SIM800L']);
    // never two commands on the wire before an answer
    expect(m.written()).toBe('AT+CGMI\rAT+CSQ\rAT+CGMM\r');
    expect(observed).toEqual(['+CGMI:ok', '+CSQ:ok', '+CGMM:ok']);
  });

  it('survives echo, URC spam between command and answer, and answers split into tiny chunks', async () => {
    const { engine, urcs } = await setup({ model: 'E3372', spam: true, splitChunks: true });
    const r = await engine.run('AT+CREG?', { prefix: '+CREG' });
    expect(r.lines).toEqual(['+CREG: 0,1']);
    expect(urcs.map((u) => u.name)).toContain('^RSSI');
  });

  it('rejects with +CME ERROR and names the command', async () => {
    const { engine, m } = await setup({ pin: '4321' });
    m.sim.echo = false;
    await expect(engine.run('AT+CPIN="1111"', { sensitive: true })).rejects.toThrow(AtCommandError);
    await expect(engine.run('AT+CPIN="1111"')).rejects.toThrow(/AT\+CPIN="1111": \+CME ERROR: 16 \(Incorrect password\)/);
  });

  it('times out a silent modem with a message naming the command, then recovers', async () => {
    const { engine, m } = await setup();
    m.sim.silent = true;
    const err = await engine.run('AT+CSQ', { timeoutMs: 100 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AtTimeoutError);
    expect((err as Error).message).toBe('AT+CSQ: no answer from the modem within 100 ms');
    expect(engine.stale).toBe(true);
    m.sim.silent = false;
    expect((await engine.run('AT+CGMI')).lines).toEqual(['SIMCOM_Ltd']);
  });

  it('sends a PDU after the "> " prompt and returns +CMGS: <mr> [TS 27.005 3.5.1]', async () => {
    const { engine, m } = await setup({ model: 'SIM7600' });
    const part = encodeSubmit({ to: '+79161234567', text: 'Включить', statusReport: true }).parts[0];
    if (!part) throw new Error('no part');
    const r = await engine.sendPdu(part.tpduLength, part.hex);
    expect(r.lines).toEqual(['+CMGS: 1']);
    expect(m.sim.sent).toMatchObject([{ to: '+79161234567', text: 'Включить', status_report: true, mr: 1 }]);
  });

  it('maps +CMS ERROR after the PDU to a retryable or permanent failure [TS 27.005 3.2.5]', async () => {
    const { engine, m } = await setup();
    m.sim.cmsErrors.push(42, 28);
    const part = encodeSubmit({ to: '+79161234567', text: 'x' }).parts[0];
    if (!part) throw new Error('no part');
    const e1 = await engine.sendPdu(part.tpduLength, part.hex).catch((e: unknown) => e);
    const e2 = await engine.sendPdu(part.tpduLength, part.hex).catch((e: unknown) => e);
    expect(classifySendError(e1)).toMatchObject({ code: 'cms_error', cms_error: 42, retryable: true });
    expect(classifySendError(e2)).toMatchObject({ code: 'cms_error', cms_error: 28, retryable: false, message: 'Unidentified subscriber (+CMS ERROR: 28)' });
    expect(e1).not.toBeInstanceOf(UncertainSendError);
    expect(isCmsRetryable(500)).toBe(true);
    expect(isCmsRetryable(1)).toBe(false);
  });

  it('marks a send whose PDU went out without an answer as uncertain', async () => {
    const { engine, m } = await setup();
    m.sim.hangNextSend = true;
    const part = encodeSubmit({ to: '+79161234567', text: 'x' }).parts[0];
    if (!part) throw new Error('no part');
    const err = await engine.sendPdu(part.tpduLength, part.hex, { timeoutMs: 150 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UncertainSendError);
    expect((err as UncertainSendError).cause).toBeInstanceOf(AtTimeoutError);
    expect(m.sim.sent).toHaveLength(1);
  });

  it('a prompt that never comes is not uncertain (the PDU never left)', async () => {
    const { engine, m } = await setup();
    m.sim.silent = true;
    const err = await engine.sendPdu(20, '00'.repeat(21), { promptTimeoutMs: 80 }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/AT\+CMGS=20: no "> " prompt/);
    expect(err).not.toBeInstanceOf(UncertainSendError);
  });

  it('fails the command in flight when the port closes', async () => {
    const { engine, link, m } = await setup();
    m.sim.silent = true;
    const p = engine.run('AT+CSQ', { timeoutMs: 5000 });
    await link.close();
    await expect(p).rejects.toThrow(PortClosedError);
    await expect(engine.run('AT')).rejects.toThrow(/not open/);
  });

  it('names commands for metrics', () => {
    expect(commandName('AT+CMGS=23')).toBe('+CMGS');
    expect(commandName('ATE0')).toBe('E');
    expect(commandName('AT')).toBe('AT');
    expect(commandName('AT^SYSCFGEX?')).toBe('^SYSCFGEX');
  });
});

describe('AtEngine late answers', () => {
  it('does not take a late OK of an earlier command for the +CMGS answer', async () => {
    const engine = new AtEngine();
    const writes: string[] = [];
    engine.attach({ write: async (d) => void writes.push(d) });
    const p = engine.sendPdu(20, '00'.repeat(21), { promptTimeoutMs: 1000 });
    await new Promise((r) => setImmediate(r));
    engine.feed('\r\nOK\r\n');
    const err = await p.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AtCommandError);
    expect((err as Error).message).toMatch(/OK before the "> " prompt/);
    expect(err).not.toBeInstanceOf(UncertainSendError);
    expect(engine.stale).toBe(true);
    expect(writes).toEqual(['AT+CMGS=20\r']);
  });
});
