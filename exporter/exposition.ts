// The /metrics body: the exporter's health metrics (small, rendered per scrape by prom-client)
// followed by the device series (large, rendered once per refresh and kept as a Buffer, with
// a gzip copy made once per generation). A scrape never waits for the API.
import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import type { Registry } from 'prom-client';
import { joinChunks } from './core/render.js';

const gzip = promisify(gzipCb);

export interface Scrape {
  body: Buffer;
  contentType: string;
  encoding?: 'gzip';
}

export class Exposition {
  private devices: Buffer | undefined;
  private devicesGz: Promise<Buffer> | undefined;

  constructor(
    private readonly registry: Registry,
    private readonly chunks: () => readonly string[][],
  ) {}

  /** The device series changed: render again on the next scrape. */
  invalidate(): void {
    this.devices = undefined;
    this.devicesGz = undefined;
  }

  deviceText(): Buffer {
    this.devices ??= Buffer.from(joinChunks(this.chunks()), 'utf8');
    return this.devices;
  }

  private deviceGzip(): Promise<Buffer> {
    if (!this.devicesGz) {
      const p = gzip(this.deviceText(), { level: 1 });
      this.devicesGz = p;
      p.catch(() => {
        if (this.devicesGz === p) this.devicesGz = undefined;
      });
    }
    return this.devicesGz;
  }

  /** Render for one scrape; gzip bodies are two concatenated gzip members (RFC 1952 2.2). */
  async scrape(acceptGzip: boolean): Promise<Scrape> {
    const health = await this.registry.metrics();
    const contentType = this.registry.contentType;
    const devices = this.deviceText();
    if (!acceptGzip || devices.length < 64 * 1024) return { body: Buffer.concat([Buffer.from(health, 'utf8'), devices]), contentType };
    const [h, d] = await Promise.all([gzip(health), this.deviceGzip()]);
    return { body: Buffer.concat([h, d]), contentType, encoding: 'gzip' };
  }
}
