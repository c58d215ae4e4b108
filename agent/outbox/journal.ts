// An fsynced append-only journal: one JSON record per line. Appends made while a write is in
// flight are grouped into the next write + fdatasync (group commit), so many records cost one
// disk flush. Compaction writes the live records to a temporary file, fsyncs it, renames it over
// the journal and fsyncs the directory, so a crash at any point leaves the old or the new one.
//
// The disk may refuse (issue 15): a short write is continued; a write or flush that fails
// (ENOSPC, EIO) fails the whole group, and the file is truncated back to the end of the last
// whole record (if even that fails, the next record starts on a new line), so no record is
// glued onto a fragment. Until a write succeeds again the journal is `writable: false`;
// probe() tells when space has come back. Loading checks every line (see load.ts): a damaged
// record is skipped and named, and a journal holding one is copied aside before anything
// rewrites it.
import { dirname } from 'node:path';
import { type JournalFile, type JournalFs, nodeJournalFs } from './journal-fs.js';
import { type LoadResult, type RecordCheck, type SkippedRecord, readJournal } from './load.js';

export type { SkippedRecord } from './load.js';

export interface JournalOptions {
  /** fdatasync after each group of writes (off only for benchmarks of the difference). */
  fsync?: boolean;
  fs?: JournalFs;
  /** For the name of the copy of a damaged journal. */
  now?: () => number;
}

export interface JournalHealth {
  writable: boolean;
  /** Why the last write failed (while not writable). */
  error?: string;
  writeErrors: number;
  shortWrites: number;
  skipped: number;
  /** Copy of the journal as it was when it held damaged records. */
  corruptCopy?: string;
}

/** An append or flush the disk refused; the records were not written. */
export class JournalWriteError extends Error {
  constructor(
    readonly path: string,
    override readonly cause: Error,
  ) {
    super(`journal ${path}: write failed (${cause.message}); the records were not stored`);
    this.name = 'JournalWriteError';
  }

  get code(): string | undefined {
    return (this.cause as NodeJS.ErrnoException).code;
  }
}

interface Waiter {
  resolve(): void;
  reject(e: Error): void;
}

/** Bytes written by probe(): roughly the largest group of records a job produces. */
const PROBE_BYTES = 16 * 1024;

export class Journal<R> {
  private fh: JournalFile | undefined;
  private batch: string[] = [];
  private waiters: Waiter[] = [];
  private flushing: Promise<void> | undefined;
  /** Set while compacting: writes wait for the new file. */
  private gate: Promise<void> | undefined;
  private bytes = 0;
  /** A failed write left a fragment that could not be cut off: start the next record on a new line. */
  private torn = false;
  private readonly fs: JournalFs;
  private lastError: string | undefined;
  private skippedList: SkippedRecord[] = [];
  private corruptCopy: string | undefined;
  writable = true;
  writeErrors = 0;
  shortWrites = 0;
  /** Lines skipped on load (torn or damaged). */
  skipped = 0;
  writes = 0;
  /** Called when a write succeeds again after failures. */
  onWritable: () => void = () => undefined;

  constructor(
    readonly path: string,
    private readonly options: JournalOptions = {},
  ) {
    this.fs = options.fs ?? nodeJournalFs;
  }

  get size(): number {
    return this.bytes;
  }

  get skippedRecords(): readonly SkippedRecord[] {
    return this.skippedList;
  }

  health(): JournalHealth {
    return {
      writable: this.writable,
      ...(this.lastError && !this.writable ? { error: this.lastError } : {}),
      writeErrors: this.writeErrors,
      shortWrites: this.shortWrites,
      skipped: this.skipped,
      ...(this.corruptCopy ? { corruptCopy: this.corruptCopy } : {}),
    };
  }

  /** Read every valid record and open for appending. `check` validates each parsed line. */
  async open(check?: (raw: unknown, line: string) => RecordCheck<R>): Promise<R[]> {
    await this.fs.mkdir(dirname(this.path));
    const res: LoadResult<R> = await readJournal(this.path, check);
    this.bytes = res.bytes;
    this.skipped = res.skipped.length;
    this.skippedList = res.skipped.slice(0, 100);
    // Damaged records (not just a torn last line): keep the file as it is for a person to read.
    if (res.skipped.some((s) => !s.torn)) {
      const copy = `${this.path}.corrupt-${new Date((this.options.now ?? Date.now)()).toISOString().replace(/[:.]/g, '-')}`;
      await this.fs.copyFile(this.path, copy);
      this.corruptCopy = copy;
    }
    const created = !res.exists;
    this.fh = await this.fs.open(this.path, 'a');
    this.torn = false;
    if (res.tornBytes > 0) {
      // An unreadable torn last line was never acknowledged (its write did not finish): cut it off.
      try {
        await this.fh.truncate(res.bytes - res.tornBytes);
        this.bytes = res.bytes - res.tornBytes;
      } catch {
        this.torn = true;
      }
    } else if (res.bytes > 0 && !res.endsWithNewline) {
      // A whole record that lost only its newline: start the next record on a fresh line.
      this.torn = true;
    }
    // A new file's directory entry must be on disk too, or a power cut could lose the whole file.
    if (created && this.options.fsync !== false) await this.syncDir();
    return res.records;
  }

