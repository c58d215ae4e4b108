// TP-UD encoding and decoding (3GPP TS 23.040 9.2.3.16 TP-UDL, 9.2.3.24 TP-UD with header).
// Pure.
import { decodeGsm7Septets, type SmsEncoding } from '#common/sms/index.js';
import type { PduReader} from './fields.js';
import { type Concat, concatUdh, dcsAlphabet, parseUdh } from './fields.js';
import { fillBitsAfter, packSeptets, textToSeptets, unpackSeptets } from './septets.js';

export interface EncodedUd {
  /** TP-UDL: septets (gsm7) or octets (ucs2), header included. */
  udl: number;
  ud: Buffer;
}

export function encodeUserData(text: string, encoding: SmsEncoding, concat?: Concat): EncodedUd {
  const udh = concat ? concatUdh(concat) : Buffer.alloc(0);
  if (encoding === 'ucs2') {
    const body = Buffer.from(text, 'utf16le').swap16();
    return { udl: udh.length + body.length, ud: Buffer.concat([udh, body]) };
  }
  const septets = textToSeptets(text);
  const fill = udh.length ? fillBitsAfter(udh.length) : 0;
  const headerSeptets = udh.length ? (udh.length * 8 + fill) / 7 : 0;
  return { udl: headerSeptets + septets.length, ud: Buffer.concat([udh, packSeptets(septets, fill)]) };
}

export interface DecodedUd {
  text: string;
  alphabet: 'gsm7' | '8bit' | 'ucs2';
  concat?: Concat;
}

/** Read TP-UDL and TP-UD from the reader (at TP-UDL). */
export function readUserData(r: PduReader, dcs: number, udhi: boolean): DecodedUd {
  const udl = r.octet('TP-UDL');
  const alphabet = dcsAlphabet(dcs);
  const rest = r.buf.subarray(r.pos);
  let headerOctets = 0;
  let concat: Concat | undefined;
  if (udhi && rest.length > 0) {
    headerOctets = (rest[0] as number) + 1;
    if (headerOctets > rest.length) throw new Error('PDU ends inside the user data header');
    concat = parseUdh(rest.subarray(1, headerOctets));
  }
  let text: string;
  if (alphabet === 'gsm7') {
    const fill = headerOctets ? fillBitsAfter(headerOctets) : 0;
    const headerSeptets = headerOctets ? (headerOctets * 8 + fill) / 7 : 0;
    const count = udl - headerSeptets;
    if (Math.ceil((udl * 7) / 8) > rest.length) throw new Error(`PDU ends inside TP-UD (${udl} septets announced)`);
    text = decodeGsm7Septets(unpackSeptets(rest.subarray(headerOctets), Math.max(0, count), fill));
    r.pos = r.buf.length;
  } else {
    if (udl > rest.length) throw new Error(`PDU ends inside TP-UD (${udl} octets announced)`);
    const body = Buffer.from(rest.subarray(headerOctets, udl));
    text = alphabet === 'ucs2' ? Buffer.from(body.subarray(0, body.length & ~1)).swap16().toString('utf16le') : body.toString('latin1');
    r.pos += udl;
  }
  return concat ? { text, alphabet, concat } : { text, alphabet };
}
