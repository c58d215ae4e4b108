// `agent doctor`: checks the port, the modem, the SIM and PIN, SMSC, registration and signal,
// and says in plain words what is wrong and what to do. Each check stops the ones after it
// when they cannot work without it.
import { existsSync } from 'node:fs';
import type { Logger } from '#common/log.js';
import type { AtEngine } from './at/engine.js';
import { type AgentConfig, type ModemConfig, modemsOf } from './config.js';
import { isRegistered } from './modem/info.js';
import { ModemSetupError, configureSms, readIdentity, readRadio, sync, unlockSim } from './modem/setup.js';
import { createModemStack } from './modem/stack.js';
import { PinGuard } from './modem/pin-guard.js';
import type { SerialBinding } from './serial/port.js';
import { listSerialPorts } from './serial/list.js';
import { systemClock } from '#common/clock.js';
import { detailRu, hintRu } from './hints-ru.js';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
  hint?: string;
}

function fail(name: string, err: unknown, fallbackHint: string): Check {
  if (err instanceof ModemSetupError) return { name, ok: false, detail: err.message, hint: err.hint };
  return { name, ok: false, detail: (err as Error).message, hint: fallbackHint };
}

export interface DoctorOptions {
  /** The port came from --port (not the config): a fix names the flag, not modem.port. */
  portFromFlag?: boolean;
}

/** Every modem of the config in priority order; with several, each check is named `<modem id>: <check>`. */
export async function runDoctor(config: AgentConfig, binding: SerialBinding, log: Logger, opts: DoctorOptions = {}): Promise<Check[]> {
  const modems = modemsOf(config);
  const out: Check[] = [];
  for (const m of modems) {
    const checks = await runDoctorModem(config, m, binding, log, opts);
    out.push(...(modems.length > 1 ? checks.map((c) => ({ ...c, name: `${m.id}: ${c.name}` })) : checks));
  }
  return out;
}

async function runDoctorModem(config: AgentConfig, modem: ModemConfig, binding: SerialBinding, log: Logger, opts: DoctorOptions): Promise<Check[]> {
  const checks: Check[] = [];
  const port = modem.port;
  const ports = listSerialPorts().map((p) => p.path);
  if (!existsSync(port)) {
    checks.push({ name: 'port', ok: false, detail: `${port} does not exist`, hint: ports.length ? `${opts.portFromFlag ? 'Pass --port with one of' : 'Set modem.port to one of'}: ${ports.join(', ')}` : 'No serial port found: plug the modem in (USB) or enable the UART, then run `agent ports`.' });
    return checks;
  }
  const stack = createModemStack({ config, modem, log, binding });
  const e: AtEngine = stack.engine;
  try {
    try {
      await stack.link.open();
      checks.push({ name: 'port', ok: true, detail: `${port} opened at ${modem.baud_rate} baud` });
    } catch (err) {
      checks.push(fail('port', err, /EACCES|permission/i.test((err as Error).message) ? 'Add the agent user to the "dialout" group.' : 'Another program may hold the port: the agent service (stop it before `doctor` or `send`) or ModemManager (`systemctl disable --now ModemManager`).'));
      return checks;
    }
    try {
      await sync(e, modem.sync_attempts);
      await e.run('ATE0');
      await e.run('AT+CMEE=1').catch(() => undefined);
      const id = await readIdentity(e);
      checks.push({ name: 'modem', ok: true, detail: [id.manufacturer, id.model, id.revision].filter(Boolean).join(' / ') || 'answers AT' });
    } catch (err) {
      checks.push(fail('modem', err, 'Check the port and power.'));
      return checks;
    }
    try {
      // The same refusal memory as the service: doctor never spends a PIN try the service would not.
      const sim = await unlockSim(e, modem.pin, systemClock, undefined, { guard: new PinGuard(config.data_dir, modem.id) });
      checks.push({ name: 'sim', ok: true, detail: `SIM ready (PIN accepted or not needed)${sim.triesLeft !== undefined ? `; ${sim.triesLeft} PIN tries left` : ''}` });
    } catch (err) {
      checks.push(fail('sim', err, 'Check the SIM card.'));
      return checks;
    }
    try {
      const smsc = await configureSms(e, modem);
      checks.push({ name: 'smsc', ok: true, detail: `PDU mode on, SMS centre ${smsc}` });
    } catch (err) {
      checks.push(fail('smsc', err, 'Set modem.smsc.'));
    }
    try {
      const r = await readRadio(e);
      checks.push(
        isRegistered(r.registration)
          ? { name: 'network', ok: true, detail: `registered (${r.registration})${r.operator ? ` on ${r.operator}` : ''}` }
          : { name: 'network', ok: false, detail: `not registered (${r.registration})`, hint: 'Check the antenna, coverage and that the SIM has service; registration can take a minute after power-up.' },
      );
      const dbm = r.signal_dbm;
      checks.push(
        dbm === null
          ? { name: 'signal', ok: false, detail: 'signal unknown (AT+CSQ 99)', hint: 'Connect the antenna; move it near a window.' }
          : dbm < -105
            ? { name: 'signal', ok: false, detail: `${dbm} dBm: too weak for reliable SMS`, hint: 'Use an external antenna or move it; below -105 dBm messages get lost.' }
            : { name: 'signal', ok: true, detail: `${dbm} dBm${dbm < -95 ? ' (weak but usable)' : ''}` },
      );
    } catch (err) {
      checks.push(fail('network', err, 'The modem stopped answering.'));
    }
    return checks;
  } finally {
    await stack.link.close().catch(() => undefined);
  }
}

export function formatChecks(checks: Check[]): string {
  const lines = checks.map((c) => {
    const ru = c.hint ? hintRu(c.hint) : undefined;
    const detail = c.ok ? undefined : detailRu(c.detail);
    return `${c.ok ? 'OK  ' : 'FAIL'} ${c.name.padEnd(c.name.includes(': ') ? 16 : 8)} ${c.detail}${detail ? `\n              ${detail}` : ''}${c.hint ? `\n              what to do: ${c.hint}` : ''}${ru ? `\n              что делать: ${ru}` : ''}`;
  });
  const ok = checks.every((c) => c.ok);
  lines.push(ok ? 'All checks passed: the modem is ready to send SMS. / Все проверки пройдены: модем готов отправлять SMS.' : 'Some checks failed: see "what to do" above. / Есть ошибки: см. "что делать" выше.');
  return lines.join('\n');
}
