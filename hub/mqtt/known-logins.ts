// The broker's list of (address, username) pairs that logged in (issue 18), kept in a file of
// the hub's data dir (mode 0600) so that a hub restarted in the middle of a login flood still
// serves its agents first: without it every agent's address would be new after the restart and
// dropped with the flood until the budget let it through. Written only when the list changes
// (a new pair), at most once per `delayMs`, through a temp file and a rename, one write at a
// time; read once at start. An unreadable file is set aside (logged) and the list starts empty:
// the agents are then known again at their next login. Nothing secret: addresses and usernames.
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from '../common/log.js';
import type { KnownLogin } from './login-guard.js';

const VERSION = 1;

export class KnownLoginsFile {
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> | null = null;
  private again = false;

  constructor(
    private readonly file: string,
    private readonly list: () => KnownLogin[],
    private readonly log: Logger,
    private readonly delayMs = 1_000,
  ) {}

  /** The pairs saved by an earlier run (empty when there is no file, or it cannot be read). */
  load(): KnownLogin[] {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.log.warn('known mqtt logins not read', { file: this.file, err });
      return [];
    }
    try {
      const doc = JSON.parse(text) as { version?: unknown; logins?: unknown };
      if (doc.version !== VERSION || !Array.isArray(doc.logins)) throw new Error(`not a version ${VERSION} list`);
      return (doc.logins as Array<Partial<KnownLogin> | null>).filter(
        (k): k is KnownLogin => typeof k?.address === 'string' && typeof k.username === 'string' && typeof k.at === 'number' && Number.isFinite(k.at),
      );
    } catch (err) {
      this.log.warn('known mqtt logins unreadable, starting empty', { file: this.file, error: (err as Error).message });
      return [];
    }
  }

  /** The list changed: write it within `delayMs` (one timer for a burst of logins). */
  changed(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.write().catch((err: unknown) => this.log.error('known mqtt logins not saved', { file: this.file, err }));
    }, this.delayMs);
    this.timer.unref();
  }

  /** Write now if a change is pending (at stop). */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
      await this.write();
    }
    await this.writing;
  }

  private async write(): Promise<void> {
    if (this.writing) {
      this.again = true;
      return this.writing;
    }
    this.writing = (async () => {
      do {
        this.again = false;
        const tmp = `${this.file}.${process.pid}.tmp`;
        await mkdir(dirname(this.file), { recursive: true });
        await writeFile(tmp, `${JSON.stringify({ version: VERSION, logins: this.list() })}\n`, { mode: 0o600 });
        await rename(tmp, this.file);
      } while (this.again);
    })().finally(() => {
      this.writing = null;
    });
    return this.writing;
  }
}
