// The modem driver: brings the modem up, keeps watching it (signal, registration, operator),
// climbs a recovery ladder when it stops answering (resync, AT+CFUN=1,1, reopen the port, an
// optional power-cycle command) with a clear `down` status meanwhile, turns +CMTI/+CDS into
// inbound messages and status reports, and sends PDUs one part at a time.
import type { ModemStatus } from '#common/contract/index.js';
import { type Clock, sleep, systemClock } from '#common/clock.js';
import type { Logger } from '#common/log.js';
import type { AtEngine, Urc } from '../at/engine.js';
import { AtTimeoutError, ModemDownError, UncertainSendError } from '../at/errors.js';
import { type DecodedStatusReport, decodeIncoming } from '../sms/deliver.js';
import { type InboundMessage, type ReassemblyDrops, Reassembler } from '../sms/reassembly.js';
import type { SubmitPdu } from '../sms/submit.js';
import { parseCmgl, parseCmgr, parseCmgs, parseReg, parseStoredIndication } from './info.js';
import type { PinGuard } from './pin-guard.js';
import { detailRu, hintRu } from '../hints-ru.js';
import { ModemSetupError, type SetupConfig, type SimInfo, configureSms, readIdentity, readRadio, sync, unlockSim, waitRegistered } from './setup.js';

export interface Link {
  open(): Promise<void>;
  close(): Promise<void>;
  readonly isOpen: boolean;
}

export interface ModemDriverConfig extends SetupConfig {
  pollIntervalMs: number;
  /** Wait after AT+CFUN=1,1 or a power cycle before reopening the port. */
  resetWaitMs: number;
  reopenDelayMs: number;
  /** Shell command that power-cycles the modem (USB hub port, relay), if any. */
  powerCycleCommand?: string | undefined;
  sendTimeoutMs: number;
  /** First pause between recovery steps; doubles after each full round of the ladder (max 60 s). */
  recoveryBackoffMs?: number;
  /** Timeout of each AT during sync (default 1 s). */
  syncTimeoutMs?: number;
  /** Pause before looking again at a state that cannot heal by itself (default 60 s; no resets meanwhile). */
  blockedRetryMs?: number;
}

export interface ModemDriverDeps {
  engine: AtEngine;
  link: Link;
  config: ModemDriverConfig;
  log: Logger;
  clock?: Clock;
  runCommand?: (cmd: string) => Promise<void>;
  onStatus?: (s: ModemStatus) => void;
  onStatusReport?: (r: DecodedStatusReport) => void;
  /** Resolves once the message is safely handed on (broker ack); only then is it deleted from the SIM. */
  onInbound?: (m: InboundMessage) => Promise<void> | void;
  /** Remembers a PIN the SIM refused (shared with doctor), so no restart spends another try. */
  pinGuard?: PinGuard;
}

export type RecoveryStep = 'resync' | 'soft-reset' | 'reopen' | 'power-cycle';

export interface SendHooks {
  /** After the `> ` prompt, just before part i's PDU is written (journal it: after this the outcome may be unknown). */
  beforePart(i: number): Promise<void>;
  /** Part i's PDU bytes were handed to the port (crash tests). */
  afterPduWritten?(i: number): void;
  /** The modem accepted part i with TP-MR `mr`. */
  afterPart(i: number, mr: number): Promise<void>;
}

class ModemLost extends Error {}

/** A setup error in plain words for the status and /healthz: English, then Russian when known. */
export function setupErrorText(err: ModemSetupError): string {
  const en = `${err.message}. ${err.hint}`;
  const ru = detailRu(err.message);
  const hru = hintRu(err.hint);
  return ru || hru ? `${en} / ${ru ?? err.message}. ${hru ?? err.hint}` : en;
}

export class ModemDriver {
  private readonly clock: Clock;
  private abort: AbortController | undefined;
  private loop: Promise<void> | undefined;
  private current: ModemStatus = { state: 'init' };
  private lostWaiter: (() => void) | undefined;
  private restarted = false;
  private readonly reassembler = new Reassembler();
  private readQueue: Promise<void> = Promise.resolve();
  readonly ladder: RecoveryStep[];
  recoveries = 0;
  /** Inbound SMS parts that did not reassemble normally, by reason (gsmjobs_agent_sms_parts_dropped_total). */
  get smsDrops(): Readonly<ReassemblyDrops> {
    return this.reassembler.drops;
  }
  /** A state that cannot heal by itself (PIN refused or missing, PUK, no SIM, no port): set at once, no resets. */
  blocked: ModemSetupError | undefined;
  /** The SIM as last seen (state and PIN tries left), for metrics. */
  sim: SimInfo = { state: 'unknown' };

