// GSM 7-bit packing (3GPP TS 23.038 6.1.2.1.1) with the fill bits that align septets after a
// user data header (TS 23.040 9.2.3.24). Pure.
import { GSM7_ESCAPE, gsm7BasicCode, gsm7ExtensionCode } from '#common/sms/index.js';

/** Text to septet values (escape + code for extension characters). Throws on a non-GSM character. */
export function textToSeptets(text: string): number[] {
  const out: number[] = [];
  for (const ch of text) {
    const basic = gsm7BasicCode(ch);
    if (basic !== undefined) {
      out.push(basic);
      continue;
    }
    const ext = gsm7ExtensionCode(ch);
    if (ext === undefined) throw new Error(`character ${JSON.stringify(ch)} is not in the GSM 7-bit alphabet`);
    out.push(GSM7_ESCAPE, ext);
  }
  return out;
}

/** Pack septets into octets, starting after `fillBits` zero bits (0-6). */
export function packSeptets(septets: readonly number[], fillBits = 0): Buffer {
  const totalBits = fillBits + septets.length * 7;
  const out = Buffer.alloc(Math.ceil(totalBits / 8));
  septets.forEach((s, i) => {
    const pos = fillBits + i * 7;
    const byte = pos >> 3;
    const shift = pos & 7;
    out[byte] = ((out[byte] as number) | ((s << shift) & 0xff)) & 0xff;
    if (shift > 1) out[byte + 1] = ((out[byte + 1] as number) | (s >> (8 - shift))) & 0xff;
  });
  return out;
}

/** Unpack `count` septets from octets, skipping `fillBits` leading bits. */
export function unpackSeptets(octets: Uint8Array, count: number, fillBits = 0): number[] {
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const pos = fillBits + i * 7;
    const byte = pos >> 3;
    const shift = pos & 7;
    let v = (octets[byte] ?? 0) >> shift;
    if (shift > 1) v |= (octets[byte + 1] ?? 0) << (8 - shift);
    out.push(v & 0x7f);
  }
  return out;
}

/** Fill bits needed after a UDH of `udhOctets` octets (UDHL included) so septets start on a boundary. */
export function fillBitsAfter(udhOctets: number): number {
  return (7 - ((udhOctets * 8) % 7)) % 7;
}
