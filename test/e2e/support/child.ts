// A program of the system as a child process started through its real CLI
// (`node --import tsx <program>/main.ts ...`, what `npm run <program>` does without the tsx
// wrapper process, so that SIGKILL reaches the program itself). Keeps the output for failure
// messages, optionally forwards it, and keeps stdin open for control lines (modem simulator).
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface Child {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  output(): string;
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** A control line on stdin. */
  send(line: string): void;
  /** SIGTERM (or the given signal), SIGKILL after graceMs; resolves with the exit code or signal. */
  stop(graceMs?: number, signal?: NodeJS.Signals): Promise<number | string | null>;
  kill(signal?: NodeJS.Signals): void;
  readonly exited: Promise<number | string | null>;
  readonly done: boolean;
}

export interface ChildOptions {
  env?: NodeJS.ProcessEnv;
  /** Called with each complete output line (demo: stream, tests: debugging). */
  onLine?: (line: string) => void;
}

/** Start `node --import tsx <script> ...args` from the repository root. */
export function startProgram(name: string, script: string, args: string[], options: ChildOptions = {}): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
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
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  child.stdin.on('error', () => undefined);
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
  const self: Child = {
    name,
    child,
    pid: child.pid ?? -1,
    exited,
    get done() {
      return done;
    },
    output: () => out,
    waitForOutput(pattern, timeoutMs = 30_000) {
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
    send(line) {
      if (!done) child.stdin.write(`${line}\n`);
    },
    async stop(graceMs = 8000, signal = 'SIGTERM') {
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
  };
  return self;
}

/** Poll until check returns a truthy value. */
export async function until<T>(check: () => Promise<T | undefined | false | null> | T | undefined | false | null, timeoutMs: number, what: string, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
