// The browser's SMS counter, generated from the same alphabet tables and limits as
// hub/common/sms (planSms): the tables are serialized, not copied, so both sides always agree.
// A test runs this module next to planSms on the same texts.
import { GSM7_BASIC, GSM7_ESCAPE, GSM7_EXTENSION, LIMITS } from '../common/sms/index.js';

export function smsClientModule(): string {
  const basic = [...GSM7_BASIC].filter((_, i) => i !== GSM7_ESCAPE).join('');
  const ext = [...GSM7_EXTENSION.keys()].join('');
  return [
    '// Generated from hub/common/sms (GSM 7-bit alphabet, 3GPP TS 23.038; parts, TS 23.040).',
    `const BASIC = new Set(Array.from(${JSON.stringify(basic)}));`,
    `const EXT = new Set(Array.from(${JSON.stringify(ext)}));`,
    `const LIMITS = ${JSON.stringify(LIMITS)};`,
    CLIENT_PLAN,
  ].join('\n');
}

const CLIENT_PLAN = String.raw`
function septets(ch) { return BASIC.has(ch) ? 1 : EXT.has(ch) ? 2 : 0; }
/** { encoding: 'gsm7' | 'ucs2', parts, units, chars } as planSms() on the hub. */
export function planSms(text) {
  const chars = Array.from(text);
  const gsm = chars.every(function (ch) { return septets(ch) > 0; });
  const encoding = gsm ? 'gsm7' : 'ucs2';
  const lim = LIMITS[encoding];
  const unit = function (ch) { return gsm ? septets(ch) : ch.length; };
  let units = 0;
  for (const ch of chars) units += unit(ch);
  if (units <= lim.single) return { encoding: encoding, parts: 1, units: units, chars: chars.length };
  let parts = 1;
  let used = 0;
  for (const ch of chars) {
    const u = unit(ch);
    if (used + u > lim.multi) { parts++; used = 0; }
    used += u;
  }
  return { encoding: encoding, parts: parts, units: units, chars: chars.length };
}
/** {name} placeholders replaced as hub/core/template.ts does. */
export function renderTemplate(template, values) {
  return template.replace(/\{([a-z_][a-z0-9_]*)\}/gi, function (whole, key) {
    return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : whole;
  });
}
`;
