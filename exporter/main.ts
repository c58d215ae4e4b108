// `npm run exporter [-- --config exporter.yaml]`: load config, start, stop on SIGINT/SIGTERM,
// reload accounts and intervals on SIGHUP. `--help`, `--version` and `config check FILE` never
// start anything. Exit codes: 0 clean stop or check passed, 1 stop failed, 2 config or usage error.
import { buildInfo } from '#common/build-info.js';
import { parseCli } from '#common/cli-args.js';
import { ConfigError } from '#common/config.js';
import { createExporter } from './app.js';
import { loadExporterConfig, maskedConfig, resolveTokens } from './config.js';

const HELP = `gsmjobs exporter: AddReality and CubicMedia devices as Prometheus metrics
Экспортер устройств AddReality и CubicMedia для Prometheus

usage: exporter [--config FILE]        run (or GSMJOBS_EXPORTER_CONFIG=FILE)
       exporter config check FILE      validate FILE, print the effective config (secrets masked)
       exporter --help | --version

SIGHUP reloads accounts and intervals from the same file; a bad file is logged and ignored.
Exit codes: 0 stopped cleanly / check passed, 1 stop failed, 2 configuration or usage error.
Environment: LOG_LEVEL (debug|info|warn|error), LOG_FORMAT=pretty, GSMJOBS_EXPORTER_* overrides.
`;

const cli = parseCli(process.argv.slice(2), { strings: ['config'] });
if (cli.kind === 'help') {
  process.stdout.write(HELP);
  process.exit(0);
}
if (cli.kind === 'version') {
  const b = buildInfo();
  process.stdout.write(`gsmjobs-exporter ${b.version} (revision ${b.revision}, node ${b.node_version})\n`);
  process.exit(0);
}
if (cli.kind === 'usage_error') {
  console.error(`exporter: ${cli.message}\n\n${HELP}`);
  process.exit(2);
}
const { values, positionals } = cli;

if (positionals[0] === 'config') {
  const file = positionals[2];
  if (positionals[1] !== 'check' || !file || positionals.length > 3) {
    console.error(`exporter: usage: exporter config check FILE`);
    process.exit(2);
  }
  try {
    const config = loadExporterConfig(file);
    resolveTokens(config);
    process.stdout.write(`${JSON.stringify(maskedConfig(config), null, 2)}\n`);
    console.error(`exporter: ${file}: configuration valid / конфигурация верна`);
    process.exit(0);
  } catch (err) {
    console.error(err instanceof ConfigError ? `exporter: ${err.message}` : `exporter: ${(err as Error).message}`);
    process.exit(2);
  }
}
if (positionals.length > 0) {
  console.error(`exporter: unknown command "${positionals.join(' ')}"\n\n${HELP}`);
  process.exit(2);
}

const file = (values.config as string | undefined) ?? process.env.GSMJOBS_EXPORTER_CONFIG;
try {
  const config = loadExporterConfig(file);
  const exporter = createExporter(config, { tokens: resolveTokens(config) });
  await exporter.start();
  const stop = (signal: string) => {
    console.error(`exporter: ${signal}, stopping`);
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    exporter.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(`exporter: stop failed: ${(err as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGHUP', () => {
    let next;
    try {
      next = loadExporterConfig(file);
      exporter.reload(next, resolveTokens(next));
    } catch (err) {
      exporter.reloadFailed(err instanceof Error ? err.message : String(err));
    }
  });
} catch (err) {
  console.error(err instanceof ConfigError ? `exporter: ${err.message}` : `exporter: cannot start: ${(err as Error).stack ?? String(err)}`);
  process.exit(2);
}
