// Password checks of strangers at the lowest CPU priority (issue 18): one worker thread, niced
// to 19 (on Linux the nice value is per thread, so only this thread is), runs scrypt for
// logins from an (address, username) that never logged in before, one at a time. During a
// login flood those are the failed hashes the budget lets through; at nice 19 they take only
// CPU that the event loop and the machine's other work do not want, so they no longer compete
// with /healthz and the poller (on libuv's pool they ran at the hub's own priority). Agents
// that logged in before keep libuv's pool (normal priority): a flood cannot slow them.
// The worker is plain JavaScript given as source (`eval`), so the bundle needs no extra file.
import { Worker } from 'node:worker_threads';

const SOURCE = `
const { parentPort } = require('node:worker_threads');
const { scryptSync, timingSafeEqual } = require('node:crypto');
try { require('node:os').setPriority(19); } catch {}
parentPort.on('message', ({ id, password, salt, hash, N }) => {
  let ok = false;
  try {
    const expected = Buffer.from(hash, 'base64');
    if (expected.length > 0) ok = timingSafeEqual(scryptSync(password, Buffer.from(salt, 'base64'), expected.length, { N }), expected);
  } catch {}
  parentPort.postMessage({ id, ok });
});
`;

/** scrypt's cost parameter, as hub/mqtt/passwords.ts hashes. */
const N = 16384;

export class LowPriorityHasher {
  private worker: Worker | null = null;
  private next = 0;
  private readonly waiting = new Map<number, (ok: boolean) => void>();

  start(): void {
    const worker = new Worker(SOURCE, { eval: true, name: 'mqtt-login-hash' });
    worker.on('message', (m: { id: number; ok: boolean }) => {
      const done = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      done?.(m.ok === true);
    });
    worker.on('error', () => this.fail());
    worker.on('exit', () => {
      if (this.worker === worker) this.worker = null;
      this.fail();
    });
    worker.unref();
    this.worker = worker;
  }

  /** Does `password` match the stored `scrypt$salt$hash`? A malformed hash, or no worker, is no match. */
  verify(password: string, stored: string): Promise<boolean> {
    const [kind, salt, hash] = stored.split('$');
    const worker = this.worker;
    if (kind !== 'scrypt' || !salt || !hash || !worker) return Promise.resolve(false);
    const id = this.next++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      worker.postMessage({ id, password, salt, hash, N });
    });
  }

  get running(): boolean {
    return this.worker !== null;
  }

  async stop(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    if (worker) await worker.terminate();
    this.fail();
  }

  /** Checks in flight when the worker went away: no match (the CONNECT is refused, the agent retries). */
  private fail(): void {
    for (const done of this.waiting.values()) done(false);
    this.waiting.clear();
  }
}
