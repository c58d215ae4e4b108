// SMS PDU codec: 3GPP TS 23.040 (TPDUs) and TS 23.038 (7-bit packing), with public vectors
// (dreamfabric.com "SMS and the PDU format", Wikipedia GSM 03.38) and our own round trips.
import { describe, expect, it } from 'vitest';
import {
  InvalidNumberError,
  Reassembler,
  decodeIncoming,
  decodeSubmit,
  encodeDeliver,
  encodeStatusReport,
  encodeSubmit,
  fillBitsAfter,
  packSeptets,
  textToSeptets,
  unpackSeptets,
} from '../../agent/sms/index.js';
import { SmsTooLongError } from '../../hub/common/sms/index.js';

describe('7-bit packing [TS 23.038 6.1.2.1.1]', () => {
  it('packs "hello" and "hellohello" as the public vectors', () => {
    expect(packSeptets(textToSeptets('hello')).toString('hex').toUpperCase()).toBe('E8329BFD06');
    expect(packSeptets(textToSeptets('hellohello')).toString('hex').toUpperCase()).toBe('E8329BFD4697D9EC37');
  });
  it('unpacks what it packs at every fill offset', () => {
    const s = textToSeptets('Any {text} with €uro & 12345 @ end');
    for (let fill = 0; fill < 7; fill++) expect(unpackSeptets(packSeptets(s, fill), s.length, fill)).toEqual(s);
  });
  it('needs one fill bit after a 6-octet concatenation header [TS 23.040 9.2.3.24]', () => {
    expect(fillBitsAfter(6)).toBe(1);
    expect(fillBitsAfter(7)).toBe(0);
  });
  it('escapes extension characters [TS 23.038 6.2.1.1]', () => {
    expect(textToSeptets('€[')).toEqual([0x1b, 0x65, 0x1b, 0x3c]);
    expect(() => textToSeptets('ж')).toThrow(/not in the GSM 7-bit alphabet/);
  });
});

describe('SMS-SUBMIT [TS 23.040 9.2.2.2]', () => {
  it('matches the dreamfabric SUBMIT vector (international number, relative VP of 4 days)', () => {
    const plan = encodeSubmit({ to: '+46708251358', text: 'hellohello', validityMinutes: 4 * 1440 });
    expect(plan.parts).toHaveLength(1);
    expect(plan.parts[0]?.hex).toBe('0011000B916407281553F80000AA0AE8329BFD4697D9EC37');
    expect(plan.parts[0]?.tpduLength).toBe(23);
  });
  it('sets TP-SRR and TP-MR and omits TP-VP by default [TS 23.040 9.2.3.5, 9.2.3.6]', () => {
    const hex = encodeSubmit({ to: '+79161234567', text: '#12#0#5#1#', statusReport: true, messageRef: 7 }).parts[0]?.hex ?? '';
    expect(hex.slice(0, 6)).toBe('002107');
    const d = decodeSubmit(hex);
    expect(d).toMatchObject({ to: '+79161234567', text: '#12#0#5#1#', statusReport: true, messageRef: 7, dcs: 0 });
  });
  it('encodes a national number with TOA 0x81', () => {
    const hex = encodeSubmit({ to: '89161234567', text: 'x' }).parts[0]?.hex ?? '';
    expect(hex).toContain('0B819861214365F7');
    expect(decodeSubmit(hex).to).toBe('89161234567');
  });
  it('uses UCS2 for Cyrillic [TS 23.038 4]', () => {
    const plan = encodeSubmit({ to: '+79161234567', text: 'Привет' });
    expect(plan.encoding).toBe('ucs2');
    const hex = plan.parts[0]?.hex ?? '';
    expect(hex).toContain('0008' + '0C' + '041F04400438043204350442');
    expect(decodeSubmit(hex).text).toBe('Привет');
  });
  it('splits long GSM text into 153-septet parts with an 8-bit reference and fill bit [TS 23.040 9.2.3.24.1]', () => {
    const text = 'h'.repeat(153) + 'tail{}';
    const plan = encodeSubmit({ to: '+79161234567', text, ref: 0x2a });
    expect(plan.parts).toHaveLength(2);
    const first = plan.parts[0]?.hex ?? '';
    // first octet 0x41 (SUBMIT + UDHI), UDL 160 septets (7 header + 153), UDH 05 00 03 2A 02 01
    expect(first.slice(2, 4)).toBe('41');
    expect(first).toContain('A0050003' + '2A0201');
    // 'h' (0x68) after one fill bit: (0x68 << 1) & 0xFF = 0xD0
    expect(first.slice(first.indexOf('2A0201') + 6, first.indexOf('2A0201') + 8)).toBe('D0');
    const parts = plan.parts.map((p) => decodeSubmit(p.hex));
    expect(parts.map((p) => p.concat)).toEqual([
      { ref: 0x2a, total: 2, seq: 1 },
      { ref: 0x2a, total: 2, seq: 2 },
    ]);
    expect(parts.map((p) => p.text).join('')).toBe(text);
  });
  it('splits long UCS2 text into 67-unit parts', () => {
    const text = 'Ж'.repeat(140);
    const plan = encodeSubmit({ to: '+79161234567', text, ref: 300 });
    expect(plan.parts).toHaveLength(3);
    const decoded = plan.parts.map((p) => decodeSubmit(p.hex));
    expect(decoded[0]?.concat).toEqual({ ref: 300 & 0xff, total: 3, seq: 1 });
    expect(decoded.map((d) => d.text).join('')).toBe(text);
  });
  it('refuses an invalid number or an over-long text before any modem work', () => {
    expect(() => encodeSubmit({ to: '+7 916', text: 'x' })).toThrow(InvalidNumberError);
    expect(() => encodeSubmit({ to: 'abc', text: 'x' })).toThrow(/invalid destination number/);
    expect(() => encodeSubmit({ to: '+79161234567', text: 'я'.repeat(700), maxParts: 5 })).toThrow(SmsTooLongError);
  });
});

