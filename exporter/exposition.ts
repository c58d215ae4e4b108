// The /metrics body: the exporter's health metrics (small, rendered per scrape by prom-client)
// followed by the device series, which are rendered once per refresh into Buffers per account
// and family (runner.ts) and sent without copying. The gzip form is made once per change, in
// the background, so a scrape never waits for the API nor re-renders 100,000 devices.
import { createGzip } from 'node:zlib';
import type { Registry } from 'prom-client';
import { joinChunks } from './core/render.js';

export interface Scrape {
  /** Buffers to send in order (not concatenated: at 100,000 devices they hold ~50 MiB). */
  parts: Buffer[];
  length: number;
  contentType: string;
  encoding?: 'gzip';
}

/** Gzip a list of buffers as one member. */
function gzipParts(parts: readonly Buffer[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const z = createGzip({ level: 1 });
    const out: Buffer[] = [];
    z.on('data', (b: Buffer) => out.push(b));
    z.on('end', () => resolve(Buffer.concat(out)));
    z.on('error', reject);
    for (const p of parts) z.write(p);
    z.end();
  });
}

export class Exposition {
  private devices: Buffer[] | undefined;
  private devicesGz: Promise<Buffer> | undefined;

  constructor(
    private readonly registry: Registry,
    /** Per account, one Buffer per device family (core/render.ts order). */
    private readonly chunks: () => readonly (readonly Buffer[])[],
    /** Below this size a scrape is not compressed. */
    private readonly gzipFrom = 64 * 1024,
  ) {}

  /** The device series changed: rebuild, and compress in the background for the next scrape. */
  invalidate(): void {
    this.devices = undefined;
    this.devicesGz = undefined;
    if (this.deviceBytes() >= this.gzipFrom) void this.deviceGzip().catch(() => undefined);
  }

  /** The device series as buffers in exposition order. */
  deviceParts(): Buffer[] {
    this.devices ??= joinChunks(this.chunks());
    return this.devices;
  }

  deviceBytes(): number {
    return this.deviceParts().reduce((n, b) => n + b.length, 0);
  }

  private deviceGzip(): Promise<Buffer> {
    if (!this.devicesGz) {
      const p = gzipParts(this.deviceParts());
      this.devicesGz = p;
      p.catch(() => {
        if (this.devicesGz === p) this.devicesGz = undefined;
      });
    }
    return this.devicesGz;
  }

  /** Render for one scrape; the gzip body is two concatenated gzip members (RFC 1952 2.2). */
  async scrape(acceptGzip: boolean): Promise<Scrape> {
    const health = Buffer.from(await this.registry.metrics(), 'utf8');
    const contentType = this.registry.contentType;
    const devices = this.deviceParts();
    if (!acceptGzip || this.deviceBytes() < this.gzipFrom) {
      const parts = [health, ...devices];
      return { parts, length: parts.reduce((n, b) => n + b.length, 0), contentType };
    }
    const [h, d] = await Promise.all([gzipParts([health]), this.deviceGzip()]);
    return { parts: [h, d], length: h.length + d.length, contentType, encoding: 'gzip' };
  }

  /** The whole identity body as text (tests, benchmarks). */
  async text(): Promise<string> {
    const s = await this.scrape(false);
    return Buffer.concat(s.parts).toString('utf8');
  }
}
