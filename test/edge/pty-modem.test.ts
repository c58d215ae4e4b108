// The scripted pty modem itself, checked with the real serialport binding before the edge
// tests rely on it.
import { afterEach, describe, expect, it } from 'vitest';
import { SerialPort } from 'serialport';
import { type PtyModem, startPtyModem } from './pty-modem.js';

describe('scripted pty modem (socat)', () => {
  let modem: PtyModem | undefined;
  afterEach(async () => {
    await modem?.stop();
    modem = undefined;
  });

  it('echoes until ATE0 and answers from its script with a final OK', async () => {
    modem = await startPtyModem();
    const port = new SerialPort({ path: modem.dte, baudRate: 115200, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    let text = '';
    port.on('data', (d: Buffer) => (text += d.toString('latin1')));
    const until = async (needle: string, from: number) => {
      const deadline = Date.now() + 5000;
      while (!text.slice(from).includes(needle)) {
        if (Date.now() > deadline) throw new Error(`no ${JSON.stringify(needle)} in ${JSON.stringify(text)}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    port.write('AT\r');
    await until('OK\r\n', 0);
    expect(text).toBe('AT\r\r\nOK\r\n');
    let mark = text.length;
    port.write('ATE0\r');
    await until('OK\r\n', mark);
    mark = text.length;
    port.write('AT+CPIN?\r');
    await until('OK\r\n', mark);
    expect(text.slice(mark)).toBe('\r\n+CPIN: READY\r\n\r\nOK\r\n');
    mark = text.length;
    port.write('hello\r');
    await until('ERROR\r\n', mark);
    expect(modem.received).toEqual(['AT', 'ATE0', 'AT+CPIN?', 'hello']);
    await new Promise<void>((resolve) => port.close(() => resolve()));
  });
});
