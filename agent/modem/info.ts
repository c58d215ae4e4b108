// Parsing of the modem's status answers (3GPP TS 27.007: +CSQ 8.5, +CREG 7.2, +CEREG 10.1.22,
// +COPS 7.3, +CPIN 8.3; TS 27.005 +CSCA 3.3.1, +CMGS 3.5.1, +CMTI/+CDSI 3.4.1). Pure.
import type { RegistrationState } from '#common/contract/index.js';

/** AT+CSQ rssi to dBm: 0 -> -113, 1 -> -111, 2..30 -> -109..-53, 31 -> -51, 99 -> unknown. */
export function csqToDbm(rssi: number): number | null {
  if (rssi === 99 || rssi < 0 || rssi > 31) return null;
  return -113 + 2 * rssi;
}

export function parseCsq(line: string): number | null {
  const m = /^\+CSQ:\s*(\d+)\s*,/.exec(line);
  return m ? csqToDbm(Number(m[1])) : null;
}

const STAT: Record<number, RegistrationState> = {
  0: 'not_registered',
  1: 'home',
  2: 'searching',
  3: 'denied',
  4: 'unknown',
  5: 'roaming',
  6: 'home',
  7: 'roaming',
  9: 'home',
  10: 'roaming',
};

export function registrationFromStat(stat: number): RegistrationState {
  return STAT[stat] ?? 'unknown';
}

/**
 * +CREG/+CGREG/+CEREG. The read answer is `+CREG: <n>,<stat>[,...]`; the URC is
 * `+CREG: <stat>[,<lac>,<ci>]` (lac quoted), so `answer` says which form to expect.
 */
export function parseReg(line: string, answer: boolean): RegistrationState | undefined {
  const m = /^\+C(?:E|G)?REG:\s*(.*)$/.exec(line);
  if (!m) return undefined;
  const fields = (m[1] as string).split(',').map((f) => f.trim());
  const idx = answer ? 1 : 0;
  const f = fields[idx];
  if (f === undefined || !/^\d+$/.test(f)) return undefined;
  return registrationFromStat(Number(f));
}

export function isRegistered(r: RegistrationState | undefined): boolean {
  return r === 'home' || r === 'roaming';
}

/** Best of two registrations (CS from +CREG and EPS from +CEREG: SMS goes over either). */
export function bestRegistration(a: RegistrationState | undefined, b: RegistrationState | undefined): RegistrationState {
  const rank: RegistrationState[] = ['home', 'roaming', 'searching', 'denied', 'not_registered', 'unknown'];
  const ra = a ? rank.indexOf(a) : 99;
  const rb = b ? rank.indexOf(b) : 99;
  return (ra <= rb ? a : b) ?? 'unknown';
}

export function parseCops(line: string): string | undefined {
  const m = /^\+COPS:\s*\d+\s*,\s*\d+\s*,\s*"([^"]*)"/.exec(line);
  return m?.[1] || undefined;
}

export function parseCpin(line: string): string | undefined {
  const m = /^\+CPIN:\s*(.+)$/.exec(line);
  return m?.[1]?.trim();
}

/** SMSC from +CSCA: "+79168999100",145 ; undefined when empty. */
export function parseCsca(line: string): string | undefined {
  const m = /^\+CSCA:\s*"([^"]*)"/.exec(line);
  return m?.[1] ? m[1] : undefined;
}

export function parseCmgs(lines: string[]): number | undefined {
  for (const l of lines) {
    const m = /^\+CMGS:\s*(\d+)/.exec(l);
    if (m) return Number(m[1]);
  }
  return undefined;
}

/** +CMTI: "SM",3  /  +CDSI: "SR",2  -> storage and index. */
export function parseStoredIndication(line: string): { storage: string; index: number } | undefined {
  const m = /^\+C(?:MTI|DSI):\s*"?([A-Za-z]*)"?\s*,\s*(\d+)/.exec(line);
  return m ? { storage: m[1] as string, index: Number(m[2]) } : undefined;
}

/** +CMGR: <stat>,[<alpha>],<length> then the PDU line. */
export function parseCmgr(lines: string[]): { length: number; pdu: string } | undefined {
  const i = lines.findIndex((l) => l.startsWith('+CMGR:'));
  if (i < 0) return undefined;
  const m = /,\s*(\d+)\s*$/.exec(lines[i] as string);
  const pdu = lines[i + 1];
  if (!m || !pdu) return undefined;
  return { length: Number(m[1]), pdu };
}

/** +CMGL: <index>,<stat>,[<alpha>],<length> lines (each followed by its PDU): the indexes. */
export function parseCmgl(lines: string[]): number[] {
  return lines.flatMap((l) => {
    const m = /^\+CMGL:\s*(\d+)/.exec(l);
    return m ? [Number(m[1])] : [];
  });
}

/**
 * PIN tries left, from the vendor commands that tell it: Quectel `+CPINR: SIM PIN,<left>,<max>`,
 * SIMCom `+SPIC: <pin1>,<puk1>,<pin2>,<puk2>`, Huawei `^CPIN: <code>,[<times>],<puk>,<pin>,<puk2>,<pin2>`.
 */
export function parsePinTries(lines: string[]): number | undefined {
  for (const l of lines) {
    let m = /^\+CPINR:\s*"?SIM PIN"?\s*,\s*(\d+)/.exec(l);
    if (m) return Number(m[1]);
    m = /^\+SPIC:\s*(\d+)\s*,/.exec(l);
    if (m) return Number(m[1]);
    m = /^\^CPIN:\s*[^,]*,\s*\d*\s*,\s*\d+\s*,\s*(\d+)/.exec(l);
    if (m) return Number(m[1]);
  }
  return undefined;
}
