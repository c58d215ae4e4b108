// Coalescing writes of the persistent cache: at most one write in flight; changes made during
// a write cause exactly one more write afterwards. flush() waits for the last one.
import type { Logger } from '#common/log.js';
import { type CacheContents, saveCache } from './cache-file.js';

export class CacheWriter {
  private writing: Promise<void> | undefined;
  private dirty = false;

  constructor(
    private readonly file: string,
    private readonly contents: () => CacheContents,
    private readonly log: Logger,
    private readonly onWrite: (ok: boolean) => void = () => {},
  ) {}

  schedule(): void {
    this.dirty = true;
    this.writing ??= this.loop().finally(() => {
      this.writing = undefined;
    });
  }

  async flush(): Promise<void> {
    while (this.writing) await this.writing;
  }

  private async loop(): Promise<void> {
    while (this.dirty) {
      this.dirty = false;
      try {
        await saveCache(this.file, this.contents());
        this.onWrite(true);
      } catch (err) {
        this.onWrite(false);
        this.log.error('cannot write the cache file', { file: this.file, error: err });
      }
    }
  }
}
