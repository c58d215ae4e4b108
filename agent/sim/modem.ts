// A scripted GSM modem: speaks enough AT (TS 27.007 / 27.005) for the agent, decodes the PDUs it
// is given and logs each SMS as a JSON line, answers with +CMGS: <mr>, emits +CDS status
// reports, can receive inbound SMS (+CMTI), and reproduces the field's quirks on demand: echo,
// URC spam, answers split into small chunks, silence, +CMS ERROR before success, hanging in
// AT+CMGS, a spontaneous restart. Transport-free: bytes in via input(), bytes out via write().
import { type Clock, type TimerHandle, systemClock } from '#common/clock.js';
import { planSms } from '#common/sms/index.js';
import { encodeDeliver, encodeStatusReport } from '../sms/deliver.js';
import { decodeSubmit } from '../sms/submit.js';
import { MODELS, type ModelName, type ModelSpec } from './models.js';

export interface SimSms {
  at: string;
  to: string;
  text: string;
  mr: number;
  /** Parts of the whole message (1 unless concatenated). */
  parts: number;
  encoding: string;
  status_report: boolean;
  concat?: { ref: number; total: number; seq: number };
}

export interface SimOptions {
  model?: ModelName;
  clock?: Clock;
  write: (data: string) => void;
  /** Called for each SMS part the modem accepts (the simulator's log). */
  onSms?: (sms: SimSms) => void;
  pin?: string;
  smsc?: string;
  /** Emit a +CDS status report this long after each accepted part (undefined: never). */
  statusReportDelayMs?: number;
  /** TP-ST to report (0 = delivered). */
  statusReportStatus?: number;
  registration?: number;
  rssi?: number;
  /** Answer in chunks of 1-3 bytes spread over time. */
  splitChunks?: boolean;
  /** Insert vendor URCs between commands and their answers. */
  spam?: boolean;
  /** How long AT+CMGS takes before +CMGS (ms). */
  sendDelayMs?: number;
  resetMs?: number;
  /** Called for each AT+CPIN=<pin> the modem receives (to count PIN tries spent). */
  onPinAttempt?: (attempt: { n: number; ok: boolean; triesLeft: number }) => void;
}

export class SimModem {
  readonly spec: ModelSpec;
  readonly sent: SimSms[] = [];
  echo = true;
  /** Verbose result codes (ATV1); false answers 0 / 4 as after ATV0. */
  verbose = true;
  /** No answer at all while true (a hung modem). */
  silent = false;
  /** Accept the next AT+CMGS PDU (and log it) but never answer. */
  hangNextSend = false;
  /** +CMS ERROR codes returned by the next AT+CMGS attempts, in order. */
  readonly cmsErrors: number[] = [];
  /** How long AT+CMGS takes before its answer (ms); starts from the option. */
  sendDelayMs: number;
  /** Delay of the +CDS status report after the +CMGS answer (undefined: none); starts from the option. */
  statusReportDelayMs: number | undefined;
  /**
   * Pause points for crash tests (issue 15), e.g. to SIGKILL the agent at an exact instant:
   * `prompt` holds the `> ` of the next AT+CMGS (the agent waits for it; no PDU can come);
   * `answer` takes the next PDU (logged in `sent`, as accepted by the network) and holds its
   * `+CMGS: <mr>` answer. `held` tells the test the modem is there; release() lets it go on as
   * a real modem would (its output then reaches whoever reads the port). One-shot each.
   */
  hold: 'prompt' | 'answer' | undefined;
  /** The pause point the modem is holding at, if any. */
  held: 'prompt' | 'answer' | undefined;
  /** Called when the modem reaches a pause point (the CLI prints `{"held":"prompt"}`). */
  onHeld: (point: 'prompt' | 'answer') => void = () => undefined;
  private release_: (() => void) | undefined;
  private buf = '';
  private promptFor: number | undefined;
  private nextMr = 1;
  private pinOk: boolean;
  /** PIN tries left; at 0 the SIM asks for its PUK [TS 27.007 8.3]. */
  pinTriesLeft = 3;
  /** Every AT+CPIN=<pin> received, right or wrong. */
  pinAttempts = 0;
  private readonly stored = new Map<number, { hex: string; len: number }>();
  private readonly clock: Clock;
  private readonly timers = new Set<TimerHandle>();
  private outQueue: Promise<void> = Promise.resolve();
  private spamIndex = 0;
  private cnmi = '0,0,0,0,0';
  private smsc: string;

