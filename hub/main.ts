// gsmjobs hub entry point: wires the CLI (hub/cli.ts) to the process: signals and exit code.
// Exit codes: 0 clean stop or command succeeded, 1 runtime failure, 2 configuration or usage error.
import { runCli } from './cli.js';

const stopSignal = () =>
  new Promise<string>((resolve) => {
    const on = (signal: string) => {
      // A stop that hangs must not keep the service from being restarted.
      setTimeout(() => process.exit(1), 30_000).unref();
      resolve(signal);
    };
    process.once('SIGTERM', () => on('SIGTERM'));
    process.once('SIGINT', () => on('SIGINT'));
  });

// SIGHUP is handled from the first instant (its default action would end the process).
const reloaders: Array<() => void> = [];
process.on('SIGHUP', () => reloaders.forEach((fn) => fn()));

const code = await runCli(process.argv.slice(2), {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  env: process.env,
  stopSignal,
  onReload: (fn) => reloaders.push(fn),
});
process.exit(code);
