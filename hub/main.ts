// gsmjobs hub entry point: load the config, start, stop on SIGINT/SIGTERM.
// Exit codes: 0 clean stop, 1 runtime failure, 2 invalid configuration or an invalid stored
// document (hub/store/schemas.ts: the file, record and field are named; the file is not touched).
import { join } from 'node:path';
import { ConfigError } from './common/config.js';
import { createLogger } from './common/log.js';
import { loadHubConfig } from './config.js';
import { Hub } from './hub.js';
import { mountWeb } from './web/index.js';
import { StoreLoadError } from './store/schemas.js';

// `hub mqtt ...` (external Mosquitto tooling, hub/cli-mqtt.ts): prints and exits, starts nothing.
if (process.argv[2] === 'mqtt') {
  const { mqttCommand } = await import('./cli-mqtt.js');
  const code = await mqttCommand.run(process.argv.slice(3), { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t), env: process.env });
  process.exit(code);
}

const log = createLogger('hub');
const fileArg = process.argv.indexOf('--config');
let hub: Hub;
try {
  const config = loadHubConfig(fileArg > 0 ? process.argv[fileArg + 1] : undefined);
  const hubLog = createLogger('hub', { secrets: config.admin_token ? [config.admin_token] : [] });
  // The web form (hub/web/) is served under /ui by the same process, on the same API; its
  // sessions (hashes only) are kept in the data dir so a restart does not sign everyone out.
  hub = new Hub(config, { log: hubLog, extend: (app, deps) => mountWeb(app, deps, { log: hubLog.child('web'), sessionFile: join(config.data_dir, 'web-sessions.json') }) });
} catch (err) {
  log.error(err instanceof ConfigError ? err.message : `cannot start: ${(err as Error).message}`);
  process.exit(2);
}

const controller = new AbortController();
let stopping = false;
const shutdown = (signal: string) => {
  if (stopping) return;
  stopping = true;
  log.info('stopping', { signal });
  controller.abort(new Error(signal));
  hub.stop().then(
    () => process.exit(0),
    (err: unknown) => {
      log.error('stop failed', { error: (err as Error).message });
      process.exit(1);
    },
  );
};
process.on('SIGINT', () => shutdown('SIGINT'));
process.on('SIGTERM', () => shutdown('SIGTERM'));

try {
  await hub.start(controller.signal);
  console.log(`gsmjobs hub listening on http://${hub.config.http.host}:${hub.httpPort}${hub.broker ? ` mqtt ${hub.broker.url}` : ''}`);
} catch (err) {
  log.error(err instanceof StoreLoadError ? 'cannot start: invalid stored data' : 'start failed', { error: (err as Error).message });
  await hub.stop().catch(() => undefined);
  process.exit(err instanceof StoreLoadError ? 2 : 1);
}
