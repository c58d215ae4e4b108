// Shared TPDU fields (3GPP TS 23.040 9.1.2): addresses in semi-octets, service-centre time
// stamps, data coding scheme, user data header. Pure.
import { decodeGsm7Septets } from '#common/sms/index.js';
import { packSeptets, textToSeptets, unpackSeptets } from './septets.js';

/** Sequential reader over a PDU with errors naming what was being read. */
export class PduReader {
  pos = 0;
  constructor(readonly buf: Buffer) {}
  get left(): number {
    return this.buf.length - this.pos;
  }
  octet(what: string): number {
    if (this.pos >= this.buf.length) throw new Error(`PDU ends before ${what} (offset ${this.pos})`);
    return this.buf[this.pos++] as number;
  }
  bytes(n: number, what: string): Buffer {
    if (this.pos + n > this.buf.length) throw new Error(`PDU ends inside ${what} (needs ${n} octets at ${this.pos})`);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
}

export function hexToBuffer(hex: string): Buffer {
  const clean = hex.trim();
  if (!/^([0-9A-Fa-f]{2})*$/.test(clean)) throw new Error('PDU is not an even-length hexadecimal string');
  return Buffer.from(clean, 'hex');
}

/** Semi-octet digits (swapped nibbles, F filler) [TS 23.040 9.1.2.3]. */
export function encodeSemiOctets(digits: string): Buffer {
  const d = digits.length % 2 ? `${digits}F` : digits;
  const out = Buffer.alloc(d.length / 2);
  for (let i = 0; i < d.length; i += 2) out[i / 2] = parseInt(`${d[i + 1]}${d[i]}`, 16);
  return out;
}

const SEMI = '0123456789*#abc';
export function decodeSemiOctets(buf: Uint8Array, digits: number): string {
  let out = '';
  for (let i = 0; i < digits; i++) {
    const o = buf[i >> 1] ?? 0xff;
    const n = i % 2 ? o >> 4 : o & 0x0f;
    if (n === 0x0f) break;
    out += SEMI[n] ?? '?';
  }
  return out;
}

/** TON/NPI of an address: 0x91 international/ISDN, 0x81 unknown/ISDN, 0xD0 alphanumeric. */
export const TOA_INTERNATIONAL = 0x91;
export const TOA_UNKNOWN = 0x81;
export const TOA_ALPHANUMERIC = 0xd0;

/** Validate and encode a TP-DA / TP-OA / TP-RA address: digit count, type, semi-octets [TS 23.040 9.1.2.5]. */
export function encodeAddress(number: string): Buffer {
  if (!/^\+?[0-9]{3,20}$/.test(number)) throw new InvalidNumberError(number);
  const international = number.startsWith('+');
  const digits = international ? number.slice(1) : number;
  return Buffer.concat([Buffer.from([digits.length, international ? TOA_INTERNATIONAL : TOA_UNKNOWN]), encodeSemiOctets(digits)]);
}

export class InvalidNumberError extends Error {
  constructor(readonly number: string) {
    super(`invalid destination number ${JSON.stringify(number)}: expected an optional "+" and 3-20 digits`);
    this.name = 'InvalidNumberError';
  }
}

/** Encode an alphanumeric address (sender names) as GSM 7-bit [TS 23.040 9.1.2.5]. */
export function encodeAlphaAddress(name: string): Buffer {
  const septets = textToSeptets(name);
  const packed = packSeptets(septets);
  return Buffer.concat([Buffer.from([Math.ceil((septets.length * 7) / 4), TOA_ALPHANUMERIC]), packed]);
}

export function readAddress(r: PduReader, what: string): string {
  const digits = r.octet(`${what} length`);
  const toa = r.octet(`${what} type`);
  const octets = r.bytes(Math.ceil(digits / 2), what);
  if ((toa & 0x70) === 0x50) return decodeGsm7Septets(unpackSeptets(octets, Math.floor((digits * 4) / 7)));
  const num = decodeSemiOctets(octets, digits);
  return (toa & 0x70) === 0x10 ? `+${num}` : num;
}

/** Service-centre address at the head of a PDU as the modem gives it (TS 24.011 RP-address). */
export function readSmsc(r: PduReader): string | undefined {
  const len = r.octet('SMSC length');
  if (len === 0) return undefined;
  const toa = r.octet('SMSC type');
  const num = decodeSemiOctets(r.bytes(len - 1, 'SMSC'), (len - 1) * 2);
  return (toa & 0x70) === 0x10 ? `+${num}` : num;
}

/** TP-SCTS / TP-DT: 7 semi-octets, time zone in quarter hours with a sign bit [TS 23.040 9.2.3.11]. */
export function readTimestamp(r: PduReader, what: string): string {
  const b = r.bytes(7, what);
  const v = (i: number) => {
    const o = b[i] as number;
    return (o & 0x0f) * 10 + (o >> 4);
  };
  const tzOctet = b[6] as number;
  const quarters = (tzOctet & 0x07) * 10 + (tzOctet >> 4);
  const offsetMin = (tzOctet & 0x08 ? -1 : 1) * quarters * 15;
  const year = v(0) >= 90 ? 1900 + v(0) : 2000 + v(0);
  const utc = Date.UTC(year, v(1) - 1, v(2), v(3), v(4), v(5)) - offsetMin * 60_000;
  return new Date(utc).toISOString();
}

export function encodeTimestamp(iso: string, offsetMin = 0): Buffer {
  const d = new Date(Date.parse(iso) + offsetMin * 60_000);
  const sw = (n: number) => ((n % 10) << 4) | Math.floor(n / 10);
  const q = Math.abs(offsetMin) / 15;
  const tz = ((q % 10) << 4) | Math.floor(q / 10) | (offsetMin < 0 ? 0x08 : 0);
  return Buffer.from([sw(d.getUTCFullYear() % 100), sw(d.getUTCMonth() + 1), sw(d.getUTCDate()), sw(d.getUTCHours()), sw(d.getUTCMinutes()), sw(d.getUTCSeconds()), tz]);
}

export type Alphabet = 'gsm7' | '8bit' | 'ucs2';

/** Alphabet of a TP-DCS [TS 23.038 4]. */
export function dcsAlphabet(dcs: number): Alphabet {
  const group = dcs >> 4;
  if (group <= 0x07) {
    const a = (dcs >> 2) & 0x03;
    return a === 1 ? '8bit' : a === 2 ? 'ucs2' : 'gsm7';
  }
  if (group === 0x0e) return 'ucs2';
  if (group === 0x0f) return dcs & 0x04 ? '8bit' : 'gsm7';
  return 'gsm7';
}

/** Concatenation info from a UDH (IEI 0x00 8-bit ref, 0x08 16-bit ref) [TS 23.040 9.2.3.24.1, 9.2.3.24.8]. */
export interface Concat {
  ref: number;
  total: number;
  seq: number;
}

export function parseUdh(udh: Uint8Array): Concat | undefined {
  let i = 0;
  let concat: Concat | undefined;
  while (i + 1 < udh.length) {
    const iei = udh[i] as number;
    const len = udh[i + 1] as number;
    const d = udh.subarray(i + 2, i + 2 + len);
    if (iei === 0x00 && len === 3) concat = { ref: d[0] as number, total: d[1] as number, seq: d[2] as number };
    if (iei === 0x08 && len === 4) concat = { ref: ((d[0] as number) << 8) | (d[1] as number), total: d[2] as number, seq: d[3] as number };
    i += 2 + len;
  }
  return concat;
}

export function concatUdh(c: Concat): Buffer {
  return Buffer.from([0x05, 0x00, 0x03, c.ref & 0xff, c.total, c.seq]);
}