  constructor(private readonly d: ModemDriverDeps) {
    this.clock = d.clock ?? systemClock;
    this.ladder = ['resync', 'soft-reset', 'reopen', ...(d.config.powerCycleCommand ? (['power-cycle'] as const) : [])];
  }

  get status(): ModemStatus {
    return this.current;
  }

  get isUp(): boolean {
    return this.current.state === 'up';
  }

  start(): void {
    if (this.loop) return;
    this.abort = new AbortController();
    this.loop = this.supervise(this.abort.signal);
  }

  async stop(): Promise<void> {
    this.abort?.abort(new Error('agent stopping'));
    this.lostWaiter?.();
    await this.loop?.catch(() => undefined);
    this.loop = undefined;
    await this.d.link.close().catch(() => undefined);
  }

  /** Resolves when the stored and announced SMS queued for reading so far are handled. */
  readsSettled(): Promise<void> {
    return this.readQueue;
  }

  /** The port adapter reports that the port went away. */
  portLost(reason: string): void {
    this.d.log.warn('modem port lost', { reason });
    this.lostWaiter?.();
  }

  /** Handle one URC from the engine (never throws). */
  onUrc(urc: Urc): void {
    try {
      this.handleUrc(urc);
    } catch (err) {
      this.d.log.warn('bad URC ignored', { urc: urc.text, err: (err as Error).message });
    }
  }

  /** Send every part; throws the engine's error (AtCommandError / AtTimeoutError / PortClosedError). */
  async sendParts(parts: SubmitPdu[], hooks: SendHooks, startAt = 0): Promise<number[]> {
    const refs: number[] = [];
    for (let i = startAt; i < parts.length; i++) {
      const part = parts[i] as SubmitPdu;
      if (!this.isUp) throw new ModemDownError(this.current.state, this.current.error);
      // A command timed out earlier: flush its late answer before trusting the next one.
      if (this.d.engine.stale) await sync(this.d.engine, 3, undefined, this.d.config.syncTimeoutMs);
      // The `try` is recorded after the `> ` prompt, just before the PDU bytes (issue 15).
      const res = await this.d.engine.sendPdu(part.tpduLength, part.hex, { timeoutMs: this.d.config.sendTimeoutMs, beforePdu: () => hooks.beforePart(i), ...(hooks.afterPduWritten ? { afterPduWritten: () => hooks.afterPduWritten?.(i) } : {}) });
      const mr = parseCmgs(res.lines);
      if (mr === undefined) throw new UncertainSendError(`AT+CMGS=${part.tpduLength}`, new Error('the modem answered OK to AT+CMGS without +CMGS: <mr>'));
      await hooks.afterPart(i, mr);
      refs.push(mr);
    }
    return refs;
  }

  private setStatus(s: ModemStatus): void {
    this.current = s;
    this.d.onStatus?.(s);
  }

  private patch(p: Partial<ModemStatus>): void {
    this.setStatus({ ...this.current, ...p });
  }

  private async supervise(signal: AbortSignal): Promise<void> {
    let step = 0;
    while (!signal.aborted) {
      try {
        if (!this.d.link.isOpen) await this.openPort();
        this.patch({ state: 'init' });
        await this.initialize(signal);
        step = 0;
        this.blocked = undefined;
        await this.monitor(signal);
      } catch (err) {
        if (signal.aborted) break;
        const msg = err instanceof ModemSetupError ? setupErrorText(err) : (err as Error).message;
        if (err instanceof ModemSetupError && err.sim) this.sim = err.sim;
        this.setStatus({ ...this.current, state: 'down', error: msg });
        if (err instanceof ModemSetupError && (err.permanent || err.step === 'port')) {
          // Resetting the modem cannot fix a wrong PIN, a missing SIM or a missing port, and a
          // reset would re-enter PIN unlock: report it at once and only look again, slowly.
          // Said once (warn); the same state seen again on each slow retry only at debug.
          if (this.blocked?.message !== err.message) this.d.log.warn('modem blocked', { error: msg });
          else this.d.log.debug('modem still blocked', { error: err.message });
          this.blocked = err;
          await sleep(this.clock, err.step === 'port' ? this.d.config.reopenDelayMs : (this.d.config.blockedRetryMs ?? 60_000), signal).catch(() => undefined);
          continue;
        }
        this.blocked = undefined;
        this.d.log.warn('modem down', { error: msg });
        const action = this.ladder[step % this.ladder.length] as RecoveryStep;
        step++;
        this.recoveries++;
        await this.recover(action, signal).catch((e: unknown) => this.d.log.warn('recovery step failed', { action, err: (e as Error).message }));
        await sleep(this.clock, Math.min((this.d.config.recoveryBackoffMs ?? 1000) * 2 ** Math.floor(step / this.ladder.length), 60_000), signal).catch(() => undefined);
      }
    }
  }

