// Entry point: wires the CLI to the process (signals, exit code, last-resort error logging).
import { runCli } from './cli.js';

const stopSignal = () =>
  new Promise<string>((resolve) => {
    const on = (sig: string) => {
      // A stop that hangs must not keep the service from being restarted.
      setTimeout(() => process.exit(1), 30_000).unref();
      resolve(sig);
    };
    process.once('SIGTERM', () => on('SIGTERM'));
    process.once('SIGINT', () => on('SIGINT'));
  });

// Nothing may crash the service: log and carry on.
process.on('unhandledRejection', (err) => process.stderr.write(`${JSON.stringify({ level: 'error', ns: 'agent', msg: 'unhandled rejection', err: String((err as Error)?.stack ?? err) })}\n`));
process.on('uncaughtException', (err) => process.stderr.write(`${JSON.stringify({ level: 'error', ns: 'agent', msg: 'uncaught exception', err: String(err?.stack ?? err) })}\n`));

runCli(process.argv.slice(2), { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t), stopSignal, onHangup: (h) => process.on('SIGHUP', h), env: process.env }).then(
  (code) => {
    process.exitCode = code;
    if (process.argv[2] !== 'ports' && code !== undefined) setTimeout(() => process.exit(code), 3000).unref();
  },
  (err: unknown) => {
    process.stderr.write(`${String((err as Error)?.stack ?? err)}\n`);
    process.exitCode = 1;
    setTimeout(() => process.exit(1), 1000).unref();
  },
);
