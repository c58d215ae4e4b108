// The AT engine: one command in flight (a mutex), a pending-reply slot matched by the parser's
// final/prompt events, per-command timeouts that name the command, URCs as events. The
// transport (a serial port) is attached and detached by the port adapter; the engine itself
// does no I/O of its own, so it is tested with plain fakes.
import { type Clock, type TimerHandle, systemClock } from '#common/clock.js';
import { type Logger, silentLogger } from '#common/log.js';
import { type AtEvent, AtParser } from './parser.js';
import { AtCommandError, AtTimeoutError, PortClosedError, UncertainSendError } from './errors.js';

export interface AtTransport {
  write(data: string): Promise<void>;
}

export interface Urc {
  name: string;
  text: string;
  pdu?: string;
}

export interface CommandOptions {
  /** Information-response prefix (`+CSQ`), so a line with it is an answer, not a URC. */
  prefix?: string;
  timeoutMs?: number;
  /** Log the command with its arguments masked (AT+CPIN). */
  sensitive?: boolean;
}

export interface AtResponse {
  lines: string[];
  ms: number;
}

export interface AtEngineOptions {
  clock?: Clock;
  log?: Logger;
  defaultTimeoutMs?: number;
  onUrc?: (urc: Urc) => void;
  /** Called after each command with its name, seconds and result (for the latency histogram). */
  observe?: (command: string, seconds: number, result: 'ok' | 'error' | 'timeout') => void;
}

/** The step before the PDU failed (the journal could not record the try): nothing was sent. */
export class BeforePduError extends Error {
  constructor(
    readonly command: string,
    override readonly cause: Error,
  ) {
    super(`${command}: not sent, the step before the PDU failed (${cause.message}); the prompt was cancelled with ESC`);
    this.name = 'BeforePduError';
  }
}

export interface SendPduOptions {
  promptTimeoutMs?: number;
  timeoutMs?: number;
  /**
   * Awaited after the `> ` prompt, immediately before the PDU bytes are written (the outbox
   * makes its `try` record durable here). If it rejects, ESC cancels the prompt and the command
   * fails with BeforePduError: the PDU never left, so it is safe to retry.
   */
  beforePdu?: () => Promise<void>;
  /** Called once the PDU bytes were handed to the port (crash tests hook in here). */
  afterPduWritten?: () => void;
}

interface Pending {
  command: string;
  lines: string[];
  started: number;
  /** `hook`: the prompt came and beforePdu is running; the PDU has not been written. */
  stage: 'prompt' | 'hook' | 'answer';
  pdu?: string;
  send?: SendPduOptions;
  answerTimeoutMs: number;
  timer?: TimerHandle;
  resolve(r: AtResponse): void;
  reject(e: Error): void;
}

/** Command name for metrics: `AT+CMGS=23` -> `+CMGS`, `ATE0` -> `E`. */
export function commandName(cmd: string): string {
  const body = cmd.replace(/^AT/i, '');
  const m = /^([+^&$][A-Za-z0-9]+|[A-Za-z])/.exec(body);
  return m ? (m[1] as string).toUpperCase() : body ? 'other' : 'AT';
}

function mask(cmd: string): string {
  return cmd.replace(/=.*/, '=***');
}

export class AtEngine {
  private readonly parser = new AtParser();
  private readonly clock: Clock;
  private readonly log: Logger;
  private transport: AtTransport | undefined;
  private pending: Pending | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  /** Set when a command timed out, so a late answer cannot be taken for the next command's. */
  stale = false;

  constructor(private readonly options: AtEngineOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.log = options.log ?? silentLogger;
  }

  get attached(): boolean {
    return this.transport !== undefined;
  }

  attach(transport: AtTransport): void {
    this.transport = transport;
    this.parser.reset();
  }

  /** The port went away: fail the command in flight. */
  detach(reason = 'the serial port closed'): void {
    this.transport = undefined;
    const p = this.pending;
    if (p) this.settle(p, new PortClosedError(p.command, reason));
  }

  /** Bytes from the modem. */
  feed(chunk: Uint8Array | string): void {
    if (this.log.enabled('debug')) this.log.debug('at <', { data: typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('latin1') });
    for (const ev of this.parser.push(chunk)) this.onEvent(ev);
  }

  /** Run one command; resolves with its information lines on OK, rejects on error or timeout. */
  run(command: string, options: CommandOptions = {}): Promise<AtResponse> {
    return this.enqueue(() => this.exec(command, options));
  }

  /** AT+CMGS=<len>, wait for `> `, send the PDU and Ctrl-Z, wait for +CMGS [TS 27.005 3.5.1]. */
  sendPdu(tpduLength: number, pduHex: string, options: SendPduOptions = {}): Promise<AtResponse> {
    return this.enqueue(() => this.exec(`AT+CMGS=${tpduLength}`, { prefix: '+CMGS', timeoutMs: options.timeoutMs ?? 60_000 }, pduHex, options.promptTimeoutMs ?? 5_000, options));
  }

  /** Write raw bytes outside a command (ESC to abort a prompt). */
  async writeRaw(data: string): Promise<void> {
    await this.transport?.write(data);
  }

  /** Drop any partial line (used by the resync step). */
  resetParser(): void {
    this.parser.reset();
  }

