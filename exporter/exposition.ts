// The /metrics body: the exporter's health metrics (small, rendered per scrape by prom-client)
// followed by the device series, which each refresh renders once into gzip members per account
// and family (compressed.ts). A gzip scrape (what Prometheus asks for) sends those members as
// they are; an identity scrape inflates them while streaming. A scrape never waits for the API
// nor re-renders 100,000 devices, and the uncompressed body is never held in memory.
import { gzipSync } from 'node:zlib';
import type { Registry } from 'prom-client';
import { type CompressedAccount, HEADERS_GZ, inflate } from './compressed.js';
import { HEADERS, families } from './core/render.js';

export interface Scrape {
  /** Buffers to send in order, produced while sending (the identity form is inflated on the way). */
  body: AsyncIterable<Buffer>;
  length: number;
  contentType: string;
  encoding?: 'gzip';
}

/**
 * The identity body: member after member inflated while the socket takes the previous ones
 * (each member is one slice of about 100 KiB of text, inflated into one buffer of its exact
 * size; the HTTP writer waits for 'drain', so only a few slices are held at a time).
 */
async function* identity(health: Buffer, accounts: readonly CompressedAccount[]): AsyncGenerator<Buffer> {
  yield health;
  for (let f = 0; f < families.length; f++) {
    yield HEADERS[f]!;
    for (const a of accounts) yield* inflate(a.gz[f]!);
  }
}

async function* gzipped(health: Buffer, accounts: readonly CompressedAccount[]): AsyncGenerator<Buffer> {
  yield health;
  for (let f = 0; f < families.length; f++) {
    yield HEADERS_GZ[f]!;
    for (const a of accounts) yield* a.gz[f]!;
  }
}

export class Exposition {
  constructor(
    private readonly registry: Registry,
    /** Per account, its compressed device series (runner.ts keeps them current). */
    private readonly accounts: () => readonly CompressedAccount[],
    /** Below this size (uncompressed) a scrape is not compressed. */
    private readonly gzipFrom = 64 * 1024,
  ) {}

  /** The device series changed. Nothing to rebuild: scrapes read the accounts' members. */
  invalidate(): void {}

  /** Uncompressed size of the device series, headers included. */
  deviceBytes(accounts: readonly CompressedAccount[] = this.accounts()): number {
    let n = HEADERS.reduce((s, h) => s + h.length, 0);
    for (const a of accounts) for (const p of a.plain) n += p;
    return n;
  }

  /** One scrape's body; the accounts' members are taken now, so a refresh meanwhile does not tear it. */
  async scrape(acceptGzip: boolean): Promise<Scrape> {
    const accounts = [...this.accounts()];
    const health = Buffer.from(await this.registry.metrics(), 'utf8');
    const contentType = this.registry.contentType;
    const plain = this.deviceBytes(accounts);
    if (!acceptGzip || plain < this.gzipFrom) return { body: identity(health, accounts), length: health.length + plain, contentType };
    const h = gzipSync(health, { level: 1 });
    let length = h.length;
    for (const g of HEADERS_GZ) length += g.length;
    for (const a of accounts) for (const members of a.gz) for (const m of members) length += m.length;
    return { body: gzipped(h, accounts), length, contentType, encoding: 'gzip' };
  }

  /** The whole identity body as text (tests, benchmarks). */
  async text(): Promise<string> {
    const s = await this.scrape(false);
    const parts: Buffer[] = [];
    for await (const b of s.body) parts.push(b);
    return Buffer.concat(parts).toString('utf8');
  }
}
