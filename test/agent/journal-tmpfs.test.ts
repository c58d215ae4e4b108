// The journal on a real full file system (issue 15): a 2 MiB tmpfs mounted for the test (needs
// root, as on CI; skipped with a note otherwise, journal-disk.test.ts covers the same with an
// injected file layer). Appends run until the kernel says ENOSPC: every acknowledged record
// reloads, nothing is glued onto a fragment, the file ends on a whole record; when space is freed
// the probe says so and appends work again.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Journal, JournalWriteError } from '../../agent/outbox/journal.js';

let mnt = '';
let mounted = false;

beforeAll(() => {
  mnt = mkdtempSync(join(tmpdir(), 'gsmjobs-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mnt], { stdio: 'pipe' });
    mounted = true;
  } catch (err) {
    console.warn(`journal-tmpfs: cannot mount a tmpfs here (${(err as Error).message.split('\n')[0]}); skipped, see journal-disk.test.ts`);
  }
});

afterAll(() => {
  if (mounted) execFileSync('umount', [mnt]);
  rmSync(mnt, { recursive: true, force: true });
});

describe('Journal on a full tmpfs', () => {
  it('fails appends with ENOSPC without losing or tearing acknowledged records, and resumes', async (ctx) => {
    if (!mounted) ctx.skip();
    const filler = join(mnt, 'filler');
    // Leave about 64 KiB free.
    writeFileSync(filler, Buffer.alloc(2 * 1024 * 1024 - 64 * 1024));
    const path = join(mnt, 'outbox.jsonl');
    const j = new Journal<{ n: number; pad: string }>(path);
    await j.open();
    const acked: number[] = [];
    let failure: unknown;
    for (let n = 0; n < 10_000 && !failure; n++) {
      // Groups of two records of ~1.5 KiB, like a job and its update.
      await j.append([{ n, pad: 'x'.repeat(1500) }, { n: -(n + 1), pad: 'y'.repeat(100) }]).then(
        () => acked.push(n),
        (e: unknown) => (failure = e),
      );
    }
    expect(failure).toBeInstanceOf(JournalWriteError);
    expect((failure as JournalWriteError).code).toBe('ENOSPC');
    expect(j.writable).toBe(false);
    expect(acked.length).toBeGreaterThan(10);
    expect(await j.probe()).toBe(false);
    const text = readFileSync(path, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    expect(Buffer.byteLength(text)).toBe(j.size);
    // Space comes back.
    unlinkSync(filler);
    expect(await j.probe()).toBe(true);
    await j.append([{ n: 99_999, pad: '' }]);
    await j.close();
    const again = new Journal<{ n: number }>(path);
    const records = await again.open();
    await again.close();
    expect(again.skipped).toBe(0);
    expect(records.filter((r) => r.n >= 0).map((r) => r.n)).toEqual([...acked, 99_999]);
  });
});
