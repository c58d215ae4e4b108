// Modem start-up sequence: sync, echo off, numeric errors, SIM PIN, PDU mode, new-message and
// status-report indications, SMSC, registration, identity. Each step says in plain words what
// failed, so `doctor` and the `modem down` status can tell a technician what to do.
import type { RegistrationState } from '#common/contract/index.js';
import { type Clock, sleep } from '#common/clock.js';
import type { AtEngine } from '../at/engine.js';
import { AtCommandError } from '../at/errors.js';
import { bestRegistration, isRegistered, parseCops, parseCpin, parseCsca, parseCsq, parsePinTries, parseReg } from './info.js';
import type { PinGuard } from './pin-guard.js';

export class ModemSetupError extends Error {
  constructor(
    readonly step: string,
    message: string,
    readonly hint: string,
    /** The state cannot heal by itself (PIN refused or missing, PUK, no SIM): no resets, report at once. */
    readonly permanent = false,
    /** What the SIM said, when this is about the SIM (for the SIM metrics and status). */
    readonly sim?: SimInfo,
  ) {
    super(message);
    this.name = 'ModemSetupError';
  }
}

/** The SIM as the agent last saw it; `gsmjobs_agent_sim_state` and `..._sim_pin_tries_left`. */
export type SimState = 'ready' | 'pin_required' | 'pin_refused' | 'pin_last_try' | 'puk_required' | 'absent' | 'unknown';
export const SIM_STATES: readonly SimState[] = ['ready', 'pin_required', 'pin_refused', 'pin_last_try', 'puk_required', 'absent', 'unknown'];

export interface SimInfo {
  state: SimState;
  /** PIN tries left, where the modem tells (undefined: unknown). */
  triesLeft?: number | undefined;
}

export interface SetupConfig {
  pin?: string | undefined;
  smsc?: string | undefined;
  cnmi: string;
  registrationTimeoutMs: number;
  syncAttempts: number;
}

export interface Identity {
  manufacturer?: string;
  model?: string;
  revision?: string;
}

export interface RadioState {
  registration: RegistrationState;
  signal_dbm: number | null;
  operator?: string;
}

async function optional(engine: AtEngine, cmd: string, prefix?: string): Promise<string[]> {
  try {
    return (await engine.run(cmd, prefix ? { prefix, timeoutMs: 5000 } : { timeoutMs: 5000 })).lines;
  } catch (err) {
    if (err instanceof AtCommandError) return [];
    throw err;
  }
}

/** Send AT until OK: clears a half-typed command or a stuck `> ` prompt (ESC) first. */
export async function sync(engine: AtEngine, attempts: number, signal?: AbortSignal, attemptTimeoutMs = 1000): Promise<void> {
  engine.resetParser();
  await engine.writeRaw('\u001b\r').catch(() => undefined);
  let last: unknown;
  for (let i = 0; i < attempts; i++) {
    signal?.throwIfAborted();
    try {
      // ATV1 first: a modem left in numeric mode (V0) answers it in words again [V.250 6.2.6].
      await engine.run(i === 0 ? 'ATV1' : 'AT', { timeoutMs: attemptTimeoutMs });
      // Make sure a late answer of an earlier command is not waiting: one more round trip.
      await engine.run('AT', { timeoutMs: attemptTimeoutMs });
      engine.stale = false;
      return;
    } catch (err) {
      last = err;
    }
  }
  throw new ModemSetupError('sync', `the modem does not answer AT (${(last as Error)?.message ?? 'no answer'})`, 'Check the port path and baud rate in the config, the cable, and the modem power supply (SIM800 needs 2 A peaks).');
}

