// The AT stream parser (3GPP TS 27.007 5.7 / V.250 result codes; TS 27.005 3.5.1 prompt):
// bytes in, events out. Pure and incremental: chunks may split anywhere. It is told which
// command is in flight (for echo and for telling an answer from an unsolicited result code).
//
// Events: final (OK / ERROR / +CMS ERROR / +CME ERROR / NO CARRIER ...), prompt (`> ` of
// AT+CMGS, which has no line end), line (information text of the command in flight), urc
// (unsolicited result codes, two-line ones like +CDS/+CMT joined with their PDU), noise.

export type FinalKind = 'ok' | 'error' | 'cms' | 'cme' | 'other';

export type AtEvent =
  | { type: 'final'; kind: FinalKind; text: string; code?: number }
  | { type: 'prompt' }
  | { type: 'line'; text: string }
  | { type: 'urc'; name: string; text: string; pdu?: string }
  | { type: 'noise'; text: string };

export interface InFlight {
  /** The command line as sent, without CR (e.g. `AT+CSQ`). */
  command: string;
  /** Information-response prefix that belongs to this command (e.g. `+CSQ`), if any. */
  prefix?: string;
  /** Other text the modem may echo back (the PDU after the prompt). */
  echoes?: string[];
}

const FINAL_PLAIN: Record<string, FinalKind> = {
  OK: 'ok',
  ERROR: 'error',
  'NO CARRIER': 'other',
  'NO DIALTONE': 'other',
  BUSY: 'other',
  'NO ANSWER': 'other',
  'COMMAND NOT SUPPORT': 'error',
  'TOO MANY PARAMETERS': 'error',
};

/** +XXX: names that are unsolicited unless they are the prefix of the command in flight. */
const URC_PREFIXES = new Set([
  '+CMTI', '+CDSI', '+CMT', '+CDS', '+CBM', '+CREG', '+CGREG', '+CEREG', '+C5GREG', '+CLIP', '+CRING',
  '+CUSD', '+CIEV', '+CPIN', '+CFUN', '+CTZV', '+CTZE', '+CTZU', '+CGEV', '+QIND', '+QUSIM', '+QSTK',
  '+STIN', '+CSQN', '+PACSP', '+CPSI', '+CMGRMI', '+SIMCARD', '+CNETSTOP', '+QNITZ',
]);
/** Two-line URCs: the header line is followed by a PDU line [TS 27.005 3.4.1]. */
const TWO_LINE = new Set(['+CMT', '+CDS', '+CBM']);
/** Whole lines some modems print on their own. */
const URC_WORDS = [
  'RING', 'RDY', 'Call Ready', 'SMS Ready', 'PB DONE', 'NORMAL POWER DOWN', 'POWERED DOWN',
  'UNDER-VOLTAGE WARNNING', 'UNDER-VOLTAGE WARNING', 'UNDER-VOLTAGE POWER DOWN', 'OVER-VOLTAGE WARNNING',
  'OVER-VOLTAGE WARNING', 'OVER-VOLTAGE POWER DOWN', 'START', 'PB Done', 'SMS DONE', 'IIII',
];
const URC_WORD_SET = new Set(URC_WORDS.map((w) => w.toUpperCase()));

export function urcName(line: string): string | undefined {
  if (line.startsWith('^') || line.startsWith('*')) return line.split(/[:\s]/, 1)[0];
  const m = /^(\+[A-Z0-9]+):/i.exec(line);
  if (m) return (m[1] as string).toUpperCase();
  return URC_WORD_SET.has(line.toUpperCase()) ? line : undefined;
}

function isKnownUrc(name: string): boolean {
  return name.startsWith('^') || name.startsWith('*') || URC_PREFIXES.has(name) || URC_WORD_SET.has(name.toUpperCase());
}

export function parseFinal(line: string): Extract<AtEvent, { type: 'final' }> | undefined {
  const plain = FINAL_PLAIN[line.toUpperCase()];
  if (plain) return { type: 'final', kind: plain, text: line };
  const m = /^\+(CMS|CME) ERROR:\s*(.*)$/i.exec(line);
  if (!m) return undefined;
  const kind = (m[1] as string).toUpperCase() === 'CMS' ? 'cms' : 'cme';
  const rest = (m[2] as string).trim();
  const code = /^\d+$/.test(rest) ? Number(rest) : undefined;
  return code === undefined ? { type: 'final', kind, text: line } : { type: 'final', kind, text: line, code };
}

