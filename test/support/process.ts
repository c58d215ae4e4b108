// Child processes for integration tests: start, wait until ready, stop, keep the output for
// failure messages; optionally stream it line by line and keep stdin open for control lines.
import { type ChildProcess, spawn } from 'node:child_process';

export interface Proc {
  readonly child: ChildProcess;
  /** stdout and stderr so far. */
  output(): string;
  /** Resolve when the output matches, reject after timeoutMs or when the process exits. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** The signal (SIGTERM by default), then SIGKILL after graceMs; resolves with the exit code or signal. */
  stop(graceMs?: number, signal?: NodeJS.Signals): Promise<number | string | null>;
  kill(signal?: NodeJS.Signals): void;
  /** A control line on stdin (only with `stdin: true`). */
  send(line: string): void;
  readonly exited: Promise<number | string | null>;
  /** True once the process has exited. */
  readonly done: boolean;
}

export interface ProcOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  name?: string;
  /** Keep stdin open as a pipe for `send()`. */
  stdin?: boolean;
  /** Called with each complete output line. */
  onLine?: (line: string) => void;
  /** Default grace period of stop(). */
  stopGraceMs?: number;
  /** Default timeout of waitForOutput(). */
  waitTimeoutMs?: number;
}

export function startProcess(cmd: string, args: string[], options: ProcOptions = {}): Proc {
  const name = options.name ?? cmd;
  const child = spawn(cmd, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
  let out = '';
  let partial = '';
  let done = false;
  const listeners = new Set<() => void>();
  const onData = (d: Buffer) => {
    const s = d.toString('utf8');
    out += s;
    if (out.length > 2_000_000) out = out.slice(-1_000_000);
    if (options.onLine) {
      partial += s;
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) options.onLine(l);
    }
    for (const l of listeners) l();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  child.stdin?.on('error', () => undefined);
  const exited = new Promise<number | string | null>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal));
    child.once('error', (err) => {
      out += `\n[spawn error] ${err.message}`;
      resolve(null);
    });
  });
  void exited.then(() => {
    done = true;
    for (const l of listeners) l();
  });

  return {
    child,
    exited,
    get done() {
      return done;
    },
    output: () => out,
    waitForOutput(pattern, timeoutMs = options.waitTimeoutMs ?? 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = out.match(pattern);
          if (m) {
            cleanup();
            resolve(m);
          } else if (done) {
            cleanup();
            reject(new Error(`${name} exited before printing ${pattern}:\n${out.slice(-4000)}`));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`${name} did not print ${pattern} within ${timeoutMs} ms:\n${out.slice(-4000)}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
    async stop(graceMs = options.stopGraceMs ?? 5000, signal = 'SIGTERM') {
      if (done) return exited;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
    kill(signal = 'SIGKILL') {
      if (!done) child.kill(signal);
    },
    send(line) {
      if (!done && child.stdin) child.stdin.write(`${line}\n`);
    },
  };
}

/** Poll an async check until it returns a truthy value or the timeout passes. */
export async function waitFor<T>(
  check: () => Promise<T | undefined | false | null> | T | undefined | false | null,
  timeoutMs = 10_000,
  what = 'condition',
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