export async function readIdentity(engine: AtEngine): Promise<Identity> {
  const first = (lines: string[]) => lines.find((l) => l && !l.startsWith('+'))?.replace(/^Revision:\s*/i, 'Revision:') ?? lines[0]?.replace(/^\+\w+:\s*/, '');
  const id: Identity = {};
  const m = first(await optional(engine, 'AT+CGMI'));
  const model = first(await optional(engine, 'AT+CGMM'));
  const rev = first(await optional(engine, 'AT+CGMR'));
  if (m) id.manufacturer = m;
  if (model) id.model = model;
  if (rev) id.revision = rev;
  return id;
}

export async function readRadio(engine: AtEngine): Promise<RadioState> {
  const csq = (await engine.run('AT+CSQ', { prefix: '+CSQ' })).lines.find((l) => /^\+CSQ:\s*\d+,/.test(l));
  const answer = (lines: string[]) => lines.map((l) => parseReg(l, true)).find((r) => r !== undefined);
  const creg = answer(await optional(engine, 'AT+CREG?', '+CREG'));
  const cereg = answer(await optional(engine, 'AT+CEREG?', '+CEREG'));
  const cops = (await optional(engine, 'AT+COPS?', '+COPS')).find((l) => l.startsWith('+COPS'));
  const registration = bestRegistration(creg, cereg);
  const op = cops ? parseCops(cops) : undefined;
  return { registration, signal_dbm: csq ? parseCsq(csq) : null, ...(op ? { operator: op } : {}) };
}

export const PIN_REFUSED_HINT = 'Fix modem.pin (or the PIN file), then restart the agent; do not restart before: each wrong PIN spends one of the SIM\'s tries.';
export const PIN_LAST_TRY_HINT = 'Only one PIN try is left: the agent will not spend it. Check the PIN in a phone, then put the right one in modem.pin.';

/** PIN tries left, where the modem tells (AT+CPINR Quectel, AT+SPIC SIMCom, AT^CPIN Huawei). */
export async function readPinTries(engine: AtEngine): Promise<number | undefined> {
  for (const [cmd, prefix] of [['AT+CPINR="SIM PIN"', '+CPINR'], ['AT+SPIC', '+SPIC'], ['AT^CPIN?', '^CPIN']] as const) {
    const tries = parsePinTries(await optional(engine, cmd, prefix));
    if (tries !== undefined) return tries;
  }
  return undefined;
}

function refusedError(tries: number | undefined): ModemSetupError {
  return new ModemSetupError('pin', `the SIM refused the configured PIN; ${tries ?? 'unknown number of'} tries left; fix the PIN, do not restart`, PIN_REFUSED_HINT, true, { state: 'pin_refused', triesLeft: tries });
}

/** Tries left on a SIM that is already open; a modem that does not tell (or does not answer) gives undefined. */
async function triesQuietly(engine: AtEngine): Promise<number | undefined> {
  try {
    return await readPinTries(engine);
  } catch {
    return undefined;
  }
}

export interface UnlockOptions {
  /** Remembers refused PINs across restarts (the service and doctor share it). */
  guard?: PinGuard | undefined;
}