/** Printable text of a chunk: drops NUL/0xFF power-up garbage and control characters except CR/LF. */
function clean(chunk: Uint8Array): string {
  let s = '';
  for (const b of chunk) {
    if (b === 0x0d || b === 0x0a || (b >= 0x20 && b < 0x7f) || (b >= 0xa0 && b < 0xff)) s += String.fromCharCode(b);
  }
  return s;
}

function looksLikeNoise(line: string): boolean {
  return !/[A-Za-z0-9]/.test(line) || /[\u00a0-\u00ff]/.test(line);
}

export class AtParser {
  private buf = '';
  private inFlight: InFlight | undefined;
  private twoLine: { name: string; text: string } | undefined;
  private awaitingPrompt = false;

  /** Tell the parser which command is being sent (or none). */
  setInFlight(cmd: InFlight | undefined, awaitingPrompt = false): void {
    this.inFlight = cmd;
    this.awaitingPrompt = awaitingPrompt;
  }

  /** Feed bytes; returns the events they complete. */
  push(chunk: Uint8Array | string): AtEvent[] {
    this.buf += typeof chunk === 'string' ? chunk : clean(chunk);
    const out: AtEvent[] = [];
    for (;;) {
      const idx = this.buf.search(/[\r\n]/);
      if (idx < 0) break;
      const line = this.buf.slice(0, idx).trim();
      this.buf = this.buf.slice(idx + 1);
      if (line) this.onLine(line, out);
    }
    // The prompt `> ` has no line end [TS 27.005 3.5.1].
    if (this.buf.trim() === '>' && !this.twoLine) {
      this.buf = '';
      this.awaitingPrompt = false;
      out.push({ type: 'prompt' });
    }
    if (this.buf.length > 4096) {
      out.push({ type: 'noise', text: this.buf.slice(0, 64) });
      this.buf = '';
    }
    return out;
  }

  /** Forget a partial line (after a resync). */
  reset(): void {
    this.buf = '';
    this.twoLine = undefined;
  }

  private onLine(raw: string, out: AtEvent[]): void {
    // A prompt followed by a line end on some modems, or the prompt then echo of the PDU.
    let line = raw;
    if (line.startsWith('> ') || line === '>') {
      if (this.awaitingPrompt) {
        this.awaitingPrompt = false;
        out.push({ type: 'prompt' });
      }
      line = line.slice(1).trim();
      if (!line) return;
    }
    line = line.split('\u001a').join('').trim();
    if (!line) return;
    if (this.twoLine) {
      const head = this.twoLine;
      this.twoLine = undefined;
      if (/^[0-9A-Fa-f]+$/.test(line)) {
        out.push({ type: 'urc', name: head.name, text: head.text, pdu: line.toUpperCase() });
        return;
      }
      out.push({ type: 'urc', name: head.name, text: head.text });
    }
    const cmd = this.inFlight;
    if (cmd && (line.toUpperCase() === cmd.command.toUpperCase() || cmd.echoes?.includes(line))) return; // echo
    const final = parseFinal(line);
    if (final) {
      out.push(final);
      return;
    }
    const name = urcName(line);
    const ours = cmd?.prefix !== undefined && name !== undefined && name.toUpperCase() === cmd.prefix.toUpperCase();
    if (name && !ours && (isKnownUrc(name) || !cmd)) {
      if (TWO_LINE.has(name)) this.twoLine = { name, text: line };
      else out.push({ type: 'urc', name, text: line });
      return;
    }
    if (!cmd) {
      out.push(looksLikeNoise(line) || /^AT/i.test(line) ? { type: 'noise', text: line } : { type: 'urc', name: line, text: line });
      return;
    }
    if (looksLikeNoise(line)) {
      out.push({ type: 'noise', text: line });
      return;
    }
    out.push({ type: 'line', text: line });
  }
}
