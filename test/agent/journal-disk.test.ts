// The journal against a disk that refuses (issue 15): short writes are continued, a write or
// flush failing with ENOSPC / EIO fails the whole group and cuts the file back to the last whole
// record (or starts the next record on a new line when it cannot), `writable` goes false until a
// write or the probe succeeds. Deterministic faults come from an injected file layer over the
// real file system; journal-tmpfs.test.ts does the same on a real full tmpfs.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Journal, JournalWriteError } from '../../agent/outbox/journal.js';
import { type JournalFile, type JournalFs, nodeJournalFs } from '../../agent/outbox/journal-fs.js';

const dirs: string[] = [];
const journals: Journal<unknown>[] = [];
afterEach(async () => {
  for (const j of journals.splice(0)) await j.close().catch(() => undefined);
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'gsmjobs-journal-'));
  dirs.push(d);
  return d;
}

/** Faults for the next writes, flushes and truncates of the journal file (not its probe file). */
interface Faults {
  /** Largest write the disk takes at once (short writes). */
  maxWrite?: number;
  /** Bytes the disk still has room for; then ENOSPC (after writing what fits). */
  room?: number;
  /** The next datasync fails with EIO. */
  eioOnSync?: boolean;
  truncateFails?: boolean;
  /** The probe file cannot be written either. */
  probeFails?: boolean;
}

function errno(code: string, msg: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${msg}`), { code });
}

function faultyFs(f: Faults): JournalFs {
  const wrap = (fh: JournalFile, probe: boolean): JournalFile => ({
    async write(buf, off, len) {
      if (probe && f.probeFails) throw errno('ENOSPC', 'no space left on device');
      if (probe) return fh.write(buf, off, len);
      let n = Math.min(len, f.maxWrite ?? len);
      if (f.room !== undefined) {
        if (f.room <= 0) throw errno('ENOSPC', 'no space left on device');
        n = Math.min(n, f.room);
        f.room -= n;
      }
      return fh.write(buf, off, n);
    },
    read: (b, o, l, p) => fh.read(b, o, l, p),
    async datasync() {
      if (!probe && f.eioOnSync) {
        f.eioOnSync = false;
        throw errno('EIO', 'i/o error');
      }
      return fh.datasync();
    },
    sync: () => fh.sync(),
    async truncate(len) {
      if (f.truncateFails) throw errno('EIO', 'i/o error');
      return fh.truncate(len);
    },
    stat: () => fh.stat(),
    close: () => fh.close(),
  });
  return { ...nodeJournalFs, open: async (path, flags) => wrap(await nodeJournalFs.open(path, flags), path.endsWith('.probe')) };
}

async function openJournal(path: string, f: Faults) {
  const j = new Journal<{ n: number; pad?: string }>(path, { fs: faultyFs(f) });
  journals.push(j as Journal<unknown>);
  const records = await j.open();
  let writableAgain = 0;
  j.onWritable = () => writableAgain++;
  return { j, records, again: () => writableAgain };
}

async function reload(path: string) {
  const j = new Journal<{ n: number }>(path);
  journals.push(j as Journal<unknown>);
  const records = await j.open();
  return { j, records };
}

describe('Journal on a disk that refuses', () => {
  it('continues short writes until the whole group is on disk', async () => {
    const path = join(tmp(), 'j.jsonl');
    const { j } = await openJournal(path, { maxWrite: 7 });
    await Promise.all([j.append([{ n: 1, pad: 'x'.repeat(50) }]), j.append([{ n: 2 }, { n: 3 }])]);
    expect(j.shortWrites).toBeGreaterThan(5);
    expect(j.writable).toBe(true);
    expect(j.size).toBe(statSync(path).size);
    expect((await reload(path)).records.map((r) => r.n)).toEqual([1, 2, 3]);
  });

  it('ENOSPC mid-record: the append fails, the fragment is cut off, later records are whole', async () => {
    const path = join(tmp(), 'j.jsonl');
    const f: Faults = {};
    const { j, again } = await openJournal(path, f);
    await j.append([{ n: 1 }]);
    const before = statSync(path).size;
    f.room = 5; // part of the next record fits, then the disk is full
    const err = await j.append([{ n: 2, pad: 'y'.repeat(100) }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JournalWriteError);
    expect((err as JournalWriteError).code).toBe('ENOSPC');
    expect(statSync(path).size).toBe(before);
    expect(j.writable).toBe(false);
    expect(j.health()).toMatchObject({ writable: false, writeErrors: 1, error: expect.stringMatching(/^ENOSPC/) as unknown });
    // Still full: the next one fails too, nothing glued on.
    await expect(j.append([{ n: 3 }])).rejects.toThrow(/ENOSPC/);
    // Space comes back.
    f.room = undefined;
    await j.append([{ n: 4 }]);
    expect(j.writable).toBe(true);
    expect(again()).toBe(1);
    expect(readFileSync(path, 'utf8')).toBe('{"n":1}\n{"n":4}\n');
    const r = await reload(path);
    expect(r.records.map((x) => x.n)).toEqual([1, 4]);
    expect(r.j.skipped).toBe(0);
  });

  it('EIO on the flush fails every waiter of the group and removes the group', async () => {
    const path = join(tmp(), 'j.jsonl');
    const f: Faults = {};
    const { j } = await openJournal(path, f);
    await j.append([{ n: 1 }]);
    f.eioOnSync = true;
    const results = await Promise.allSettled([j.append([{ n: 2 }]), j.append([{ n: 3 }])]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(readFileSync(path, 'utf8')).toBe('{"n":1}\n');
    await j.append([{ n: 5 }]);
    expect((await reload(path)).records.map((x) => x.n)).toEqual([1, 5]);
  });

  it('when even the truncate fails, the next record starts on a new line', async () => {
    const path = join(tmp(), 'j.jsonl');
    const f: Faults = {};
    const { j } = await openJournal(path, f);
    await j.append([{ n: 1 }]);
    f.room = 4;
    f.truncateFails = true;
    await expect(j.append([{ n: 2, pad: 'z'.repeat(40) }])).rejects.toThrow(/ENOSPC/);
    f.room = undefined;
    await j.append([{ n: 3 }]);
    expect(readFileSync(path, 'utf8')).toBe('{"n":1}\n{"n"\n{"n":3}\n');
    expect(j.size).toBe(statSync(path).size);
    const r = await reload(path);
    expect(r.records.map((x) => x.n)).toEqual([1, 3]);
    // The fragment is named as damage (line 2), not silently dropped.
    expect(r.j.skippedRecords).toMatchObject([{ line: 2, torn: false }]);
  });

  it('probe() tells when space has come back, without touching the journal', async () => {
    const path = join(tmp(), 'j.jsonl');
    const f: Faults = {};
    const { j, again } = await openJournal(path, f);
    await j.append([{ n: 1 }]);
    f.room = 0;
    f.probeFails = true;
    await expect(j.append([{ n: 2 }])).rejects.toThrow(/ENOSPC/);
    expect(await j.probe()).toBe(false);
    expect(j.writable).toBe(false);
    f.probeFails = false;
    f.room = undefined;
    expect(await j.probe()).toBe(true);
    expect(j.writable).toBe(true);
    expect(again()).toBe(1);
    expect(readFileSync(path, 'utf8')).toBe('{"n":1}\n');
    expect(() => statSync(`${path}.probe`)).toThrow(/ENOENT/);
  });
});
