// The lowdb adapter of the hub's documents: JSON in a file readable by its owner only (mode
// 0600, issue 18: definitions.json holds webhook secrets and Prometheus Authorization headers).
// Each write goes to a temp file created 0600 (and chmod-ed, should a stale one exist), then
// renamed over the document, so a crash never leaves a torn file, as steno did before.
// Writes are serialised by JsonDocument.save(); one temp name per document is enough.
import { open, readFile, rename } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Adapter } from 'lowdb';

export const PRIVATE_MODE = 0o600;

export class PrivateJsonFile<T> implements Adapter<T> {
  private readonly temp: string;

  constructor(private readonly file: string) {
    this.temp = join(dirname(file), `.${basename(file)}.tmp`);
  }

  async read(): Promise<T | null> {
    try {
      return JSON.parse(await readFile(this.file, 'utf8')) as T;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  async write(data: T): Promise<void> {
    const handle = await open(this.temp, 'w', PRIVATE_MODE);
    try {
      await handle.chmod(PRIVATE_MODE);
      await handle.writeFile(JSON.stringify(data), 'utf8');
      await handle.datasync(); // the rename must never expose an empty file after a power loss
    } finally {
      await handle.close();
    }
    await rename(this.temp, this.file);
  }
}
