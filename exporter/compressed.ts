// Device series kept compressed: each account's families are rendered in slices of devices,
// and each slice is compressed at once into its own gzip member, so the ~50 MiB identity body
// at 100,000 devices never sits in memory; only its ~4 MiB gzip form does. Concatenated gzip
// members are one valid gzip body (RFC 1952 2.2), which Prometheus reads. An identity scrape
// inflates member after member while it streams.
import { gunzipSync, gzipSync } from 'node:zlib';
import { AccountRenderer, type AccountDevices, HEADERS, families } from './core/render.js';

/** One account's device series: per family, its gzip members and their uncompressed size. */
export interface CompressedAccount {
  gz: Buffer[][];
  plain: number[];
}

export const EMPTY_ACCOUNT: CompressedAccount = { gz: families.map(() => []), plain: families.map(() => 0) };

/** HELP/TYPE of each family, as gzip members. */
export const HEADERS_GZ = HEADERS.map((h) => gzipSync(h, { level: 1 }));

/**
 * Render one account's devices into gzip members, `slice` devices per member, giving the event
 * loop a turn (`pause`) between slices so that scrapes are answered meanwhile. Level 1: at
 * 100,000 devices the compression costs about as much as the rendering.
 */
export async function renderAccountGz(a: AccountDevices, pause: () => Promise<void>, slice = 1000): Promise<CompressedAccount> {
  const out: CompressedAccount = { gz: families.map(() => []), plain: families.map(() => 0) };
  const r = new AccountRenderer(a.platformId, a.account, a.keyLabel);
  const flush = () =>
    r.take().forEach((b, f) => {
      if (b.length === 0) return;
      out.gz[f]!.push(gzipSync(b, { level: 1 }));
      out.plain[f]! += b.length;
    });
  let n = 0;
  for (const d of a.devices) {
    r.add(d);
    if (++n % slice === 0) {
      flush();
      await pause();
    }
  }
  flush();
  return out;
}

/**
 * Inflate gzip members one after another (each holds one slice: about 100 KiB of text), each
 * into one buffer of its size (the member's ISIZE trailer): zlib's default 16 KiB output chunks
 * joined afterwards cost twice the time of the inflation itself.
 */
export function* inflate(members: readonly Buffer[]): Generator<Buffer> {
  for (const m of members) yield gunzipSync(m, { chunkSize: Math.max(1024, m.readUInt32LE(m.length - 4) + 64) });
}
