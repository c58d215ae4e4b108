// An fsynced append-only journal: one JSON record per line. Appends made while a write is in
// flight are grouped into the next write + fdatasync (group commit), so many records cost one
// disk flush. A torn last line (power cut mid-write) is ignored on load. Compaction writes the
// live records to a temporary file, fsyncs it, renames it over the journal and fsyncs the
// directory, so a crash at any point leaves either the old or the new journal.
import { createReadStream } from 'node:fs';
import { type FileHandle, mkdir, open, rename } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { dirname } from 'node:path';

export interface JournalOptions {
  /** fdatasync after each group of writes (off only for benchmarks of the difference). */
  fsync?: boolean;
}

interface Waiter {
  resolve(): void;
  reject(e: Error): void;
}

export class Journal<R> {
  private fh: FileHandle | undefined;
  private batch: string[] = [];
  private waiters: Waiter[] = [];
  private flushing: Promise<void> | undefined;
  /** Set while compacting: writes wait for the new file. */
  private gate: Promise<void> | undefined;
  private bytes = 0;
  /** Lines that could not be parsed on load (torn or corrupt). */
  skipped = 0;
  writes = 0;

  constructor(
    readonly path: string,
    private readonly options: JournalOptions = {},
  ) {}

  get size(): number {
    return this.bytes;
  }

  /** Read every record and open for appending. */
  async open(): Promise<R[]> {
    await mkdir(dirname(this.path), { recursive: true });
    const out: R[] = [];
    let endsWithNewline = true;
    this.bytes = 0;
    try {
      // Streamed line by line, so a large journal never sits in memory as one string.
      const input = createReadStream(this.path);
      const lines = createInterface({ input, crlfDelay: Infinity });
      for await (const line of lines) {
        if (!line) continue;
        try {
          out.push(JSON.parse(line) as R);
        } catch {
          this.skipped++;
        }
      }
      this.bytes = input.bytesRead;
      if (this.bytes > 0) {
        const fh = await open(this.path, 'r');
        const last = Buffer.alloc(1);
        await fh.read(last, 0, 1, this.bytes - 1);
        await fh.close();
        endsWithNewline = last[0] === 0x0a;
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    // A torn tail without newline: start the next record on a fresh line.
    const created = this.bytes === 0;
    this.fh = await open(this.path, 'a');
    if (!endsWithNewline) await this.fh.write('\n');
    // A new file's directory entry must be on disk too, or a power cut could lose the whole file.
    if (created && this.options.fsync !== false) await this.syncDir();
    return out;
  }

  private async syncDir(): Promise<void> {
    const dir = await open(dirname(this.path), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }

  /** Append records; resolves when they are on disk (after fdatasync). */
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
        if (!this.fh) throw new Error(`journal ${this.path} is not open`);
        await this.fh.write(data);
        if (this.options.fsync !== false) await this.fh.datasync();
        this.bytes += Buffer.byteLength(data);
        this.writes++;
        for (const w of waiters) w.resolve();
      } catch (err) {
        for (const w of waiters) w.reject(err as Error);
      }
    }
    this.flushing = undefined;
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
    const data = records.map((r) => `${JSON.stringify(r)}\n`).join('');
    const fh = await open(tmp, 'w');
    try {
      await fh.write(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await this.fh?.close();
    await rename(tmp, this.path);
    await this.syncDir();
    this.fh = await open(this.path, 'a');
    this.bytes = Buffer.byteLength(data);
  }

  async close(): Promise<void> {
    await this.flushing;
    await this.fh?.close();
    this.fh = undefined;
  }
}
