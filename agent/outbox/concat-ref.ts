// The concatenation reference of multipart SMS (TS 23.040 9.2.3.24.1): phones merge parts from
// one sender by this 8-bit number, so two messages in a row must not share it. One counter in
// <data_dir>/concat-ref.json is shared by the service and `agent send` (never at the same time:
// see send/lock.ts), so three one-shot sends get three references. Blocks of references are
// reserved with one fsynced write (write, fsync, rename), like a database sequence cache: a
// crash skips the rest of a block, never hands out a reference twice in a row.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeDataFile } from '../fs-owner.js';

export class ConcatRefCounter {
  readonly file: string;
  private next = 0;
  private limit = 0;

  constructor(
    dataDir: string,
    private readonly block = 16,
  ) {
    this.file = join(dataDir, 'concat-ref.json');
  }

  /** The next reference (0-255); reserves a new block on disk when the current one is used up. */
  take(): number {
    if (this.next >= this.limit) {
      this.next = this.stored();
      this.limit = this.next + this.block;
      this.persist(this.limit);
    }
    const ref = this.next & 0xff;
    this.next++;
    return ref;
  }

  private stored(): number {
    try {
      const v = (JSON.parse(readFileSync(this.file, 'utf8')) as { next?: unknown }).next;
      return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v % 65536 : 0;
    } catch {
      return 0;
    }
  }

  private persist(next: number): void {
    writeDataFile(this.file, `${JSON.stringify({ next: next % 65536 })}\n`);
  }
}

/** `take` of a counter in `dataDir`, for Outbox's `takeRef`. */
export function refCounter(dataDir: string): () => number {
  const c = new ConcatRefCounter(dataDir);
  return () => c.take();
}
