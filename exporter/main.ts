// `npm run exporter [-- --config exporter.yaml]`: load config, start, stop on SIGINT/SIGTERM.
import { ConfigError } from '../hub/common/config.js';
import { createExporter } from './app.js';
import { loadExporterConfig, resolveTokens } from './config.js';

const args = process.argv.slice(2);
const i = args.indexOf('--config');
const file = i >= 0 ? args[i + 1] : process.env.GSMJOBS_EXPORTER_CONFIG;
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
} catch (err) {
  console.error(err instanceof ConfigError ? `exporter: ${err.message}` : `exporter: cannot start: ${(err as Error).stack ?? String(err)}`);
  process.exit(2);
}