  private enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private exec(command: string, options: CommandOptions, pdu?: string, promptTimeoutMs?: number, send?: SendPduOptions): Promise<AtResponse> {
    return new Promise<AtResponse>((resolve, reject) => {
      const transport = this.transport;
      if (!transport) {
        reject(new PortClosedError(command, 'the serial port is not open'));
        return;
      }
      const answerTimeoutMs = options.timeoutMs ?? this.options.defaultTimeoutMs ?? 5_000;
      const p: Pending = { command, lines: [], started: this.clock.now(), stage: pdu ? 'prompt' : 'answer', answerTimeoutMs, resolve, reject };
      if (pdu !== undefined) p.pdu = pdu;
      if (send) p.send = send;
      this.pending = p;
      this.parser.setInFlight({ command, ...(options.prefix ? { prefix: options.prefix } : {}), ...(pdu ? { echoes: [pdu] } : {}) }, pdu !== undefined);
      this.arm(p, pdu ? (promptTimeoutMs ?? 5_000) : answerTimeoutMs);
      this.log.debug('at >', { cmd: options.sensitive ? mask(command) : command });
      transport.write(`${command}\r`).catch((err: unknown) => this.settle(p, new PortClosedError(command, `write failed: ${(err as Error).message}`)));
    });
  }

  private arm(p: Pending, ms: number): void {
    if (p.timer) this.clock.clearTimeout(p.timer);
    p.timer = this.clock.setTimeout(() => {
      this.stale = true;
      if (p.stage !== 'answer') void this.transport?.write('\u001b').catch(() => undefined);
      if (p.stage === 'hook') this.settle(p, new BeforePduError(p.command, new Error(`it did not finish within ${ms} ms`)));
      else this.settle(p, new AtTimeoutError(p.command, ms, p.stage));
    }, ms);
  }

  private settle(p: Pending, result: AtResponse | Error): void {
    if (this.pending !== p) return;
    this.pending = undefined;
    this.parser.setInFlight(undefined);
    if (p.timer) this.clock.clearTimeout(p.timer);
    const seconds = (this.clock.now() - p.started) / 1000;
    const name = commandName(p.command);
    if (result instanceof Error) {
      // The PDU went to the modem and no verdict came back: it may or may not have been sent.
      const uncertain = p.pdu !== undefined && p.stage === 'answer' && !(result instanceof AtCommandError);
      this.options.observe?.(name, seconds, result instanceof AtTimeoutError ? 'timeout' : 'error');
      p.reject(uncertain ? new UncertainSendError(p.command, result) : result);
    } else {
      this.options.observe?.(name, seconds, 'ok');
      p.resolve(result);
    }
  }

  private onEvent(ev: AtEvent): void {
    const p = this.pending;
    switch (ev.type) {
      case 'urc':
        this.log.debug('urc', { name: ev.name, text: ev.text });
        try {
          this.options.onUrc?.({ name: ev.name, text: ev.text, ...(ev.pdu ? { pdu: ev.pdu } : {}) });
        } catch (err) {
          this.log.error('URC handler failed', { err });
        }
        return;
      case 'noise':
        this.log.debug('noise from the modem ignored', { text: ev.text });
        return;
      case 'prompt':
        if (p?.stage === 'prompt' && p.pdu !== undefined) {
          if (p.send?.beforePdu) void this.afterHook(p, p.send.beforePdu);
          else this.writePdu(p);
        }
        return;
      case 'line':
        if (p) p.lines.push(ev.text);
        return;
      case 'final':
        if (!p) {
          this.log.debug('final result with no command in flight (late answer) ignored', { text: ev.text });
          return;
        }
        if (p.stage !== 'answer' && p.pdu !== undefined) {
          // A result before the prompt: either the modem refused AT+CMGS, or this is the late
          // answer of an earlier command. The PDU never left, so it is safe to retry.
          if (ev.kind === 'ok') this.stale = true;
          const refused = new AtCommandError(p.command, ev.kind === 'ok' ? 'other' : ev.kind, ev.kind === 'ok' ? 'OK before the "> " prompt (late answer of an earlier command?)' : ev.text, ev.code);
          refused.beforePrompt = true;
          this.settle(p, refused);
          return;
        }
        if (ev.kind === 'ok') this.settle(p, { lines: p.lines, ms: this.clock.now() - p.started });
        else this.settle(p, new AtCommandError(p.command, ev.kind, ev.text, ev.code));
        return;
    }
  }

  /** The prompt came: run the hook (the `try` record), then write the PDU, or cancel with ESC. */
  private async afterHook(p: Pending, hook: () => Promise<void>): Promise<void> {
    p.stage = 'hook';
    this.arm(p, p.answerTimeoutMs);
    let failed: Error | undefined;
    try {
      await hook();
    } catch (err) {
      failed = err instanceof Error ? err : new Error(String(err));
    }
    if (this.pending !== p) {
      // Settled meanwhile (timeout, port closed, a stray final): the modem may still sit at the
      // prompt; ESC cancels it. The PDU was never written.
      void this.transport?.write('\u001b').catch(() => undefined);
      return;
    }
    if (failed) {
      // ESC is on the wire before the next command may start.
      await this.transport?.write('\u001b').catch(() => undefined);
      this.settle(p, new BeforePduError(p.command, failed));
      return;
    }
    this.writePdu(p);
  }

  private writePdu(p: Pending): void {
    p.stage = 'answer';
    this.arm(p, p.answerTimeoutMs);
    this.log.debug('at > pdu', { pdu: p.pdu });
    const transport = this.transport;
    if (!transport) {
      this.settle(p, new PortClosedError(p.command, 'the serial port closed before the PDU was written'));
      return;
    }
    transport.write(`${p.pdu}\u001a`).then(
      () => p.send?.afterPduWritten?.(),
      (err: unknown) => this.settle(p, new PortClosedError(p.command, `write failed: ${(err as Error).message}`)),
    );
  }
}
