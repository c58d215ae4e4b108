// The `try` is recorded after the "> " prompt and before the PDU bytes [TS 27.005 3.5.1]
// (issue 15): the hook sees AT+CMGS on the wire but not the PDU; a failing hook cancels the
// prompt with ESC and nothing is sent; a hook that outlives the command never lets the PDU out.
import { afterEach, describe, expect, it } from 'vitest';
import { AtEngine, BeforePduError } from '../../agent/at/engine.js';
import { classifySendError } from '../../agent/at/errors.js';
import { SerialLink } from '../../agent/serial/port.js';
import { encodeSubmit } from '../../agent/sms/submit.js';
import { silentLogger } from '../../hub/common/log.js';
import { mockModem } from './support/mock-modem.js';

const links: SerialLink[] = [];
afterEach(async () => {
  for (const l of links.splice(0)) await l.close();
});

async function setup() {
  const m = mockModem({ model: 'SIM800' });
  const engine = new AtEngine();
  const link = new SerialLink({ path: m.path, baudRate: 115200, binding: m.binding, engine, log: silentLogger, onLost: () => undefined });
  links.push(link);
  await link.open();
  m.sim.echo = false;
  const part = encodeSubmit({ to: '+79161234567', text: 'Включить' }).parts[0];
  if (!part) throw new Error('no part');
  return { m, engine, part };
}

describe('AtEngine beforePdu', () => {
  it('runs the hook after the prompt and before the PDU, then sends it', async () => {
    const { m, engine, part } = await setup();
    const seen: string[] = [];
    let written = 0;
    const r = await engine.sendPdu(part.tpduLength, part.hex, {
      beforePdu: async () => {
        seen.push(m.written());
        await new Promise((res) => setTimeout(res, 20));
        seen.push(m.written());
      },
      afterPduWritten: () => written++,
    });
    expect(seen).toEqual([`AT+CMGS=${part.tpduLength}\r`, `AT+CMGS=${part.tpduLength}\r`]);
    expect(m.written()).toBe(`AT+CMGS=${part.tpduLength}\r${part.hex}\u001a`);
    expect(r.lines).toEqual(['+CMGS: 1']);
    expect(written).toBe(1);
    expect(m.sim.sent).toHaveLength(1);
  });

  it('a failing hook cancels the prompt with ESC: nothing sent, retryable, not uncertain', async () => {
    const { m, engine, part } = await setup();
    const err = await engine.sendPdu(part.tpduLength, part.hex, { beforePdu: () => Promise.reject(new Error('ENOSPC: no space left on device')) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BeforePduError);
    expect((err as Error).message).toMatch(/not sent.*ENOSPC/);
    expect((err as { uncertain?: boolean }).uncertain).toBeUndefined();
    expect(classifySendError(err).retryable).toBe(true);
    expect(m.written()).toBe(`AT+CMGS=${part.tpduLength}\r\u001b`);
    expect(m.sim.sent).toHaveLength(0);
    // The modem left the prompt: the next command is answered.
    expect((await engine.run('AT+CGMI')).lines).toEqual(['SIMCOM_Ltd']);
  });

  it('a hook that outlives the command never lets the PDU out', async () => {
    const { m, engine, part } = await setup();
    let release: () => void = () => undefined;
    const hook = new Promise<void>((r) => (release = r));
    const err = await engine.sendPdu(part.tpduLength, part.hex, { timeoutMs: 100, beforePdu: () => hook }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BeforePduError);
    expect((err as Error).message).toMatch(/did not finish within 100 ms/);
    release();
    await new Promise((r) => setTimeout(r, 30));
    expect(m.written()).not.toContain(part.hex);
    expect(m.sim.sent).toHaveLength(0);
    expect((await engine.run('AT+CGMM')).lines).toEqual(['SIMCOM_SIM800L']);
  });
});