  private async openPort(): Promise<void> {
    try {
      await this.d.link.open();
    } catch (err) {
      throw new ModemSetupError('port', `cannot open the serial port: ${(err as Error).message}`, 'Check that the modem is plugged in and that modem.port names it (prefer /dev/serial/by-id/...); run `agent ports`.');
    }
  }

  private async recover(action: RecoveryStep, signal: AbortSignal): Promise<void> {
    this.d.log.info('modem recovery', { action });
    switch (action) {
      case 'resync':
        this.d.engine.resetParser();
        return;
      case 'soft-reset':
        if (this.d.link.isOpen) await this.d.engine.run('AT+CFUN=1,1', { timeoutMs: 3 * (this.d.config.syncTimeoutMs ?? 1000) }).catch(() => undefined);
        await this.d.link.close();
        await sleep(this.clock, this.d.config.resetWaitMs, signal);
        return;
      case 'reopen':
        await this.d.link.close();
        await sleep(this.clock, this.d.config.reopenDelayMs, signal);
        return;
      case 'power-cycle':
        await this.d.link.close();
        if (this.d.config.powerCycleCommand && this.d.runCommand) await this.d.runCommand(this.d.config.powerCycleCommand);
        await sleep(this.clock, this.d.config.resetWaitMs, signal);
        return;
    }
  }

  private async initialize(signal: AbortSignal): Promise<void> {
    const e = this.d.engine;
    this.restarted = false;
    await sync(e, this.d.config.syncAttempts, signal, this.d.config.syncTimeoutMs);
    await e.run('ATE0');
    await e.run('AT+CMEE=1').catch(() => undefined);
    const identity = await readIdentity(e);
    this.patch({ ...identity });
    this.sim = await unlockSim(e, this.d.config.pin, this.clock, signal, { guard: this.d.pinGuard });
    await configureSms(e, this.d.config);
    const radio = await waitRegistered(e, this.clock, this.d.config.registrationTimeoutMs, signal);
    const { error: _drop, ...rest } = this.current;
    this.setStatus({ ...rest, ...identity, ...radio, state: 'up' });
    this.d.log.info('modem up', { ...identity, ...radio });
    this.enqueueRead(() => this.readStored());
  }

