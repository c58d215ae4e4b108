// How a text splits into SMS parts (3GPP TS 23.040 9.2.3.24.1 concatenation, 8-bit reference):
// GSM 7-bit: 160 septets alone, 153 per part when concatenated (the 6-octet UDH takes 7 septets);
// UCS2: 70 UTF-16 units alone, 67 per part. An escape pair or a surrogate pair is never split.
import { gsm7Septets, isGsm7 } from './alphabet.js';

export type SmsEncoding = 'gsm7' | 'ucs2';

export const LIMITS = {
  gsm7: { single: 160, multi: 153 },
  ucs2: { single: 70, multi: 67 },
} as const;

/** Concatenated messages carry an 8-bit part count, so 255 is the protocol's ceiling. */
export const MAX_PARTS_PROTOCOL = 255;

export interface SmsPlan {
  encoding: SmsEncoding;
  /** The text of each part, in order. */
  parts: string[];
  /** Units used: septets for gsm7, UTF-16 code units for ucs2. */
  units: number;
  /** Units each part may hold with this number of parts. */
  perPart: number;
  /** Units left in the last part before another part is needed. */
  remaining: number;
}

function unitsOf(ch: string, encoding: SmsEncoding): number {
  return encoding === 'gsm7' ? (gsm7Septets(ch) ?? 1) : ch.length;
}

/** Choose the encoding and split a text into SMS parts. Empty text is one empty part. */
export function planSms(text: string): SmsPlan {
  const encoding: SmsEncoding = isGsm7(text) ? 'gsm7' : 'ucs2';
  const limits = LIMITS[encoding];
  const chars = [...text];
  const units = chars.reduce((n, ch) => n + unitsOf(ch, encoding), 0);
  if (units <= limits.single) {
    return { encoding, parts: [text], units, perPart: limits.single, remaining: limits.single - units };
  }
  const parts: string[] = [];
  let current = '';
  let used = 0;
  for (const ch of chars) {
    const u = unitsOf(ch, encoding);
    if (used + u > limits.multi) {
      parts.push(current);
      current = '';
      used = 0;
    }
    current += ch;
    used += u;
  }
  parts.push(current);
  return { encoding, parts, units, perPart: limits.multi, remaining: limits.multi - used };
}

export class SmsTooLongError extends Error {
  constructor(
    readonly parts: number,
    readonly maxParts: number,
    readonly encoding: SmsEncoding,
  ) {
    super(`text needs ${parts} SMS parts (${encoding}), more than the limit of ${maxParts}`);
    this.name = 'SmsTooLongError';
  }
}

/** Plan a text and refuse it when it needs more than `maxParts` parts. */
export function planSmsWithin(text: string, maxParts: number): SmsPlan {
  const plan = planSms(text);
  const limit = Math.min(maxParts, MAX_PARTS_PROTOCOL);
  if (plan.parts.length > limit) throw new SmsTooLongError(plan.parts.length, limit, plan.encoding);
  return plan;
}
