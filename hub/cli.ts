// The hub's command line: a small dispatcher over subcommands, each in its own hub/cli-*.ts
// file. `--help` and `--version` anywhere on the line win and never start anything. Returns an
// exit code; never calls process.exit itself (hub/main.ts does).
//
// Exit codes: 0 stopped cleanly / command succeeded, 1 runtime failure (start or stop failed),
// 2 configuration or usage error.
//
// To add a subcommand: write hub/cli-<name>.ts exporting a HubCommand and list it in COMMANDS.
import { buildInfo } from './common/build-info.js';
import { configCommand } from './cli-config.js';
import { mqttCommand } from './cli-mqtt.js';
import { runCommand } from './cli-run.js';
import { storeCommand } from './cli-store.js';

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  env: NodeJS.ProcessEnv;
  /** Resolves when the process is asked to stop (SIGTERM/SIGINT), with the signal's name. */
  stopSignal(): Promise<string>;
  /** Calls `fn` on every reload request (SIGHUP). */
  onReload(fn: () => void): void;
}

export interface HubCommand {
  /** The first word on the command line, e.g. `config`. */
  name: string;
  /** Lines for --help: `[usage, what it does]`. */
  help: ReadonlyArray<readonly [string, string]>;
  run(args: string[], io: CliIo): Promise<number>;
}

export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/** Subcommands, in --help order. The first one runs when no command is given. */
export const COMMANDS: readonly HubCommand[] = [runCommand, configCommand, mqttCommand, storeCommand];

export function helpText(): string {
  const rows = COMMANDS.flatMap((c) => c.help);
  const width = Math.max(...rows.map(([u]) => u.length)) + 2;
  return `gsmjobs hub: Prometheus alerts to SMS commands through site GSM gateways
Хаб gsmjobs: условия Prometheus -> SMS-команды через GSM-шлюзы площадок

usage: hub [command] [options]          (no command: run)
${rows.map(([u, d]) => `  ${`hub ${u}`.padEnd(width + 4)}${d}`).join('\n')}
  hub --help | --version

Config: YAML/JSON file (--config FILE or GSMJOBS_HUB_CONFIG) plus environment overrides
GSMJOBS_HUB_<SECTION>__<KEY> (e.g. GSMJOBS_HUB_HTTP__PORT=8080), *_FILE for secrets.
Unknown keys are errors / неизвестные ключи - ошибка. LOG_LEVEL, LOG_FORMAT=pretty.
SIGHUP reloads the log level from the same file; a bad file is logged and ignored.

Exit codes / коды выхода:
  0  stopped cleanly, command succeeded / остановлен штатно, команда выполнена
  1  runtime failure: start or stop failed / ошибка при запуске или остановке
  2  configuration or usage error, or invalid stored data / ошибка конфигурации, аргументов
     или сохранённых данных
`;
}

export function versionText(): string {
  const b = buildInfo();
  return `gsmjobs-hub ${b.version} (revision ${b.revision}, node ${b.node_version})\n`;
}

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  if (argv.some((a) => a === '--help' || a === '-h' || a === 'help')) {
    io.out(helpText());
    return EXIT.ok;
  }
  if (argv.some((a) => a === '--version' || a === '-V')) {
    io.out(versionText());
    return EXIT.ok;
  }
  const first = argv[0];
  const command = first === undefined || first.startsWith('-') ? COMMANDS[0] : COMMANDS.find((c) => c.name === first);
  if (!command) {
    io.err(`hub: unknown command "${first}" / неизвестная команда\n\n${helpText()}`);
    return EXIT.usage;
  }
  return command.run(command.name === first ? argv.slice(1) : argv, io);
}