  private async monitor(signal: AbortSignal): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      const lost = await new Promise<boolean>((resolve) => {
        const t = this.clock.setTimeout(() => {
          this.lostWaiter = undefined;
          resolve(false);
        }, this.d.config.pollIntervalMs);
        this.lostWaiter = () => {
          this.clock.clearTimeout(t);
          this.lostWaiter = undefined;
          resolve(true);
        };
        if (!this.d.link.isOpen) this.lostWaiter();
      });
      if (signal.aborted) return;
      if (lost || !this.d.link.isOpen) throw new ModemLost('the modem port closed (unplugged or reset)');
      if (this.restarted) throw new ModemLost('the modem restarted by itself (power dip?)');
      try {
        if (this.d.engine.stale) await sync(this.d.engine, 3, signal, this.d.config.syncTimeoutMs);
        const radio = await readRadio(this.d.engine);
        failures = 0;
        const changed = radio.registration !== this.current.registration || radio.signal_dbm !== this.current.signal_dbm || radio.operator !== this.current.operator;
        if (changed) this.patch(radio);
        // Multipart messages whose other parts never came: hand on what there is.
        for (const m of this.reassembler.expire(this.clock.now())) {
          this.enqueueRead(async () => {
            await this.d.onInbound?.(m);
            for (const i of m.indexes) await this.d.engine.run(`AT+CMGD=${i}`);
          });
        }
      } catch (err) {
        if (!(err instanceof AtTimeoutError) && !(err instanceof ModemSetupError)) throw err;
        failures++;
        this.d.log.warn('modem did not answer a poll', { failures, err: (err as Error).message });
        if (failures >= 2) throw new ModemLost(`the modem stopped answering (${(err as Error).message})`);
      }
    }
  }

  private handleUrc(urc: Urc): void {
    const name = urc.name.toUpperCase();
    if (name === '+CMTI' || name === '+CDSI') {
      const at = parseStoredIndication(urc.text);
      if (at) this.enqueueRead(() => this.readAndDelete(at.index));
      return;
    }
    if ((name === '+CDS' || name === '+CMT') && urc.pdu) {
      const len = Number(/(\d+)\s*$/.exec(urc.text)?.[1]);
      this.onPdu(urc.pdu, Number.isFinite(len) ? len : undefined);
      if (name === '+CMT') void this.d.engine.run('AT+CNMA').catch(() => undefined);
      return;
    }
    if (name === '+CREG' || name === '+CEREG' || name === '+CGREG') {
      const reg = parseReg(urc.text, false);
      if (reg && this.current.state === 'up' && reg !== this.current.registration) this.patch({ registration: reg });
      return;
    }
    if (name === 'RDY' || name === 'START' || (name === '+CFUN' && /:\s*1\b/.test(urc.text) && this.current.state === 'up')) {
      if (this.current.state === 'up') {
        this.restarted = true;
        this.lostWaiter?.();
      }
      return;
    }
    if (/VOLTAGE/i.test(name)) this.d.log.warn('the modem reports a power problem', { urc: urc.text });
  }

  private onPdu(pdu: string, length: number | undefined, index?: number): InboundMessage | undefined {
    const msg = decodeIncoming(pdu, length);
    if (msg.type === 'status-report') {
      this.d.onStatusReport?.(msg);
      return undefined;
    }
    const whole = this.reassembler.add(msg, this.clock.now(), index);
    // Messages pushed out by the reassembly bounds (issue 18) are handed on with their gaps.
    for (const m of this.reassembler.takeEvicted()) {
      this.enqueueRead(async () => {
        await this.d.onInbound?.(m);
        for (const i of m.indexes) await this.d.engine.run(`AT+CMGD=${i}`);
      });
    }
    if (whole && index === undefined) void Promise.resolve(this.d.onInbound?.(whole)).catch(() => undefined);
    return whole;
  }

  private enqueueRead(fn: () => Promise<void>): void {
    this.readQueue = this.readQueue.then(fn).catch((err: unknown) => this.d.log.warn('reading a stored SMS failed', { err: (err as Error).message }));
  }

  /** Read one stored SMS; delete it (and its sibling parts) once handed on, or at once if it is a report or garbage. */
  private async readAndDelete(index: number): Promise<void> {
    const res = await this.d.engine.run(`AT+CMGR=${index}`, { prefix: '+CMGR' });
    const m = parseCmgr(res.lines);
    let toDelete = [index];
    if (m) {
      try {
        const r = decodeIncoming(m.pdu, m.length);
        if (r.type === 'deliver') {
          const whole = this.onPdu(m.pdu, m.length, index);
          if (!whole) return; // wait for the other parts; they stay on the SIM until then
          await this.d.onInbound?.(whole);
          toDelete = whole.indexes;
        } else {
          this.d.onStatusReport?.(r);
        }
      } catch (err) {
        this.d.log.warn('undecodable stored SMS deleted', { index, err: (err as Error).message });
      }
    }
    for (const i of toDelete) await this.d.engine.run(`AT+CMGD=${i}`);
  }

  /** Messages that arrived while the agent was away. */
  private async readStored(): Promise<void> {
    const res = await this.d.engine.run('AT+CMGL=4', { prefix: '+CMGL', timeoutMs: 20_000 }).catch(() => undefined);
    for (const index of parseCmgl(res?.lines ?? [])) await this.readAndDelete(index);
    for (const m of this.reassembler.expire(this.clock.now())) {
      await this.d.onInbound?.(m);
      for (const i of m.indexes) await this.d.engine.run(`AT+CMGD=${i}`);
    }
  }
}