  constructor(private readonly o: SimOptions) {
    this.spec = MODELS[o.model ?? 'SIM800'];
    this.clock = o.clock ?? systemClock;
    this.pinOk = !o.pin;
    this.smsc = o.smsc ?? '+79168999100';
    this.sendDelayMs = o.sendDelayMs ?? 0;
    this.statusReportDelayMs = o.statusReportDelayMs;
  }

  /** Print the power-up URCs (as after plugging in). */
  boot(): void {
    this.out(this.spec.bootUrcs.map((u) => `\r\n${u}\r\n`).join(''));
  }

  stop(): void {
    for (const t of this.timers) this.clock.clearTimeout(t);
    this.timers.clear();
  }

  /** Bytes from the host. */
  input(data: Buffer | string): void {
    const text = typeof data === 'string' ? data : data.toString('latin1');
    for (const ch of text) this.onChar(ch);
  }

  /** An SMS arrives: stored on the SIM and announced with +CMTI [TS 27.005 3.4.1]. */
  receive(from: string, text: string, sentAt = new Date(this.clock.now()).toISOString()): void {
    const plan = planSms(text);
    const ref = this.nextMr & 0xff;
    plan.parts.forEach((part, i) => {
      const concat = plan.parts.length > 1 ? { ref, total: plan.parts.length, seq: i + 1 } : undefined;
      const e = encodeDeliver({ from, text: part, encoding: plan.encoding, sentAt, ...(concat ? { concat } : {}) });
      const index = this.freeIndex();
      this.stored.set(index, { hex: e.hex, len: e.tpduLength });
      if (this.cnmi.split(',')[1] !== '0') this.out(`\r\n+CMTI: "SM",${index}\r\n`);
    });
  }

  /** A raw SMS-DELIVER PDU arrives (forged headers in hostile tests): stored and announced like receive(). */
  receivePdu(hex: string, tpduLength: number): number {
    const index = this.freeIndex();
    this.stored.set(index, { hex, len: tpduLength });
    if (this.cnmi.split(',')[1] !== '0') this.out(`\r\n+CMTI: "SM",${index}\r\n`);
    return index;
  }

  get storedCount(): number {
    return this.stored.size;
  }

  private freeIndex(): number {
    let i = 1;
    while (this.stored.has(i)) i++;
    return i;
  }

  private onChar(ch: string): void {
    if (this.promptFor !== undefined) {
      if (ch === '\u001a') {
        const len = this.promptFor;
        this.promptFor = undefined;
        const pdu = this.buf.trim();
        this.buf = '';
        if (this.echo) this.out(`${pdu}\u001a`);
        this.onPdu(pdu, len);
      } else if (ch === '\u001b') {
        this.promptFor = undefined;
        this.buf = '';
      } else {
        this.buf += ch;
      }
      return;
    }
    if (ch === '\r') {
      const line = this.buf.trim();
      this.buf = '';
      if (this.silent) return;
      if (this.echo && line) this.out(`${line}\r`);
      if (/^AT/i.test(line)) this.command(line);
      return;
    }
    if (ch === '\n' || ch === '\u001b') return;
    this.buf += ch;
  }

  private reply(body: string[], final = 'OK'): void {
    if (!this.verbose) final = final === 'OK' ? '0' : final === 'ERROR' ? '4' : final;
    const spam = this.o.spam && this.spec.spam.length ? `\r\n${this.spec.spam[this.spamIndex++ % this.spec.spam.length]}\r\n` : '';
    this.out(`${spam}${body.map((l) => `\r\n${l}\r\n`).join('')}\r\n${final}\r\n`);
  }

