// The modem side assembled: AT engine + serial link + driver. Used by `run`, `send` and `doctor`.
import type { ModemStatus } from '#common/contract/index.js';
import type { Clock } from '#common/clock.js';
import type { Logger } from '#common/log.js';
import { AtEngine } from '../at/engine.js';
import { type AgentConfig, type ModemConfig, modemsOf } from '../config.js';
import { type SerialBinding, SerialLink } from '../serial/port.js';
import type { DecodedStatusReport } from '../sms/deliver.js';
import type { InboundMessage } from '../sms/reassembly.js';
import { ModemDriver } from './driver.js';
import { PinGuard } from './pin-guard.js';
import { execFile } from 'node:child_process';

export interface ModemStackDeps {
  config: AgentConfig;
  /** Which modem (default: the first of the config in priority order). */
  modem?: ModemConfig;
  log: Logger;
  binding: SerialBinding;
  clock?: Clock;
  observe?: (command: string, seconds: number, result: 'ok' | 'error' | 'timeout') => void;
  onStatus?: (s: ModemStatus) => void;
  onStatusReport?: (r: DecodedStatusReport) => void;
  onInbound?: (m: InboundMessage) => Promise<void> | void;
}

export interface ModemStack {
  /** The modem's id from the config (`modem` for a lone `modem:`). */
  id: string;
  modem: ModemConfig;
  engine: AtEngine;
  link: SerialLink;
  driver: ModemDriver;
}

/** Load the native serial binding only when a real port is used (tests inject another). */
export async function defaultBinding(): Promise<SerialBinding> {
  const mod = await import('@serialport/bindings-cpp');
  return mod.autoDetect() as unknown as SerialBinding;
}

function runShell(cmd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('/bin/sh', ['-c', cmd], { timeout: 60_000 }, (err) => (err ? reject(err) : resolve()));
  });
}

export function createModemStack(d: ModemStackDeps): ModemStack {
  const m = d.modem ?? (modemsOf(d.config)[0] as ModemConfig);
  const engine = new AtEngine({
    log: d.log.child('at'),
    ...(d.clock ? { clock: d.clock } : {}),
    ...(d.observe ? { observe: d.observe } : {}),
    onUrc: (u) => driver.onUrc(u),
  });
  const link = new SerialLink({ path: m.port, baudRate: m.baud_rate, binding: d.binding, engine, log: d.log.child('serial'), onLost: (r) => driver.portLost(r) });
  const driver: ModemDriver = new ModemDriver({
    engine,
    link,
    log: d.log.child('modem'),
    ...(d.clock ? { clock: d.clock } : {}),
    runCommand: runShell,
    pinGuard: new PinGuard(d.config.data_dir, m.id),
    config: {
      pin: m.pin,
      smsc: m.smsc,
      cnmi: m.cnmi,
      registrationTimeoutMs: m.registration_timeout_s * 1000,
      syncAttempts: m.sync_attempts,
      pollIntervalMs: m.poll_interval_s * 1000,
      resetWaitMs: m.reset_wait_s * 1000,
      reopenDelayMs: m.reopen_delay_s * 1000,
      powerCycleCommand: m.power_cycle_command,
      sendTimeoutMs: m.send_timeout_s * 1000,
      syncTimeoutMs: m.sync_timeout_s * 1000,
      recoveryBackoffMs: m.recovery_backoff_s * 1000,
    },
    ...(d.onStatus ? { onStatus: d.onStatus } : {}),
    ...(d.onStatusReport ? { onStatusReport: d.onStatusReport } : {}),
    ...(d.onInbound ? { onInbound: d.onInbound } : {}),
  });
  return { id: m.id, modem: m, engine, link, driver };
}
