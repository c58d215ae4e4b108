// A program of the system as a child process started through its real CLI
// (`node --import tsx <program>/main.ts ...`, what `npm run <program>` does without the tsx
// wrapper process, so that SIGKILL reaches the program itself). Built on test/support/process:
// keeps the output for failure messages, optionally forwards it line by line, and keeps stdin
// open for control lines (modem simulator).
import { fileURLToPath } from 'node:url';
import { type Proc, startProcess, waitFor } from '../../support/process.js';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface Child extends Proc {
  readonly name: string;
  readonly pid: number;
}

export interface ChildOptions {
  env?: NodeJS.ProcessEnv;
  /** Called with each complete output line (demo: stream, tests: debugging). */
  onLine?: (line: string) => void;
  /** Run the program's production bundle (dist/<program>/index.mjs, built by the vitest global set-up) instead of its sources through tsx. */
  bundle?: boolean;
}

/** Start `node --import tsx <script> ...args` from the repository root. */
export function startProgram(name: string, script: string, args: string[], options: ChildOptions = {}): Child {
  const entry = options.bundle ? [`dist/${script.split('/')[0]}/index.mjs`] : ['--import', 'tsx', script];
  const proc = startProcess(process.execPath, [...entry, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...options.env },
    name,
    stdin: true,
    stopGraceMs: 8000,
    waitTimeoutMs: 30_000,
    ...(options.onLine ? { onLine: options.onLine } : {}),
  });
  return Object.defineProperties(proc, {
    name: { value: name, enumerable: true },
    pid: { value: proc.child.pid ?? -1, enumerable: true },
  }) as Child;
}

/** Poll until check returns a truthy value. */
export function until<T>(check: () => Promise<T | undefined | false | null> | T | undefined | false | null, timeoutMs: number, what: string, intervalMs = 100): Promise<T> {
  return waitFor(check, timeoutMs, what, intervalMs);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