  private command(line: string): void {
    const cmd = line.toUpperCase();
    const arg = line.includes('=') ? line.slice(line.indexOf('=') + 1) : '';
    if (cmd === 'ATV0') {
      this.verbose = false;
      return this.reply([]);
    }
    if (cmd === 'ATV1') this.verbose = true;
    if (cmd === 'AT' || cmd === 'ATV1' || cmd.startsWith('AT+CMEE') || cmd.startsWith('AT+CSMP') || cmd === 'AT+CNMA') return this.reply([]);
    if (cmd === 'ATE0') {
      this.echo = false;
      return this.reply([]);
    }
    if (cmd === 'ATE1') {
      this.echo = true;
      return this.reply([]);
    }
    if (cmd === 'AT+CGMI') return this.reply([this.spec.manufacturer]);
    if (cmd === 'AT+CGMM') return this.reply([this.spec.model]);
    if (cmd === 'AT+CGMR') return this.reply([this.spec.revisionPrefix ? `+CGMR: ${this.spec.revision}` : this.spec.revision]);
    if (cmd === 'AT+CGSN') return this.reply(['867959031234567']);
    if (cmd === 'AT+CPIN?') return this.reply([this.pinOk ? '+CPIN: READY' : this.pinTriesLeft <= 0 ? '+CPIN: SIM PUK' : '+CPIN: SIM PIN']);
    if (cmd.startsWith('AT+CPIN=')) {
      this.pinAttempts++;
      if (this.pinTriesLeft <= 0) {
        this.o.onPinAttempt?.({ n: this.pinAttempts, ok: false, triesLeft: 0 });
        return this.reply([], '+CME ERROR: 12');
      }
      if (arg.replace(/"/g, '') === this.o.pin) {
        this.pinOk = true;
        this.pinTriesLeft = 3;
        this.o.onPinAttempt?.({ n: this.pinAttempts, ok: true, triesLeft: 3 });
        return this.reply([]);
      }
      this.pinTriesLeft--;
      this.o.onPinAttempt?.({ n: this.pinAttempts, ok: false, triesLeft: this.pinTriesLeft });
      return this.reply([], '+CME ERROR: 16');
    }
    const puk = 10;
    if (cmd.startsWith('AT+CPINR') && this.spec.pinTries === 'CPINR') return this.reply([`+CPINR: SIM PIN,${this.pinTriesLeft},3`, `+CPINR: SIM PUK,${puk},10`]);
    if (cmd === 'AT+SPIC' && this.spec.pinTries === 'SPIC') return this.reply([`+SPIC: ${this.pinTriesLeft},${puk},3,10`]);
    if (cmd === 'AT^CPIN?' && this.spec.pinTries === '^CPIN') return this.reply([`^CPIN: ${this.pinOk ? 'READY' : this.pinTriesLeft <= 0 ? 'SIM PUK' : 'SIM PIN'},,${puk},${this.pinTriesLeft},10,3`]);
    if (!this.pinOk && /^AT\+(CMG|CSCA|CNMI|CREG|CEREG|COPS)/.test(cmd)) return this.reply([], '+CME ERROR: 11');
    if (cmd === 'AT+CMGF=0') return this.reply([]);
    if (cmd.startsWith('AT+CNMI=')) {
      this.cnmi = arg;
      return this.reply([]);
    }
    if (cmd === 'AT+CSCA?') return this.reply([`+CSCA: "${this.smsc}",145`]);
    if (cmd.startsWith('AT+CSCA=')) {
      this.smsc = arg.split(',')[0]?.replace(/"/g, '') ?? '';
      return this.reply([]);
    }
    if (cmd === 'AT+CSQ') return this.reply([`+CSQ: ${this.o.rssi ?? 21},0`]);
    if (cmd === 'AT+CREG?') return this.reply([`+CREG: 0,${this.o.registration ?? 1}`]);
    if (cmd === 'AT+CEREG?') return this.spec.cereg ? this.reply([`+CEREG: 0,${this.o.registration ?? 1}`]) : this.reply([], 'ERROR');
    if (cmd === 'AT+COPS?') return this.reply(['+COPS: 0,0,"MTS RUS",7']);
    if (cmd.startsWith('AT+CMGS=')) return this.startSend(Number(arg));
    if (cmd.startsWith('AT+CMGR=')) {
      const m = this.stored.get(Number(arg));
      return m ? this.reply([`+CMGR: 0,,${m.len}`, m.hex]) : this.reply([], '+CMS ERROR: 321');
    }
    if (cmd.startsWith('AT+CMGD=')) {
      this.stored.delete(Number(arg.split(',')[0]));
      return this.reply([]);
    }
    if (cmd.startsWith('AT+CMGL')) return this.reply([...this.stored].flatMap(([i, m]) => [`+CMGL: ${i},0,,${m.len}`, m.hex]));
    if (cmd === 'AT+CFUN=1,1') return this.restart();
    return this.reply([], 'ERROR');
  }

  /** AT+CFUN=1,1: OK, silence while restarting, boot URCs, echo back on. */
  restart(): void {
    this.reply([]);
    this.silent = true;
    this.after(this.o.resetMs ?? 200, () => {
      this.silent = false;
      this.echo = true;
      this.pinOk = !this.o.pin;
      this.boot();
    });
  }

  private startSend(len: number): void {
    if (!Number.isInteger(len) || len < 7 || len > 176) return this.reply([], '+CMS ERROR: 304');
    const prompt = () => {
      this.promptFor = len;
      this.out('\r\n> ');
    };
    if (this.hold === 'prompt') return this.pause('prompt', prompt);
    prompt();
  }

  /** Let a held pause point go on (see `hold`). */
  release(): void {
    const go = this.release_;
    this.release_ = undefined;
    this.held = undefined;
    go?.();
  }

  private pause(point: 'prompt' | 'answer', go: () => void): void {
    this.hold = undefined;
    this.held = point;
    this.release_ = go;
    this.onHeld(point);
  }

  private onPdu(pdu: string, len: number): void {
    let sms: SimSms;
    try {
      if (pdu.length / 2 - 1 - parseInt(pdu.slice(0, 2), 16) !== len) throw new Error('length mismatch');
      const d = decodeSubmit(pdu, true);
      sms = {
        at: new Date(this.clock.now()).toISOString(),
        to: d.to,
        text: d.text,
        mr: 0,
        parts: d.concat?.total ?? 1,
        encoding: d.alphabet,
        status_report: d.statusReport,
        ...(d.concat ? { concat: d.concat } : {}),
      };
    } catch {
      return this.reply([], '+CMS ERROR: 304');
    }
    const cms = this.cmsErrors.shift();
    if (cms !== undefined) return this.after(this.sendDelayMs, () => this.reply([], `+CMS ERROR: ${cms}`));
    sms.mr = this.nextMr;
    this.nextMr = (this.nextMr + 1) & 0xff;
    this.sent.push(sms);
    this.o.onSms?.(sms);
    if (this.hangNextSend) {
      this.hangNextSend = false;
      this.silent = true;
      return;
    }
    const answer = () => this.reply([`+CMGS: ${sms.mr}`]);
    if (this.hold === 'answer') this.pause('answer', answer);
    else this.after(this.sendDelayMs, answer);
    if (sms.status_report && this.statusReportDelayMs !== undefined) {
      this.after(this.sendDelayMs + this.statusReportDelayMs, () => {
        const r = encodeStatusReport({ messageRef: sms.mr, recipient: sms.to, sentAt: sms.at, dischargeAt: new Date(this.clock.now()).toISOString(), status: this.o.statusReportStatus ?? 0 });
        this.out(`\r\n+CDS: ${r.tpduLength}\r\n${r.hex}\r\n`);
      });
    }
  }

  private after(ms: number, fn: () => void): void {
    if (ms <= 0) {
      fn();
      return;
    }
    const t = this.clock.setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  private out(data: string): void {
    if (!this.o.splitChunks) {
      this.o.write(data);
      return;
    }
    for (let i = 0; i < data.length; ) {
      const n = 1 + ((i * 7 + data.length) % 3);
      const piece = data.slice(i, i + n);
      i += n;
      this.outQueue = this.outQueue.then(() => {
        this.o.write(piece);
        return new Promise<void>((r) => setImmediate(r));
      });
    }
  }
}
