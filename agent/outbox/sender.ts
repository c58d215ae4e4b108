// The send loop: takes the next due job (arrival order, pacing per destination and per
// modem), encodes it, hands its parts to the modem one by one with each step journaled, and
// turns the outcome into sent / retry with backoff / failed / uncertain.
import { type Clock, sleep, systemClock } from '#common/clock.js';
import { SmsTooLongError } from '#common/sms/index.js';
import type { Logger } from '#common/log.js';
import { AtCommandError, AtTimeoutError, ModemDownError, PortClosedError, UncertainSendError, classifySendError } from '../at/errors.js';
import type { SendHooks } from '../modem/driver.js';
import { InvalidNumberError } from '../sms/fields.js';
import { type SubmitPdu, encodeSubmit } from '../sms/submit.js';
import { BeforePduError } from '../at/engine.js';
import { type CrashHook, type CrashPoint, noCrash } from './crash-point.js';
import { JobEndedError, type Outbox } from './outbox.js';
import type { Pacer } from './pacing.js';
import type { OutboxEntry } from './state.js';
import { ModemSet, type ModemSlot, type SmsPort } from './choose.js';

export type { SmsPort } from './choose.js';

export interface SenderConfig {
  maxParts: number;
  maxTries: number;
  resendUncertain: boolean;
  validityMinutes?: number | undefined;
}

export type SendResult = 'sent' | 'retry' | 'failed' | 'uncertain' | 'expired';

export interface SenderDeps {
  outbox: Outbox;
  /** One modem (agent send, tests) ... */
  modem?: SmsPort;
  /** ... or several (issue 19). */
  modems?: ModemSet;
  pacer: Pacer;
  config: SenderConfig;
  log: Logger;
  clock?: Clock;
  onResult?: (r: SendResult, parts: number, modem: string | undefined) => void;
  /** Crash points for the SIGKILL crash matrix (a no-op in production). */
  crash?: CrashHook;
}

/** Why a job can never be sent (bad number, too long), or undefined: checked on arrival. */
export function unsendable(job: { to: string; text: string }, maxParts: number): { code: string; message: string; retryable: false } | undefined {
  try {
    encodeSubmit({ to: job.to, text: job.text, maxParts });
    return undefined;
  } catch (err) {
    const code = err instanceof InvalidNumberError ? 'invalid_number' : err instanceof SmsTooLongError ? 'text_too_long' : 'invalid_text';
    return { code, message: (err as Error).message, retryable: false };
  }
}

/**
 * The modem never got the PDU and said so, or went away before the prompt (issue 19): the
 * message may move to another modem at once. Not after the PDU left (uncertain) nor when the
 * network refused it (+CMS ERROR after the PDU: the modem's answer, retried with backoff).
 */
export function beforePduLeft(err: unknown): boolean {
  if (err instanceof ModemDownError || err instanceof PortClosedError) return true;
  if (err instanceof AtTimeoutError) return err.stage === 'prompt';
  return err instanceof AtCommandError && err.beforePrompt === true;
}

export class Sender {
  private readonly clock: Clock;
  readonly modems: ModemSet;
  /** Modems that refused a message before its PDU left, skipped for it until it goes out (issue 19). */
  private readonly avoid = new Map<string, Set<string>>();
  private abort: AbortController | undefined;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  /** `part` records journaled in the background (see sendOne); awaited by stop(). */
  private readonly durable = new Set<Promise<void>>();

  constructor(private readonly d: SenderDeps) {
    this.clock = d.clock ?? systemClock;
    if (d.modems) this.modems = d.modems;
    else if (d.modem) this.modems = ModemSet.single(d.modem);
    else throw new Error('Sender needs a modem');
  }

  start(): void {
    if (this.loop) return;
    this.abort = new AbortController();
    this.loop = this.run(this.abort.signal);
  }

  async stop(): Promise<void> {
    this.abort?.abort(new Error('stopping'));
    this.wake?.();
    await this.loop?.catch(() => undefined);
    this.loop = undefined;
    await this.settled();
  }

  /** Resolves when every `part` record started so far is on disk (or failed and was logged). */
  async settled(): Promise<void> {
    while (this.durable.size) await Promise.all([...this.durable]);
  }

