// Command line: `run` (the service), `send` (one SMS through the same engine), `doctor`,
// `ports`, `--version`. Returns an exit code; never calls process.exit itself.
import { parseArgs } from 'node:util';
import { ConfigError } from '../hub/common/config.js';
import { createLogger } from '../hub/common/log.js';
import { Agent } from './app.js';
import { type AgentConfig, loadAgentConfig, secretsOf } from './config.js';
import { formatChecks, runDoctor } from './doctor.js';
import { createModemStack, defaultBinding } from './modem/stack.js';
import { listSerialPorts } from './serial/list.js';
import { encodeSubmit } from './sms/submit.js';
import { AGENT_VERSION } from './version.js';

const USAGE = `gsmjobs agent ${AGENT_VERSION}

usage: agent [command] [--config agent.yaml]    (no command with --config: run)
  run                     run the site gateway (MQTT jobs -> SMS)
  send --to N --text T    send one SMS through the modem and print its TP-MR
  doctor                  check port, modem, SIM/PIN, SMSC, network and signal; say what to fix
                          (--port /dev/ttyUSB2 [--baud 115200] works without a config file)
  ports                   list serial ports (stable /dev/serial/by-id names first)
  --version               print the version

Config: YAML file (--config or GSMJOBS_AGENT_CONFIG) plus environment overrides
GSMJOBS_AGENT_<SECTION>__<KEY> (e.g. GSMJOBS_AGENT_MODEM__PORT), *_FILE for secrets.
`;

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** Resolves when the process is asked to stop (SIGTERM/SIGINT). */
  stopSignal(): Promise<string>;
  env: NodeJS.ProcessEnv;
}

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { config: { type: 'string', short: 'c' }, to: { type: 'string' }, text: { type: 'string' }, version: { type: 'boolean', short: 'v' }, help: { type: 'boolean', short: 'h' }, wait: { type: 'string' }, port: { type: 'string' }, baud: { type: 'string' } },
    });
  } catch (err) {
    io.err(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.version) {
    io.out(`${AGENT_VERSION}\n`);
    return 0;
  }
  // `agent --config agent.yaml` alone runs the service (what `npm run agent -- --config ...` does).
  const cmd = positionals[0] ?? (values.help ? 'help' : values.config ? 'run' : undefined);
  if (!cmd || cmd === 'help') {
    io.out(USAGE);
    return cmd ? 0 : 2;
  }
  if (cmd === 'ports') {
    const ports = listSerialPorts();
    io.out(ports.length ? `${ports.map((p) => `${p.path}${p.target ? ` -> ${p.target}` : ''}  (${p.kind})`).join('\n')}\n` : 'no serial ports found (plug in the modem or enable the UART)\n');
    return 0;
  }
  if (!['run', 'send', 'doctor'].includes(cmd)) {
    io.err(`unknown command "${cmd}"\n\n${USAGE}`);
    return 2;
  }
  let config: AgentConfig;
  try {
    config = loadAgentConfig(values.config ?? io.env.GSMJOBS_AGENT_CONFIG, cliEnv(cmd, values, io.env));
  } catch (err) {
    io.err(`${err instanceof ConfigError ? err.message : String(err)}\n`);
    return 78;
  }
  const log = createLogger('agent', { level: config.log_level, secrets: secretsOf(config) });
  if (cmd === 'doctor') {
    const checks = await runDoctor(config, await defaultBinding(), log);
    io.out(`${formatChecks(checks)}\n`);
    return checks.every((c) => c.ok) ? 0 : 1;
  }
  if (cmd === 'send') return send(config, values.to, values.text, Number(values.wait ?? 0), io, log);
  const agent = new Agent(config, { log, defaultMetrics: true });
  try {
    await agent.start();
  } catch (err) {
    io.err(`agent failed to start: ${(err as Error).message}\n`);
    await agent.stop().catch(() => undefined);
    return 1;
  }
  const signal = await io.stopSignal();
  log.info('stopping', { signal });
  await agent.stop();
  return 0;
}

/**
 * `--port` / `--baud` override the config's modem section, so that a technician can run
 * `agent doctor --port /dev/ttyUSB2` (or `send`) before any config exists: without a config
 * file and with --port, doctor and send use placeholder site ids (they never touch MQTT).
 */
function cliEnv(cmd: string, values: { port?: string | undefined; baud?: string | undefined; config?: string | undefined }, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env };
  if (values.port) out.GSMJOBS_AGENT_MODEM__PORT = values.port;
  if (values.baud) out.GSMJOBS_AGENT_MODEM__BAUD_RATE = values.baud;
  if (cmd !== 'run' && values.port && !values.config && !env.GSMJOBS_AGENT_CONFIG) {
    out.GSMJOBS_AGENT_PLATFORM_ID ??= 'local';
    out.GSMJOBS_AGENT_SITE_ID ??= 'doctor';
  }
  return out;
}

async function send(config: AgentConfig, to: string | undefined, text: string | undefined, waitS: number, io: CliIo, log: ReturnType<typeof createLogger>): Promise<number> {
  if (!to || !text) {
    io.err('send needs --to <number> and --text <text>\n');
    return 2;
  }
  let parts;
  try {
    parts = encodeSubmit({ to, text, statusReport: waitS > 0, maxParts: config.send.max_parts }).parts;
  } catch (err) {
    io.err(`${(err as Error).message}\n`);
    return 2;
  }
  let reported: (v: string) => void = () => undefined;
  const report = new Promise<string>((r) => (reported = r));
  const stack = createModemStack({ config, log, binding: await defaultBinding(), onStatusReport: (r) => reported(`status report for TP-MR ${r.messageRef}: ${r.outcome} (TP-ST 0x${r.status.toString(16)})`) });
  stack.driver.start();
  try {
    const deadline = Date.now() + config.modem.registration_timeout_s * 1000 + 30_000;
    while (!stack.driver.isUp) {
      if (Date.now() > deadline) {
        io.err(`modem not ready: ${stack.driver.status.error ?? stack.driver.status.state}\n`);
        return 1;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    const refs = await stack.driver.sendParts(parts, { beforePart: async () => undefined, afterPart: async () => undefined }, 0);
    io.out(`sent ${parts.length} part(s) to ${to}, TP-MR ${refs.join(', ')}\n`);
    if (waitS > 0) io.out(`${await Promise.race([report, new Promise<string>((r) => setTimeout(() => r('no status report yet'), waitS * 1000))])}\n`);
    return 0;
  } catch (err) {
    io.err(`not sent: ${(err as Error).message}\n`);
    return 1;
  } finally {
    await stack.driver.stop();
  }
}
