// Reassembly does not trust the UDH (issue 18) [TS 23.040 9.2.3.24.1]: seq 0 and seq > total
// never count toward a message (handed on alone, incomplete, with only their own SIM slot); a
// repeated seq keeps the first text; waiting parts are bounded by count and by text size, the
// oldest message is evicted (handed on with gaps and its slots); each case is counted.
import { describe, expect, it } from 'vitest';
import { decodeIncoming, encodeDeliver, type DecodedDeliver } from '../../agent/sms/deliver.js';
import { Reassembler } from '../../agent/sms/reassembly.js';

const SENT = '2026-11-25T08:30:00.000Z';

function part(seq: number, text: string, o: { total?: number; ref?: number; from?: string } = {}): DecodedDeliver {
  const d = decodeIncoming(encodeDeliver({ from: o.from ?? '+7916', text, encoding: 'gsm7', sentAt: SENT, concat: { ref: o.ref ?? 5, total: o.total ?? 2, seq } }).hex);
  if (d.type !== 'deliver') throw new Error('not a deliver');
  return d;
}

describe('reassembly of untrusted parts [TS 23.040 9.2.3.24.1]', () => {
  it.each([0, 3, 255])('a part with seq %i does not complete a message and takes nothing with it', (seq) => {
    const r = new Reassembler();
    expect(r.add(part(1, 'A'), 0, 1)).toBeUndefined();
    expect(r.add(part(seq, 'forged'), 1, 2)).toEqual({ from: '+7916', text: 'forged', sentAt: SENT, parts: 1, complete: false, indexes: [2] });
    expect(r.size).toBe(1);
    expect(r.add(part(2, 'B'), 2, 3)).toEqual({ from: '+7916', text: 'AB', sentAt: SENT, parts: 2, complete: true, indexes: [1, 3] });
    expect(r.drops.invalid_seq).toBe(1);
  });

  it('a repeated seq keeps the first text; its slot is freed with the message', () => {
    const r = new Reassembler();
    r.add(part(1, 'A'), 0, 1);
    expect(r.add(part(1, 'X'), 1, 2)).toBeUndefined();
    expect(r.add(part(2, 'B'), 2, 3)).toMatchObject({ text: 'AB', complete: true, indexes: [1, 2, 3] });
    expect(r.drops.duplicate).toBe(1);
  });

  it('bounds waiting parts by count: the oldest message is evicted with its gaps and slots', () => {
    const r = new Reassembler({ maxParts: 3 });
    for (let ref = 1; ref <= 3; ref++) r.add(part(1, `m${ref}`, { ref, total: 3 }), ref, ref);
    expect(r.held.parts).toBe(3);
    expect(r.add(part(1, 'm4', { ref: 4, total: 3 }), 4, 4)).toBeUndefined();
    expect(r.held.parts).toBe(3);
    expect(r.takeEvicted()).toEqual([{ from: '+7916', text: 'm1[…][…]', sentAt: SENT, parts: 3, complete: false, indexes: [1] }]);
    expect(r.takeEvicted()).toEqual([]);
    expect(r.drops.evicted).toBe(1);
    // A part of a message already waiting does not evict that message itself.
    r.add(part(2, 'm4b', { ref: 4, total: 3 }), 5, 5);
    expect(r.size).toBe(2);
    expect(r.held.parts).toBe(3);
  });

  it('bounds waiting text by size', () => {
    const r = new Reassembler({ maxChars: 400 });
    const long = 'x'.repeat(150);
    for (let ref = 1; ref <= 10; ref++) r.add(part(1, long, { ref }), ref);
    expect(r.held.chars).toBeLessThanOrEqual(400);
    expect(r.size).toBe(2);
    expect(r.drops.evicted).toBe(8);
  });

  it('200k orphan parts stay within the bounds (memory does not grow with the flood)', () => {
    const r = new Reassembler();
    const base = part(1, 'orphan part of a message that never completes');
    for (let i = 0; i < 200_000; i++) {
      r.add({ ...base, from: `+7${i}`, concat: { ref: i & 255, total: 2, seq: 1 } }, i);
      r.takeEvicted();
    }
    expect(r.held.parts).toBeLessThanOrEqual(1000);
    expect(r.size).toBeLessThanOrEqual(1000);
    expect(r.drops.evicted).toBe(200_000 - r.size);
  });

  it('expired messages are counted too', () => {
    const r = new Reassembler(1000);
    r.add(part(1, 'A'), 0);
    expect(r.expire(1000)).toHaveLength(1);
    expect(r.drops.expired).toBe(1);
  });
});