  /**
   * The modem accepted a part: record it without holding the send loop until it is on disk.
   * Safe because the journal writes records in append order: the next part's or the next job's
   * `try` record is appended after this one, and that `try` is awaited (fsynced) before its PDU
   * goes to the modem, so no PDU leaves before this record is durable, and a crash leaves
   * exactly the states it could leave before (this part `uncertain` at worst, never resent
   * unless send.resend_uncertain says so). The `sent` update is still published only once it
   * is on disk (Outbox.commit). One SMS then costs one disk flush instead of two.
   */
  private recordPart(id: string, part: number, mr: number, slot: ModemSlot): Promise<void> {
    slot.usage?.record(this.clock.now());
    const p = this.d.outbox
      .markPart(id, part, mr)
      .then(() => this.crash('after_part', id))
      .catch((err: unknown) => this.d.log.error('journal write failed for an accepted part', { execution_id: id, part, err: (err as Error).message }));
    this.durable.add(p);
    void p.finally(() => this.durable.delete(p));
    return Promise.resolve();
  }

  /** Something changed (a new job, the modem came up): look again now. */
  poke(): void {
    this.wake?.();
  }

  /**
   * The modem for a message: the one it is on when a part was already accepted (the rest must
   * follow it: same concatenation, reports matched on that modem), else the best eligible one.
   */
  slotFor(rec: OutboxEntry, now: number): ModemSlot | undefined {
    if (rec.modem && rec.mrs.some((m) => m != null)) {
      const pinned = this.modems.get(rec.modem);
      return pinned?.port.isUp ? pinned : undefined;
    }
    const id = rec.job.execution_id;
    const avoid = this.avoid.get(id);
    const slot = this.modems.choose(rec.job.to, now, avoid);
    if (slot || !avoid) return slot;
    // Every other modem refused it too: start over with all of them (the backoff paces it).
    this.avoid.delete(id);
    return this.modems.choose(rec.job.to, now);
  }

  /** The next job that may start now and its modem, or the time to wait. */
  pick(now: number): { job: OutboxEntry; slot?: ModemSlot } | { waitMs: number } {
    let wait = 60_000;
    for (const rec of this.d.outbox.queued()) {
      if (Date.parse(rec.job.expires_at) <= now) return { job: rec };
      const slot = this.slotFor(rec, now);
      if (!slot) {
        // No modem for it now (all down, over budget, none serves the number): look again soon.
        wait = Math.min(wait, 1000);
        continue;
      }
      const at = Math.max(rec.nextTryAt, this.d.pacer.earliest(rec.job.to, slot.id));
      if (at <= now) return { job: rec, slot };
      wait = Math.min(wait, at - now);
    }
    return { waitMs: Math.max(1, wait) };
  }

  private async idle(ms: number, signal: AbortSignal): Promise<void> {
    await new Promise<void>((resolve) => {
      const t = this.clock.setTimeout(done, ms);
      function done() {
        resolve();
      }
      this.wake = () => {
        this.clock.clearTimeout(t);
        this.wake = undefined;
        resolve();
      };
      if (signal.aborted) this.wake();
    });
    this.wake = undefined;
  }

