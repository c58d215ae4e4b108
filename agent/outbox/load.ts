// Reading a journal back: streamed line by line (a large journal never sits in memory as one
// string), each line parsed and checked. A line that is not JSON or fails the check is skipped
// and described (line number, execution id if it names one, why); a last line without its
// newline is a write cut short (power cut, full disk) and is marked `torn`.
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';

export type RecordCheck<R> = { ok: true; value: R } | { ok: false; reason: string; id?: string };

export interface SkippedRecord {
  /** 1-based line number in the file. */
  line: number;
  reason: string;
  /** Execution id the damaged record names, when it can be read. */
  id?: string;
  /** The last line, without its newline: a write cut short, not damage. */
  torn: boolean;
}

export interface LoadResult<R> {
  records: R[];
  skipped: SkippedRecord[];
  bytes: number;
  endsWithNewline: boolean;
  /** Bytes of a torn, unreadable last line (to cut off), else 0. */
  tornBytes: number;
  exists: boolean;
}

/** A guess at the execution id in a line that is not JSON. */
function idInText(line: string): string | undefined {
  return /"(?:execution_id|id)"\s*:\s*"([A-Za-z0-9_-]{1,64})"/.exec(line)?.[1];
}

export async function readJournal<R>(path: string, check?: (raw: unknown, line: string) => RecordCheck<R>): Promise<LoadResult<R>> {
  const records: R[] = [];
  const skipped: SkippedRecord[] = [];
  let bytes: number;
  let endsWithNewline = true;
  let lastLine = 0;
  let lastText = '';
  try {
    const input = createReadStream(path);
    const lines = createInterface({ input, crlfDelay: Infinity });
    let n = 0;
    for await (const line of lines) {
      n++;
      if (!line) continue;
      lastLine = n;
      lastText = line;
      let raw: unknown;
      try {
        raw = JSON.parse(line);
      } catch (err) {
        const id = idInText(line);
        skipped.push({ line: n, reason: `not JSON (${(err as Error).message})`, torn: false, ...(id ? { id } : {}) });
        continue;
      }
      if (!check) {
        records.push(raw as R);
        continue;
      }
      const r = check(raw, line);
      if (r.ok) records.push(r.value);
      else skipped.push({ line: n, reason: r.reason, torn: false, ...(r.id ? { id: r.id } : {}) });
    }
    bytes = input.bytesRead;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    return { records, skipped, bytes: 0, endsWithNewline: true, tornBytes: 0, exists: false };
  }
  if (bytes > 0) {
    const fh = await open(path, 'r');
    try {
      const last = Buffer.alloc(1);
      await fh.read(last, 0, 1, bytes - 1);
      endsWithNewline = last[0] === 0x0a;
    } finally {
      await fh.close();
    }
  }
  // The last line without newline was being written when the writer stopped.
  const tail = skipped.at(-1);
  let tornBytes = 0;
  if (!endsWithNewline && tail && tail.line === lastLine) {
    tail.torn = true;
    tornBytes = Buffer.byteLength(lastText);
  }
  return { records, skipped, bytes, endsWithNewline, tornBytes, exists: true };
}
