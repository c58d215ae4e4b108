// `hub [run] [--config FILE]`: load the config, start the hub, stop on SIGINT/SIGTERM, reload the
// log level on SIGHUP. Exit 0 clean stop, 1 start or stop failed, 2 invalid configuration or
// invalid stored data.
import { join } from 'node:path';
import { parseCli } from './common/cli-args.js';
import { ConfigError } from './common/config.js';
import { createLogger } from './common/log.js';
import type { HubCommand } from './cli.js';
import { applyReload } from './cli-reload.js';
import { effectiveLogLevel, hubSecrets, loadHubConfig } from './config.js';
import { StoreLoadError } from './store/schemas.js';
import type { Hub } from './hub.js';

export const runCommand: HubCommand = {
  name: 'run',
  help: [['run [--config FILE]', 'run the hub (API, web form, poller, MQTT) / запустить хаб']],
  async run(args, io) {
    const cli = parseCli(args, { strings: ['config'] });
    if (cli.kind !== 'run' || cli.positionals.length > 0) {
      io.err(`hub: usage: hub [run] [--config FILE]${cli.kind === 'usage_error' ? ` (${cli.message})` : ''}\n`);
      return 2;
    }
    const file = (cli.values.config as string | undefined) ?? io.env.GSMJOBS_HUB_CONFIG;
    const bootLog = createLogger('hub');
    // Imported here so --help, --version and config check do not load the whole hub.
    const [{ Hub }, { mountWeb }] = await Promise.all([import('./hub.js'), import('./web/index.js')]);
    let hub: Hub;
    try {
      const config = loadHubConfig(file, io.env);
      const log = createLogger('hub', { secrets: hubSecrets(config), level: effectiveLogLevel(config, io.env) });
      // The web form (hub/web/) is served under /ui by the same process, on the same API; its
      // sessions (hashes only) are kept in the data dir so a restart does not sign everyone out.
      hub = new Hub(config, { log, extend: (app, deps) => mountWeb(app, deps, { log: log.child('web'), sessionFile: join(config.data_dir, 'web-sessions.json') }) });
    } catch (err) {
      bootLog.error(err instanceof ConfigError ? err.message : `cannot start: ${(err as Error).message}`);
      return 2;
    }

    let config = hub.config;
    io.onReload(() => {
      config = applyReload(config, () => loadHubConfig(file, io.env), { log: hub.log, metrics: hub.reloadMetrics, now: () => Date.now() }, io.env);
    });
    const controller = new AbortController();
    const stopping = io.stopSignal().then((signal) => {
      hub.log.info('stopping', { signal });
      controller.abort(new Error(signal));
      return signal;
    });
    try {
      await hub.start(controller.signal);
      io.out(`gsmjobs hub listening on http://${hub.config.http.host}:${hub.httpPort}${hub.broker ? ` mqtt ${hub.broker.url}` : ''}\n`);
    } catch (err) {
      // An invalid stored document (hub/store/schemas.ts names the file, record and field; the
      // file is not touched) is a configuration-class error: exit 2.
      const stored = err instanceof StoreLoadError;
      hub.log.error(stored ? 'cannot start: invalid stored data' : 'start failed', { error: (err as Error).message });
      await hub.stop().catch(() => undefined);
      return stored ? 2 : 1;
    }
    await stopping;
    try {
      await hub.stop();
      return 0;
    } catch (err) {
      hub.log.error('stop failed', { error: (err as Error).message });
      return 1;
    }
  },
};
