// SMS-SUBMIT (3GPP TS 23.040 9.2.2.2): build the PDUs for one message, split into concatenated
// parts with an 8-bit reference; and decode one (the modem simulator reads what the agent sends).
// Pure. Part planning comes from hub/common/sms so the hub and the agent agree on part counts.
import { planSmsWithin, type SmsEncoding } from '#common/sms/index.js';
import { type Concat, PduReader, encodeAddress, hexToBuffer, readAddress, readSmsc } from './fields.js';
import { type DecodedUd, encodeUserData, readUserData } from './userdata.js';

export interface SubmitOptions {
  /** Destination: optional "+" then 3-20 digits. */
  to: string;
  text: string;
  /** Ask for a status report (TP-SRR). */
  statusReport?: boolean;
  /** Concatenation reference shared by every part (0-255). */
  ref?: number;
  /** Most parts allowed; a longer text is refused before touching the modem. */
  maxParts?: number;
  /** Relative validity period in minutes (TP-VP, TS 23.040 9.2.3.12.1), omitted when undefined. */
  validityMinutes?: number;
  /** TP-MR to put in the PDU; the modem usually replaces it and reports the one it used. */
  messageRef?: number;
}

export interface SubmitPdu {
  /** Hex of the whole PDU, starting with the SMSC octet "00" (use the SIM's SMSC). */
  hex: string;
  /** Octets after the SMSC field: the length AT+CMGS needs [TS 27.005 3.5.1]. */
  tpduLength: number;
  text: string;
}

export interface SubmitPlan {
  encoding: SmsEncoding;
  parts: SubmitPdu[];
}

/** Relative validity period octet [TS 23.040 9.2.3.12.1]. */
export function relativeValidity(minutes: number): number {
  if (minutes <= 720) return Math.max(0, Math.ceil(minutes / 5) - 1);
  if (minutes <= 1440) return Math.min(143, 143 + Math.ceil((minutes - 720) / 30));
  if (minutes <= 30 * 1440) return Math.min(196, 166 + Math.ceil(minutes / 1440));
  return Math.min(255, 192 + Math.ceil(minutes / (7 * 1440)));
}

export function encodeSubmit(options: SubmitOptions): SubmitPlan {
  const address = encodeAddress(options.to);
  const plan = planSmsWithin(options.text, options.maxParts ?? 10);
  const total = plan.parts.length;
  const ref = (options.ref ?? 0) & 0xff;
  const vp = options.validityMinutes === undefined ? undefined : relativeValidity(options.validityMinutes);
  const parts = plan.parts.map((text, i) => {
    const concat: Concat | undefined = total > 1 ? { ref, total, seq: i + 1 } : undefined;
    const ud = encodeUserData(text, plan.encoding, concat);
    // TP-MTI=01 SUBMIT, TP-VPF=10 relative when a VP is given, TP-SRR bit 5, TP-UDHI bit 6.
    const first = 0x01 | (vp === undefined ? 0 : 0x10) | (options.statusReport ? 0x20 : 0) | (concat ? 0x40 : 0);
    const dcs = plan.encoding === 'ucs2' ? 0x08 : 0x00;
    const tpdu = Buffer.concat([
      Buffer.from([first, (options.messageRef ?? 0) & 0xff]),
      address,
      Buffer.from(vp === undefined ? [0x00, dcs] : [0x00, dcs, vp]),
      Buffer.from([ud.udl]),
      ud.ud,
    ]);
    return { hex: `00${tpdu.toString('hex').toUpperCase()}`, tpduLength: tpdu.length, text };
  });
  return { encoding: plan.encoding, parts };
}

export interface DecodedSubmit extends DecodedUd {
  smsc?: string;
  to: string;
  messageRef: number;
  statusReport: boolean;
  dcs: number;
}

/** Decode an SMS-SUBMIT PDU; `withSmsc` when the hex starts with the SMSC field (as AT+CMGS gets it). */
export function decodeSubmit(hex: string, withSmsc = true): DecodedSubmit {
  const r = new PduReader(hexToBuffer(hex));
  const smsc = withSmsc ? readSmsc(r) : undefined;
  const first = r.octet('first octet');
  if ((first & 0x03) !== 0x01) throw new Error(`not an SMS-SUBMIT (TP-MTI ${first & 0x03})`);
  const messageRef = r.octet('TP-MR');
  const to = readAddress(r, 'TP-DA');
  r.octet('TP-PID');
  const dcs = r.octet('TP-DCS');
  const vpf = (first >> 3) & 0x03;
  if (vpf === 2) r.octet('TP-VP');
  else if (vpf === 1 || vpf === 3) r.bytes(7, 'TP-VP');
  const ud = readUserData(r, dcs, (first & 0x40) !== 0);
  return { ...ud, ...(smsc ? { smsc } : {}), to, messageRef, statusReport: (first & 0x20) !== 0, dcs };
}
