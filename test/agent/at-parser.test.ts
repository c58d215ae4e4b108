// AT stream parser: V.250 / TS 27.007 5.7 result codes, TS 27.005 3.5.1 prompt and 3.4.1 URCs,
// fed whole, byte by byte and split at every position.
import { describe, expect, it } from 'vitest';
import { type AtEvent, AtParser, parseFinal } from '../../agent/at/parser.js';

function feedAll(p: AtParser, chunks: Array<string | Uint8Array>): AtEvent[] {
  return chunks.flatMap((c) => p.push(c));
}

function splitEverywhere(text: string): string[][] {
  const out: string[][] = [[text], [...text]];
  for (let i = 1; i < text.length; i++) out.push([text.slice(0, i), text.slice(i)]);
  return out;
}

describe('final result codes [TS 27.007 9.2, TS 27.005 3.2.5]', () => {
  it('parses OK, ERROR, numeric and verbose +CMS/+CME errors', () => {
    expect(parseFinal('OK')).toEqual({ type: 'final', kind: 'ok', text: 'OK' });
    expect(parseFinal('ERROR')).toMatchObject({ kind: 'error' });
    expect(parseFinal('+CMS ERROR: 500')).toMatchObject({ kind: 'cms', code: 500 });
    expect(parseFinal('+CME ERROR: 10')).toMatchObject({ kind: 'cme', code: 10 });
    expect(parseFinal('+CME ERROR: SIM not inserted')).toEqual({ type: 'final', kind: 'cme', text: '+CME ERROR: SIM not inserted' });
    expect(parseFinal('+CSQ: 20,0')).toBeUndefined();
  });
});

describe('AtParser', () => {
  it('gives info lines then the final answer, with echo off, whatever the chunking', () => {
    const wire = '\r\n+CSQ: 21,0\r\n\r\nOK\r\n';
    for (const chunks of splitEverywhere(wire)) {
      const p = new AtParser();
      p.setInFlight({ command: 'AT+CSQ', prefix: '+CSQ' });
      expect(feedAll(p, chunks)).toEqual([
        { type: 'line', text: '+CSQ: 21,0' },
        { type: 'final', kind: 'ok', text: 'OK' },
      ]);
    }
  });

  it('drops the echo of the command when echo is on', () => {
    const p = new AtParser();
    p.setInFlight({ command: 'AT+CGMI' });
    expect(feedAll(p, ['AT+CGMI\r\r\nSIMCOM_Ltd\r\n\r\nOK\r\n'])).toEqual([
      { type: 'line', text: 'SIMCOM_Ltd' },
      { type: 'final', kind: 'ok', text: 'OK' },
    ]);
  });

  it('emits the "> " prompt that has no line end, then the +CMGS answer, PDU echo dropped [TS 27.005 3.5.1]', () => {
    const pdu = '0011000B916407281553F80000AA0AE8329BFD4697D9EC37';
    for (const chunks of splitEverywhere('AT+CMGS=23\r\r\n> ')) {
      const p = new AtParser();
      p.setInFlight({ command: 'AT+CMGS=23', prefix: '+CMGS', echoes: [pdu] }, true);
      expect(feedAll(p, chunks)).toEqual([{ type: 'prompt' }]);
      expect(feedAll(p, [`${pdu}\u001a\r\n+CMGS: 17\r\n\r\nOK\r\n`])).toEqual([
        { type: 'line', text: '+CMGS: 17' },
        { type: 'final', kind: 'ok', text: 'OK' },
      ]);
    }
  });

  it('tells URCs arriving between a command and its answer from the answer [TS 27.005 3.4.1]', () => {
    const wire = '\r\n+CMTI: "SM",3\r\n\r\n^RSSI: 14\r\n\r\n+CREG: 0,1\r\n+QIND: "csq",20,99\r\n\r\nUNDER-VOLTAGE WARNNING\r\n\r\nOK\r\n';
    for (const chunks of splitEverywhere(wire)) {
      const p = new AtParser();
      p.setInFlight({ command: 'AT+CREG?', prefix: '+CREG' });
      const ev = feedAll(p, chunks);
      expect(ev).toEqual([
        { type: 'urc', name: '+CMTI', text: '+CMTI: "SM",3' },
        { type: 'urc', name: '^RSSI', text: '^RSSI: 14' },
        { type: 'line', text: '+CREG: 0,1' },
        { type: 'urc', name: '+QIND', text: '+QIND: "csq",20,99' },
        { type: 'urc', name: 'UNDER-VOLTAGE WARNNING', text: 'UNDER-VOLTAGE WARNNING' },
        { type: 'final', kind: 'ok', text: 'OK' },
      ]);
    }
  });

  it('joins the two-line +CDS status report with its PDU [TS 27.005 3.4.1]', () => {
    const wire = '\r\n+CDS: 25\r\n07919761989901F00611' + '0B919761214365F7\r\n';
    for (const chunks of splitEverywhere(wire)) {
      const p = new AtParser();
      expect(feedAll(p, chunks)).toEqual([{ type: 'urc', name: '+CDS', text: '+CDS: 25', pdu: '07919761989901F006110B919761214365F7' }]);
    }
  });

  it('treats any line with no command in flight as unsolicited and power-up garbage as noise', () => {
    const p = new AtParser();
    const ev = feedAll(p, [Buffer.from([0x00, 0xff, 0xfe, 0x0d, 0x0a]), '\r\nRDY\r\n\r\n+CFUN: 1\r\n\r\n+CPIN: READY\r\n\r\nCall Ready\r\nSMS Ready\r\n', '\r\n\u00e8\u00e9\r\n']);
    expect(ev).toEqual([
      { type: 'noise', text: '\u00fe' },
      { type: 'urc', name: 'RDY', text: 'RDY' },
      { type: 'urc', name: '+CFUN', text: '+CFUN: 1' },
      { type: 'urc', name: '+CPIN', text: '+CPIN: READY' },
      { type: 'urc', name: 'Call Ready', text: 'Call Ready' },
      { type: 'urc', name: 'SMS Ready', text: 'SMS Ready' },
      { type: 'noise', text: '\u00e8\u00e9' },
    ]);
  });

  it('reads a +CPIN answer as the answer when AT+CPIN? is in flight', () => {
    const p = new AtParser();
    p.setInFlight({ command: 'AT+CPIN?', prefix: '+CPIN' });
    expect(feedAll(p, ['\r\n+CPIN: SIM PIN\r\n\r\nOK\r\n'])[0]).toEqual({ type: 'line', text: '+CPIN: SIM PIN' });
  });

  it('keeps PDU lines of +CMGR as information lines', () => {
    const p = new AtParser();
    p.setInFlight({ command: 'AT+CMGR=3', prefix: '+CMGR' });
    expect(feedAll(p, ['\r\n+CMGR: 0,,24\r\n07919761989901F0040B\r\n\r\nOK\r\n'])).toEqual([
      { type: 'line', text: '+CMGR: 0,,24' },
      { type: 'line', text: '07919761989901F0040B' },
      { type: 'final', kind: 'ok', text: 'OK' },
    ]);
  });

  it('does not let an endless line without terminator grow without bound', () => {
    const p = new AtParser();
    const ev = p.push('x'.repeat(5000));
    expect(ev[0]).toMatchObject({ type: 'noise' });
    expect(p.push('\r\nOK\r\n')).toEqual([{ type: 'final', kind: 'ok', text: 'OK' }]);
  });
});
