// SMS-DELIVER and SMS-STATUS-REPORT (3GPP TS 23.040 9.2.2.1, 9.2.2.3): decode what the modem
// gives in +CMGR / +CMT / +CDS, and encode them for the modem simulator. Pure.
import type { SmsEncoding } from '#common/sms/index.js';
import {
  type Concat,
  PduReader,
  encodeAddress,
  encodeAlphaAddress,
  encodeTimestamp,
  hexToBuffer,
  readAddress,
  readSmsc,
  readTimestamp,
} from './fields.js';
import { type DecodedUd, encodeUserData, readUserData } from './userdata.js';

export interface DecodedDeliver extends DecodedUd {
  type: 'deliver';
  smsc?: string;
  from: string;
  sentAt: string;
}

export interface DecodedStatusReport {
  type: 'status-report';
  smsc?: string;
  messageRef: number;
  recipient: string;
  sentAt: string;
  dischargeAt: string;
  /** TP-ST [TS 23.040 9.2.3.15]. */
  status: number;
  outcome: DeliveryOutcome;
}

/** delivered: 0x00-0x1F; pending: 0x20-0x3F (SC still trying); failed: 0x40-0x7F (SC gave up). */
export type DeliveryOutcome = 'delivered' | 'pending' | 'failed';

export function deliveryOutcome(status: number): DeliveryOutcome {
  if (status <= 0x1f) return 'delivered';
  if (status <= 0x3f) return 'pending';
  return 'failed';
}

/**
 * Decode a PDU from the modem. `tpduLength` is the <length> the modem gave (octets without the
 * SMSC field): when the hex is longer, it starts with the SMSC field, else it has none.
 */
export function decodeIncoming(hex: string, tpduLength?: number): DecodedDeliver | DecodedStatusReport {
  const buf = hexToBuffer(hex);
  const r = new PduReader(buf);
  const smsc = tpduLength === undefined || buf.length > tpduLength ? readSmsc(r) : undefined;
  const first = r.octet('first octet');
  const mti = first & 0x03;
  if (mti === 0x00) {
    const from = readAddress(r, 'TP-OA');
    r.octet('TP-PID');
    const dcs = r.octet('TP-DCS');
    const sentAt = readTimestamp(r, 'TP-SCTS');
    const ud = readUserData(r, dcs, (first & 0x40) !== 0);
    return { type: 'deliver', ...(smsc ? { smsc } : {}), from, sentAt, ...ud };
  }
  if (mti === 0x02) {
    const messageRef = r.octet('TP-MR');
    const recipient = readAddress(r, 'TP-RA');
    const sentAt = readTimestamp(r, 'TP-SCTS');
    const dischargeAt = readTimestamp(r, 'TP-DT');
    const status = r.octet('TP-ST');
    return { type: 'status-report', ...(smsc ? { smsc } : {}), messageRef, recipient, sentAt, dischargeAt, status, outcome: deliveryOutcome(status) };
  }
  throw new Error(`unexpected TP-MTI ${mti} from the modem (expected SMS-DELIVER or SMS-STATUS-REPORT)`);
}

const SIM_SMSC = Buffer.from('07919761989901F0', 'hex');

export interface DeliverOptions {
  from: string;
  text: string;
  encoding: SmsEncoding;
  sentAt: string;
  concat?: Concat;
}

/** Encode an SMS-DELIVER with an SMSC field (for the simulator). Returns hex and <length>. */
export function encodeDeliver(o: DeliverOptions): { hex: string; tpduLength: number } {
  const oa = /^\+?[0-9]{3,20}$/.test(o.from) ? encodeAddress(o.from) : encodeAlphaAddress(o.from);
  const ud = encodeUserData(o.text, o.encoding, o.concat);
  const tpdu = Buffer.concat([
    Buffer.from([0x04 | (o.concat ? 0x40 : 0)]),
    oa,
    Buffer.from([0x00, o.encoding === 'ucs2' ? 0x08 : 0x00]),
    encodeTimestamp(o.sentAt, 180),
    Buffer.from([ud.udl]),
    ud.ud,
  ]);
  return { hex: Buffer.concat([SIM_SMSC, tpdu]).toString('hex').toUpperCase(), tpduLength: tpdu.length };
}

/** Encode an SMS-STATUS-REPORT with an SMSC field (for the simulator). */
export function encodeStatusReport(o: { messageRef: number; recipient: string; sentAt: string; dischargeAt: string; status: number }): { hex: string; tpduLength: number } {
  const tpdu = Buffer.concat([
    Buffer.from([0x06, o.messageRef & 0xff]),
    encodeAddress(o.recipient),
    encodeTimestamp(o.sentAt, 180),
    encodeTimestamp(o.dischargeAt, 180),
    Buffer.from([o.status & 0xff]),
  ]);
  return { hex: Buffer.concat([SIM_SMSC, tpdu]).toString('hex').toUpperCase(), tpduLength: tpdu.length };
}
