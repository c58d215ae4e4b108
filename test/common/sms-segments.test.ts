// SMS alphabet and concatenation limits: 3GPP TS 23.038 6.2.1 (GSM 7-bit default alphabet and
// extension table) and TS 23.040 9.2.3.24.1 (concatenated short messages, 8-bit reference).
import { describe, expect, it } from 'vitest';
import { SmsTooLongError, decodeGsm7Septets, gsm7BasicCode, gsm7Septets, isGsm7, planSms, planSmsWithin } from '../../hub/common/sms/index.js';

describe('GSM 7-bit alphabet [TS 23.038 6.2.1]', () => {
  it('maps known characters to their septet values', () => {
    expect(gsm7BasicCode('@')).toBe(0x00);
    expect(gsm7BasicCode('£')).toBe(0x01);
    expect(gsm7BasicCode('\n')).toBe(0x0a);
    expect(gsm7BasicCode('Δ')).toBe(0x10);
    expect(gsm7BasicCode(' ')).toBe(0x20);
    expect(gsm7BasicCode('A')).toBe(0x41);
    expect(gsm7BasicCode('¿')).toBe(0x60);
    expect(gsm7BasicCode('à')).toBe(0x7f);
    expect(gsm7BasicCode('\u001b')).toBeUndefined();
  });

  it('counts extension characters as two septets [TS 23.038 6.2.1.1]', () => {
    for (const ch of ['€', '[', ']', '{', '}', '\\', '^', '~', '|', '\f']) expect(gsm7Septets(ch), ch).toBe(2);
    expect(gsm7Septets('a')).toBe(1);
    expect(gsm7Septets('ж')).toBeUndefined();
  });

  it('decodes septets including escapes', () => {
    expect(decodeGsm7Septets([0x48, 0x69, 0x1b, 0x65, 0x00])).toBe('Hi€@');
  });

  it('tells GSM texts from those needing UCS2', () => {
    expect(isGsm7('#12#0#5#1#')).toBe(true);
    expect(isGsm7('Питание')).toBe(false);
    expect(isGsm7('emoji 😀')).toBe(false);
  });
});

describe('SMS parts [TS 23.040 9.2.3.24.1]', () => {
  it('fits 160 GSM septets in one part and splits 161 into 153 + 8', () => {
    expect(planSms('a'.repeat(160)).parts).toHaveLength(1);
    const p = planSms('a'.repeat(161));
    expect(p.parts.map((s) => s.length)).toEqual([153, 8]);
    expect(p.remaining).toBe(145);
  });

  it('fits 70 UCS2 units in one part and splits 71 into 67 + 4', () => {
    expect(planSms('я'.repeat(70))).toMatchObject({ encoding: 'ucs2', units: 70, remaining: 0 });
    expect(planSms('я'.repeat(71)).parts.map((s) => s.length)).toEqual([67, 4]);
  });

  it('never splits an escape pair across parts', () => {
    const text = `${'a'.repeat(152)}€${'b'.repeat(10)}`;
    const p = planSms(text);
    expect(p.encoding).toBe('gsm7');
    expect(p.parts).toEqual(['a'.repeat(152), `€${'b'.repeat(10)}`]);
  });

  it('never splits a surrogate pair across parts', () => {
    const text = `${'ж'.repeat(66)}😀${'ж'.repeat(5)}`;
    const p = planSms(text);
    expect(p.parts[0]).toBe('ж'.repeat(66));
    expect(p.parts[1]).toBe(`😀${'ж'.repeat(5)}`);
  });

  it('refuses a text above the configured part limit', () => {
    expect(() => planSmsWithin('я'.repeat(200), 2)).toThrow(SmsTooLongError);
    expect(planSmsWithin('я'.repeat(134), 2).parts).toHaveLength(2);
  });
});