  private async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        // A modem that is down, or a journal that cannot record the `try`: nothing may start.
        if (!this.modems.anyUp || !this.d.outbox.writable) {
          await this.idle(1000, signal);
          continue;
        }
        const next = this.pick(this.clock.now());
        if ('waitMs' in next) {
          await this.idle(next.waitMs, signal);
          continue;
        }
        await this.sendOne(next.job, next.slot);
      } catch (err) {
        this.d.log.error('send loop error', { err: (err as Error).message });
        await sleep(this.clock, 1000, signal).catch(() => undefined);
      }
    }
  }

  /** Send one job through a modem (the given one, or the one chosen now) and journal the outcome. */
  async sendOne(rec: OutboxEntry, chosen?: ModemSlot): Promise<SendResult> {
    const o = this.d.outbox;
    const id = rec.job.execution_id;
    const now = this.clock.now();
    if (Date.parse(rec.job.expires_at) <= now) {
      await o.end(id, 'expired', { code: 'expired', message: `expired at ${rec.job.expires_at} before it could be sent${rec.lastError ? ` (last error: ${rec.lastError.message})` : ''}` });
      this.avoid.delete(id);
      return this.result('expired', 0);
    }
    // No modem up for it: the first one's error (as before issue 19) decides the retry.
    const slot = chosen ?? this.slotFor(rec, now) ?? (this.modems.get(rec.modem) as ModemSlot | undefined) ?? (this.modems.slots[0] as ModemSlot);
    let parts: SubmitPdu[];
    try {
      parts = encodeSubmit({ to: rec.job.to, text: rec.job.text, statusReport: rec.job.status_report, ref: rec.ref, maxParts: this.d.config.maxParts, ...(this.d.config.validityMinutes ? { validityMinutes: this.d.config.validityMinutes } : {}) }).parts;
    } catch (err) {
      const code = err instanceof InvalidNumberError ? 'invalid_number' : err instanceof SmsTooLongError ? 'text_too_long' : 'invalid_text';
      await o.end(id, 'failed', { code, message: (err as Error).message, retryable: false });
      return this.result('failed', 0);
    }
    const startAt = rec.mrs.findIndex((m) => m == null);
    const from = startAt < 0 ? rec.mrs.length : startAt;
    this.d.pacer.record(rec.job.to, now, slot.id);
    try {
      const hooks: SendHooks = {
        // Called after the modem's `> ` prompt: the `try` is durable before the PDU goes out.
        beforePart: async (i) => {
          this.crash('after_prompt', id);
          await o.markTry(id, i, parts.length, slot.id);
          this.crash('after_try', id);
        },
        afterPart: (i, mr) => this.recordPart(id, i, mr, slot),
        afterPduWritten: () => this.crash('after_pdu_written', id),
      };
      await slot.port.sendParts(parts, hooks, from);
      this.d.log.info('sms sent', { execution_id: id, parts: parts.length, message_refs: rec.mrs, modem: slot.id });
      this.avoid.delete(id);
      return this.result('sent', parts.length, slot.id);
    } catch (err) {
      // Cancelled (or expired) while the prompt was awaited: the outbox already ended it; ESC was sent.
      const ended = err instanceof JobEndedError ? err : err instanceof BeforePduError && err.cause instanceof JobEndedError ? err.cause : undefined;
      if (ended) {
        this.d.log.info('not sent: the job ended before its PDU went out', { execution_id: id, state: ended.state });
        this.avoid.delete(id);
        return this.result('expired', 0);
      }
      const c = classifySendError(err);
      if (err instanceof UncertainSendError && !this.d.config.resendUncertain && rec.job.resend_if_uncertain !== true) {
        await o.end(id, 'uncertain', { code: 'uncertain', message: `modem ${slot.id} took the message but gave no answer (${c.message}); it may or may not have been sent, so it is not sent through another modem`, retryable: false });
        this.avoid.delete(id);
        return this.result('uncertain', parts.length, slot.id);
      }
      const fresh = this.d.outbox.get(id);
      // Issue 19: the PDU never left this modem; another one takes the message at once.
      if (fresh && beforePduLeft(err) && !fresh.mrs.some((m) => m != null) && this.modems.slots.length > 1) {
        const avoid = this.avoid.get(id) ?? new Set<string>();
        avoid.add(slot.id);
        this.avoid.set(id, avoid);
        const next = this.modems.choose(rec.job.to, this.clock.now(), avoid);
        if (next) {
          this.d.log.warn('modem failed before the PDU left; failing over', { execution_id: id, from: slot.id, to: next.id, reason: c.message });
          await o.markRetry(id, { ...c, message: `modem ${slot.id}: ${c.message}; moved to modem ${next.id}` }, true);
          return this.result('retry', 0, slot.id);
        }
        this.avoid.delete(id);
      }
      // The network refused it through this modem (+CMS ERROR after the PDU: not sent, e.g. no
      // credit on this SIM): after the backoff another modem, if there is one, tries first.
      if (err instanceof AtCommandError && this.modems.slots.length > 1) this.avoid.set(id, (this.avoid.get(id) ?? new Set<string>()).add(slot.id));
      if (c.retryable && (fresh?.tries ?? 0) < this.d.config.maxTries) {
        this.d.log.warn('sms failed, will retry', { execution_id: id, reason: c.message });
        await o.markRetry(id, c);
        return this.result('retry', parts.length, slot.id);
      }
      this.d.log.warn('sms failed', { execution_id: id, reason: c.message });
      await o.end(id, 'failed', c);
      this.avoid.delete(id);
      return this.result('failed', parts.length, slot.id);
    }
  }

  private crash(point: CrashPoint, id: string): void {
    (this.d.crash ?? noCrash)(point, id);
  }

  private result(r: SendResult, parts: number, modem?: string): SendResult {
    this.d.onResult?.(r, parts, modem);
    return r;
  }
}
