// Entry point of the modem simulator (`npm run modem-sim -- ...`).
import { runSimCli } from './cli.js';

const stop = new Promise<string>((resolve) => {
  process.once('SIGTERM', () => resolve('SIGTERM'));
  process.once('SIGINT', () => resolve('SIGINT'));
});
runSimCli(process.argv.slice(2), stop).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${String((err as Error)?.stack ?? err)}\n`);
    process.exit(1);
  },
);