  private async syncDir(): Promise<void> {
    const dir = await this.fs.open(dirname(this.path), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }

  /** Append records; resolves when they are on disk (after fdatasync), rejects with JournalWriteError. */
  append(records: R[]): Promise<void> {
    for (const r of records) this.batch.push(`${JSON.stringify(r)}\n`);
    const p = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    if (!this.flushing) this.flushing = this.flush();
    return p;
  }

  private async flush(): Promise<void> {
    // Let appends made in the same tick join this write.
    await new Promise<void>((r) => setImmediate(r));
    while (this.batch.length) {
      if (this.gate) await this.gate.catch(() => undefined);
      const data = this.batch.join('');
      const waiters = this.waiters;
      this.batch = [];
      this.waiters = [];
      try {
        await this.writeGroup(data);
        for (const w of waiters) w.resolve();
      } catch (err) {
        const e = err instanceof JournalWriteError ? err : new JournalWriteError(this.path, err as Error);
        for (const w of waiters) w.reject(e);
      }
    }
    this.flushing = undefined;
  }

  private async writeGroup(data: string): Promise<void> {
    const fh = this.fh;
    if (!fh) throw new JournalWriteError(this.path, new Error('the journal is not open'));
    const buf = Buffer.from(this.torn ? `\n${data}` : data);
    try {
      let off = 0;
      while (off < buf.length) {
        const { bytesWritten } = await fh.write(buf, off, buf.length - off);
        if (bytesWritten <= 0) throw Object.assign(new Error('the disk accepted 0 bytes'), { code: 'EIO' });
        if (bytesWritten < buf.length - off) this.shortWrites++;
        off += bytesWritten;
      }
      if (this.options.fsync !== false) await fh.datasync();
    } catch (err) {
      await this.cutBack(fh);
      this.failed(err as Error);
      throw new JournalWriteError(this.path, err as Error);
    }
    if (this.torn) {
      this.torn = false;
      this.bytes = (await fh.stat().catch(() => ({ size: this.bytes + buf.length }))).size;
    } else {
      this.bytes += buf.length;
    }
    this.writes++;
    if (!this.writable) {
      this.writable = true;
      this.onWritable();
    }
  }

  /** Remove what a failed group left behind: truncate to the last whole record. */
  private async cutBack(fh: JournalFile): Promise<void> {
    if (this.torn) return; // already unsure where the last record ends; the newline prefix stays
    try {
      await fh.truncate(this.bytes);
    } catch {
      this.torn = true;
    }
  }

  private failed(err: Error): void {
    this.writeErrors++;
    this.writable = false;
    this.lastError = `${(err as NodeJS.ErrnoException).code ?? 'error'}: ${err.message}`;
  }

  /**
   * While not writable: can the disk take a group of records again? Writes, flushes and removes
   * a small probe file; a success makes the journal writable (appends also do so by succeeding).
   */
  async probe(): Promise<boolean> {
    if (this.writable) return true;
    const path = `${this.path}.probe`;
    try {
      const fh = await this.fs.open(path, 'w');
      try {
        const buf = Buffer.alloc(PROBE_BYTES, 0x20);
        let off = 0;
        while (off < buf.length) {
          const { bytesWritten } = await fh.write(buf, off, buf.length - off);
          if (bytesWritten <= 0) throw new Error('the disk accepted 0 bytes');
          off += bytesWritten;
        }
        await fh.datasync();
      } finally {
        await fh.close();
      }
    } catch (err) {
      this.lastError = `${(err as NodeJS.ErrnoException).code ?? 'error'}: ${(err as Error).message}`;
      return false;
    } finally {
      await this.fs.unlink(path).catch(() => undefined);
    }
    this.writable = true;
    this.onWritable();
    return true;
  }

  /** Replace the journal with these records (atomic rename, fsynced). */
  async compact(records: R[]): Promise<void> {
    await this.flushing;
    let open_: () => void = () => undefined;
    this.gate = new Promise<void>((r) => (open_ = r));
    try {
      await this.rewrite(records);
    } finally {
      this.gate = undefined;
      open_();
    }
  }

  private async rewrite(records: R[]): Promise<void> {
    const tmp = `${this.path}.tmp`;
    const buf = Buffer.from(records.map((r) => `${JSON.stringify(r)}\n`).join(''));
    try {
      const fh = await this.fs.open(tmp, 'w');
      try {
        let off = 0;
        while (off < buf.length) {
          const { bytesWritten } = await fh.write(buf, off, buf.length - off);
          if (bytesWritten <= 0) throw new Error('the disk accepted 0 bytes');
          off += bytesWritten;
        }
        await fh.sync();
      } finally {
        await fh.close();
      }
      await this.fs.rename(tmp, this.path);
    } catch (err) {
      // The old journal stays as it was and stays open.
      await this.fs.unlink(tmp).catch(() => undefined);
      throw new JournalWriteError(tmp, err as Error);
    }
    await this.syncDir();
    const old = this.fh;
    this.fh = await this.fs.open(this.path, 'a');
    await old?.close().catch(() => undefined);
    this.bytes = buf.length;
    this.torn = false;
  }

  async close(): Promise<void> {
    await this.flushing;
    await this.fh?.close();
    this.fh = undefined;
  }
}
