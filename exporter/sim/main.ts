// `npm run addreality-sim [-- --config sim.yaml] [--port N] [--devices N]`: the platform
// simulator as a process (tests, demo). Prints `sim listening on <url>` when ready.
import { ConfigError, loadConfig } from '#common/config.js';
import { listen } from '../http/listen.js';
import { createSim } from './app.js';
import { simConfigSchema } from './config.js';
import { SimState } from './state.js';

const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const env: NodeJS.ProcessEnv = { ...process.env };
for (const [name, key] of [['port', 'PORT'], ['devices', 'DEVICES'], ['host', 'HOST']] as const) {
  const v = flag(name);
  if (v !== undefined) env[`GSMJOBS_SIM_${key}`] = v;
}
try {
  const config = loadConfig(simConfigSchema, { file: flag('config'), envPrefix: 'GSMJOBS_SIM', env });
  const sim = createSim({ state: new SimState(config), config });
  const server = await listen(sim.app, config.host, config.port);
  console.log(`sim listening on ${server.url} (${config.devices} AddReality devices, ${config.cubic_players} CubicMedia players, ${config.tokens.length ? 'token check on' : 'no token check'})`);
  const stop = () => {
    sim.close();
    void server.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (err) {
  console.error(err instanceof ConfigError ? `sim: ${err.message}` : `sim: cannot start: ${(err as Error).stack ?? String(err)}`);
  process.exit(2);
}
