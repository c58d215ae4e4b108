// Command line: `run` (the service), `send` (one SMS through the same engine), `doctor`,
// `ports`, `config check FILE`, `--help` (also per command) and `--version`. Help and version
// never need a config and never touch a modem. Returns an exit code (see cli-help.ts EXIT_CODES);
// never calls process.exit itself.
import { parseArgs } from 'node:util';
import { buildInfo } from '#common/build-info.js';
import { ConfigError } from '#common/config.js';
import { type Logger, createLogger, silentLogger } from '#common/log.js';
import { Agent } from './app.js';
import { COMMAND_HELP, USAGE } from './cli-help.js';
import { type AgentConfig, loadAgentConfig, maskedConfig, secretsOf } from './config.js';
import { formatChecks, runDoctor } from './doctor.js';
import { LevelSwitch, switchableLogger } from './log-switch.js';
import { defaultBinding } from './modem/stack.js';
import { reloadConfig } from './reload.js';
import { sendOnce } from './send/one-shot.js';
import { listSerialPorts } from './serial/list.js';
import { AGENT_VERSION } from './version.js';

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** Resolves when the process is asked to stop (SIGTERM/SIGINT). */
  stopSignal(): Promise<string>;
  /** Calls `handler` on each SIGHUP (run only). */
  onHangup?(handler: () => void): void;
  env: NodeJS.ProcessEnv;
}

const COMMANDS = ['run', 'send', 'doctor', 'ports', 'config'];
const OPTIONS = {
  config: { type: 'string', short: 'c' },
  to: { type: 'string' },
  text: { type: 'string' },
  wait: { type: 'string' },
  port: { type: 'string' },
  baud: { type: 'string' },
  verbose: { type: 'boolean' },
  version: { type: 'boolean', short: 'V' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  // Help and version win over everything else on the line, even over a bad option.
  if (argv.some((a) => a === '--help' || a === '-h') || argv[0] === 'help') {
    const cmd = argv.find((a) => COMMANDS.includes(a));
    io.out(cmd ? (COMMAND_HELP[cmd] as string) : USAGE);
    return 0;
  }
  if (argv.some((a) => a === '--version' || a === '-V' || a === '-v')) {
    const b = buildInfo();
    io.out(`${AGENT_VERSION} (revision ${b.revision}, node ${b.node_version})\n`);
    return 0;
  }
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
  } catch (err) {
    io.err(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  // `agent --config agent.yaml` alone runs the service (what `npm run agent -- --config ...` does).
  const cmd = positionals[0] ?? (values.config ? 'run' : undefined);
  if (!cmd) {
    io.out(USAGE);
    return 2;
  }
  if (!COMMANDS.includes(cmd)) {
    io.err(`unknown command "${cmd}"\n\n${USAGE}`);
    return 2;
  }
  if (cmd === 'ports') {
    const ports = listSerialPorts();
    io.out(ports.length ? `${ports.map((p) => `${p.path}${p.target ? ` -> ${p.target}` : ''}  (${p.kind})`).join('\n')}\n` : 'no serial ports found (plug in the modem or enable the UART) / последовательные порты не найдены\n');
    return 0;
  }
  if (cmd === 'config') return configCheck(positionals, io);
  const file = values.config ?? io.env.GSMJOBS_AGENT_CONFIG;
  const env = cliEnv(cmd, values, io.env);
  let config: AgentConfig;
  try {
    config = loadAgentConfig(file, env);
  } catch (err) {
    io.err(`${err instanceof ConfigError ? err.message : String(err)}\n`);
    return 78;
  }
  if (cmd === 'run') return run(config, () => loadAgentConfig(file, env), io);
  // send and doctor talk to a person: their log (JSON lines) goes to stderr only with --verbose.
  const log = values.verbose ? createLogger('agent', { level: 'debug', secrets: secretsOf(config) }) : silentLogger;
  if (cmd === 'doctor') {
    const checks = await runDoctor(config, await defaultBinding(), log, { portFromFlag: Boolean(values.port) });
    io.out(`${formatChecks(checks)}\n`);
    return checks.every((c) => c.ok) ? 0 : 1;
  }
  if (!values.to || !values.text) {
    io.err(`send needs --to <number> and --text <text> / нужны --to <номер> и --text <текст>\n\n${COMMAND_HELP.send}`);
    return 2;
  }
  const waitS = Number(values.wait ?? 0);
  if (!Number.isFinite(waitS) || waitS < 0) {
    io.err(`--wait must be a number of seconds / --wait: число секунд\n`);
    return 2;
  }
  return sendOnce({ to: values.to, text: values.text, waitS }, { config, binding: await defaultBinding(), log, out: io.out, portFromFlag: Boolean(values.port) });
}

function configCheck(positionals: string[], io: CliIo): number {
  const file = positionals[2];
  if (positionals[1] !== 'check' || !file || positionals.length > 3) {
    io.err(`usage: agent config check FILE\n`);
    return 2;
  }
  try {
    const config = loadAgentConfig(file, io.env);
    io.out(`${JSON.stringify(maskedConfig(config), null, 2)}\n`);
    io.err(`${file}: configuration valid / конфигурация верна\n`);
    return 0;
  } catch (err) {
    io.err(`${err instanceof ConfigError ? err.message : String(err)}\n`);
    return 78;
  }
}

async function run(config: AgentConfig, load: () => AgentConfig, io: CliIo): Promise<number> {
  const level = new LevelSwitch(config.log_level);
  const log: Logger = switchableLogger('agent', level, { secrets: secretsOf(config) });
  const agent = new Agent(config, { log, defaultMetrics: true });
  let current = config;
  io.onHangup?.(() => {
    current = reloadConfig({ current, load, level, log, metrics: agent.reloadMetrics, now: () => Date.now() });
  });
  try {
    await agent.start();
  } catch (err) {
    io.err(`agent failed to start / агент не запустился: ${(err as Error).message}\n`);
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
