// LowPriorityHasher (issue 18): strangers' password checks on one worker thread at nice 19 give
// the same answers as passwords.ts (right, wrong, unknown-username dummy, malformed hash), only
// that thread is niced, and after stop() nothing is left running.
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { LowPriorityHasher } from '../../hub/mqtt/hash-worker.js';
import { DUMMY_HASH, hashPassword } from '../../hub/mqtt/passwords.js';

/** Nice value of each thread of this process (Linux /proc). */
function threadNices(): number[] {
  return readdirSync('/proc/self/task').map((t) => {
    const stat = readFileSync(`/proc/self/task/${t}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  });
}

const hasher = new LowPriorityHasher();
afterAll(() => hasher.stop());

describe('LowPriorityHasher', () => {
  it('checks passwords like passwords.ts, on one thread at nice 19', async () => {
    expect(await hasher.verify('pw', hashPassword('pw'))).toBe(false); // not started: no match
    const before = threadNices().filter((n) => n === 19).length;
    hasher.start();
    const stored = hashPassword('right-password-123');
    expect(await hasher.verify('right-password-123', stored)).toBe(true);
    expect(await hasher.verify('wrong-password-123', stored)).toBe(false);
    expect(await hasher.verify('right-password-123', DUMMY_HASH)).toBe(false);
    expect(await hasher.verify('x', 'plain')).toBe(false);
    expect(await hasher.verify('x', 'scrypt$AAAA$')).toBe(false);
    const all = await Promise.all([1, 2, 3].map((i) => hasher.verify(`p${i}`, i === 2 ? hashPassword('p2') : stored)));
    expect(all).toEqual([false, true, false]);
    expect(threadNices().filter((n) => n === 19).length).toBe(before + 1);
    expect(process.getuid === undefined || threadNices()[0] === 0).toBe(true); // the main thread keeps its priority
    await hasher.stop();
    expect(hasher.running).toBe(false);
    expect(await hasher.verify('right-password-123', stored)).toBe(false);
  });
});
