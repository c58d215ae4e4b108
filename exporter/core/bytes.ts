// A growable byte buffer for rendering large expositions without building huge strings
// (flattening a 50 MiB rope string costs more than writing the pieces directly).

export class ByteWriter {
  private buf: Buffer;
  private off = 0;

  constructor(initialBytes = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(Math.max(1024, initialBytes));
  }

  private ensure(n: number): void {
    if (this.off + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.off + n));
    this.buf.copy(next, 0, 0, this.off);
    this.buf = next;
  }

  /** Append a string as UTF-8. */
  text(s: string): void {
    this.ensure(s.length * 3);
    this.off += this.buf.write(s, this.off, 'utf8');
  }

  /** Append bytes. */
  bytes(b: Buffer): void {
    this.ensure(b.length);
    b.copy(this.buf, this.off);
    this.off += b.length;
  }

  /** Append what another writer holds (no allocation). */
  append(other: ByteWriter): void {
    this.ensure(other.off);
    other.buf.copy(this.buf, this.off, 0, other.off);
    this.off += other.off;
  }

  /** Start again, keeping the memory (scratch use). */
  reset(): void {
    this.off = 0;
  }

  /** The bytes written, without a copy: valid until the next write or reset(). */
  view(): Buffer {
    return this.buf.subarray(0, this.off);
  }

  /** The bytes written, copied into an exactly sized Buffer (the spare room is released). */
  done(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.off));
  }
}