describe('SMS-DELIVER [TS 23.040 9.2.2.1]', () => {
  it('decodes the dreamfabric DELIVER vector with SMSC and time zone', () => {
    const d = decodeIncoming('07917283010010F5040BC87238880900F10000993092516195800AE8329BFD4697D9EC37', 32);
    expect(d).toMatchObject({ type: 'deliver', smsc: '+27381000015', from: '27838890001', text: 'hellohello', sentAt: '1999-03-29T13:16:59.000Z' });
  });
  it('round-trips our encoder including alphanumeric senders and concatenation', () => {
    const e = encodeDeliver({ from: 'MTS', text: 'Баланс 100 р', encoding: 'ucs2', sentAt: '2026-11-25T08:30:10.000Z', concat: { ref: 9, total: 2, seq: 2 } });
    const d = decodeIncoming(e.hex, e.tpduLength);
    expect(d).toMatchObject({ type: 'deliver', from: 'MTS', text: 'Баланс 100 р', sentAt: '2026-11-25T08:30:10.000Z', concat: { ref: 9, total: 2, seq: 2 } });
  });
  it('decodes a PDU without SMSC when the hex length equals <length>', () => {
    const e = encodeDeliver({ from: '+79161234567', text: 'OK on', encoding: 'gsm7', sentAt: '2026-01-02T03:04:05.000Z' });
    const noSmsc = e.hex.slice(16);
    expect(decodeIncoming(noSmsc, e.tpduLength)).toMatchObject({ from: '+79161234567', text: 'OK on' });
  });
  it('rejects truncated PDUs with a message naming the field', () => {
    expect(() => decodeIncoming('07917283010010F5040BC8723888')).toThrow(/PDU ends/);
    expect(() => decodeIncoming('zz')).toThrow(/hexadecimal/);
  });
});

describe('SMS-STATUS-REPORT [TS 23.040 9.2.2.3, 9.2.3.15]', () => {
  it('decodes a public status report vector (delivered)', () => {
    const d = decodeIncoming('0006D60B911326880736F41110117195514011101171957140' + '00', 25);
    expect(d).toMatchObject({ type: 'status-report', messageRef: 0xd6, recipient: '+31628870634', status: 0, outcome: 'delivered' });
    if (d.type === 'status-report') expect(d.sentAt).toBe('2011-01-11T16:59:15.000Z');
  });
  it('classifies TP-ST ranges', () => {
    for (const [st, outcome] of [
      [0x00, 'delivered'],
      [0x01, 'delivered'],
      [0x30, 'pending'],
      [0x41, 'failed'],
      [0x62, 'failed'],
    ] as const) {
      const e = encodeStatusReport({ messageRef: 17, recipient: '+79161234567', sentAt: '2026-11-25T08:30:00.000Z', dischargeAt: '2026-11-25T08:30:08.000Z', status: st });
      expect(decodeIncoming(e.hex, e.tpduLength)).toMatchObject({ messageRef: 17, status: st, outcome, dischargeAt: '2026-11-25T08:30:08.000Z' });
    }
  });
});

describe('reassembly of concatenated inbound SMS [TS 23.040 9.2.3.24.1]', () => {
  const part = (seq: number, text: string, from = '+7916') =>
    decodeIncoming(encodeDeliver({ from, text, encoding: 'gsm7', sentAt: '2026-11-25T08:30:00.000Z', concat: { ref: 5, total: 3, seq } }).hex);
  it('joins parts in order whatever the arrival order', () => {
    const r = new Reassembler();
    const [a, b, c] = [part(2, 'B'), part(3, 'C'), part(1, 'A')];
    if (a.type !== 'deliver' || b.type !== 'deliver' || c.type !== 'deliver') throw new Error('not deliver');
    expect(r.add(a, 0, 4)).toBeUndefined();
    expect(r.add(b, 1, 5)).toBeUndefined();
    expect(r.add(c, 2, 6)).toEqual({ from: '+7916', text: 'ABC', sentAt: '2026-11-25T08:30:00.000Z', parts: 3, complete: true, indexes: [4, 5, 6] });
    expect(r.size).toBe(0);
  });
  it('releases an incomplete message after the wait with a gap marker', () => {
    const r = new Reassembler(1000);
    const a = part(1, 'A');
    if (a.type !== 'deliver') throw new Error('not deliver');
    r.add(a, 0);
    expect(r.expire(999)).toEqual([]);
    expect(r.expire(1000)).toEqual([{ from: '+7916', text: 'A[…][…]', sentAt: '2026-11-25T08:30:00.000Z', parts: 3, complete: false, indexes: [] }]);
  });
});