export async function unlockSim(engine: AtEngine, pin: string | undefined, clock: Clock, signal?: AbortSignal, opts: UnlockOptions = {}): Promise<SimInfo> {
  let state: string | undefined;
  try {
    state = parseCpin((await engine.run('AT+CPIN?', { prefix: '+CPIN' })).lines[0] ?? '');
  } catch (err) {
    if (err instanceof AtCommandError && err.kind === 'cme' && (err.code === 10 || /not inserted/i.test(err.finalText))) {
      throw new ModemSetupError('sim', 'no SIM card (+CME ERROR: 10)', 'Insert the SIM card (power the modem off first) and check it sits in the holder correctly.', true, { state: 'absent' });
    }
    throw new ModemSetupError('sim', `the SIM does not answer: ${(err as Error).message}`, 'Check the SIM card; try it in a phone.');
  }
  if (state === 'READY') {
    // A SIM unlocked by hand (in a phone, or its PIN disabled): an old refusal is moot.
    if (pin && opts.guard?.refusalOf(pin)) opts.guard.clear();
    return { state: 'ready', triesLeft: await triesQuietly(engine) };
  }
  if (state === 'SIM PIN') {
    if (!pin) throw new ModemSetupError('pin', 'the SIM asks for a PIN and none is configured', 'Put the PIN in modem.pin (or GSMJOBS_AGENT_MODEM__PIN_FILE), or disable the PIN in a phone.', true, { state: 'pin_required', triesLeft: await triesQuietly(engine) });
    const known = opts.guard?.refusalOf(pin);
    if (known) throw refusedError((await readPinTries(engine)) ?? known.tries_left);
    const tries = await readPinTries(engine);
    if (tries !== undefined && tries <= 1) throw new ModemSetupError('pin', `only ${tries} PIN try left on the SIM; the agent does not spend the last one`, PIN_LAST_TRY_HINT, true, { state: 'pin_last_try', triesLeft: tries });
    try {
      await engine.run(`AT+CPIN="${pin}"`, { sensitive: true, timeoutMs: 10_000 });
    } catch (err) {
      if (err instanceof AtCommandError) {
        const left = (await readPinTries(engine)) ?? (tries !== undefined ? tries - 1 : undefined);
        opts.guard?.remember(pin, left);
        throw refusedError(left);
      }
      throw new ModemSetupError('pin', `no answer to the PIN (${(err as Error).message.replace(pin, '***')})`, 'Check the SIM card.');
    }
    opts.guard?.clear();
    await sleep(clock, 2000, signal);
    return { state: 'ready', triesLeft: await triesQuietly(engine) };
  }
  if (state?.includes('PUK')) throw new ModemSetupError('pin', 'the SIM is locked and needs its PUK', 'Unlock the SIM with its PUK in a phone, then restart the agent.', true, { state: 'puk_required', triesLeft: 0 });
  throw new ModemSetupError('sim', `unexpected SIM state "${state ?? '?'}"`, 'Check the SIM card.');
}

export async function configureSms(engine: AtEngine, cfg: Pick<SetupConfig, 'smsc' | 'cnmi'>): Promise<string> {
  try {
    await engine.run('AT+CMGF=0');
  } catch (err) {
    throw new ModemSetupError('pdu', `the modem refuses PDU mode (${(err as Error).message})`, 'This modem cannot send SMS in PDU mode; a Huawei E3372 must be switched from HiLink to modem (stick) mode.');
  }
  await optional(engine, `AT+CNMI=${cfg.cnmi}`);
  await optional(engine, 'AT+CSMP=49,167,0,0');
  let smsc = parseCsca((await optional(engine, 'AT+CSCA?', '+CSCA'))[0] ?? '');
  if (cfg.smsc && smsc !== cfg.smsc) {
    await engine.run(`AT+CSCA="${cfg.smsc}",${cfg.smsc.startsWith('+') ? 145 : 129}`);
    smsc = cfg.smsc;
  }
  if (!smsc) throw new ModemSetupError('smsc', 'the SIM has no SMS centre (SMSC) number', "Set modem.smsc in the config to your operator's SMSC number (e.g. +79168999100 for MTS Moscow).");
  return smsc;
}

export async function waitRegistered(engine: AtEngine, clock: Clock, timeoutMs: number, signal?: AbortSignal): Promise<RadioState> {
  const deadline = clock.now() + timeoutMs;
  for (;;) {
    const radio = await readRadio(engine);
    if (isRegistered(radio.registration)) return radio;
    if (radio.registration === 'denied') throw new ModemSetupError('registration', 'the network denies registration', 'The SIM may be blocked or lack service: call the operator or try the SIM in a phone.');
    if (clock.now() >= deadline) {
      throw new ModemSetupError('registration', `not registered on the network (${radio.registration}, signal ${radio.signal_dbm ?? 'unknown'} dBm)`, 'Check the antenna and coverage, and that the SIM has service (try it in a phone).');
    }
    await sleep(clock, 1000, signal);
  }
}
