// `hub config check FILE`: validate FILE (unknown keys included, with "did you mean") and the
// GSMJOBS_HUB_* environment on top of it, print the effective config with secrets masked.
// Starts nothing. Exit 0 valid, 2 invalid or usage error.
import { parseCli } from './common/cli-args.js';
import { ConfigError } from './common/config.js';
import type { HubCommand } from './cli.js';
import { loadHubConfig, maskedHubConfig } from './config.js';

export const configCommand: HubCommand = {
  name: 'config',
  help: [['config check FILE', 'validate FILE, print the effective config (secrets masked) / проверить конфигурацию']],
  run(args, io) {
    const cli = parseCli(args);
    const file = cli.kind === 'run' ? cli.positionals[1] : undefined;
    if (cli.kind !== 'run' || cli.positionals[0] !== 'check' || !file || cli.positionals.length > 2) {
      io.err(`hub: usage: hub config check FILE${cli.kind === 'usage_error' ? ` (${cli.message})` : ''}\n`);
      return Promise.resolve(2);
    }
    try {
      const config = loadHubConfig(file, io.env);
      io.out(`${JSON.stringify(maskedHubConfig(config), null, 2)}\n`);
      io.err(`hub: ${file}: configuration valid / конфигурация верна\n`);
      return Promise.resolve(0);
    } catch (err) {
      io.err(`hub: ${err instanceof ConfigError ? err.message : (err as Error).message}\n`);
      return Promise.resolve(2);
    }
  },
};
