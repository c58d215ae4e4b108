// One JSON document on disk through lowdb (steno: write to a temp file, then rename, so a crash
// never leaves a torn file), with a schema version, migrations and coalesced writes: any number
// of save() calls while a write is in flight become one more write of the latest data.
import { mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Low } from 'lowdb';
import type { z } from 'zod';
import { PrivateJsonFile } from './private-file.js';
import { checkDocument, StoreLoadError } from './schemas.js';

export interface Versioned {
  version: number;
}

/** Migration from version n (index n-1) to n+1. */
export type Migration = (data: Record<string, unknown>) => Record<string, unknown>;

/** Bring a document to the current version (= migrations.length + 1). Pure; throws on a newer file. */
export function migrate(raw: Record<string, unknown>, migrations: readonly Migration[], name: string): Record<string, unknown> {
  const current = migrations.length + 1;
  let data = raw;
  let version = typeof data.version === 'number' ? data.version : 1;
  if (version > current) throw new Error(`${name}: data version ${version} is newer than this hub understands (${current})`);
  while (version < current) {
    const m = migrations[version - 1] as Migration;
    data = { ...m(data), version: version + 1 };
    version++;
  }
  return { ...data, version };
}

export class JsonDocument<T extends Versioned> {
  private readonly low: Low<T>;
  private writing: Promise<void> | null = null;
  private pending: Promise<void> | null = null;
  writes = 0;
  writeMs = 0;

  constructor(
    readonly file: string,
    private readonly empty: () => T,
    private readonly migrations: readonly Migration[] = [],
    /** The document's schema after migration: a file that fails it is refused (StoreLoadError). */
    private readonly schema: z.ZodType | null = null,
  ) {
    this.low = new Low<T>(new PrivateJsonFile<T>(file), empty()); // mode 0600 (issue 18)
  }

  get data(): T {
    return this.low.data;
  }

  /**
   * Read, migrate and check the file. A missing file starts empty; a file that is not JSON, not
   * a JSON object, newer than this hub or not valid for the schema throws StoreLoadError and is
   * left untouched (a hub that started empty would overwrite it at its first write).
   */
  async load(): Promise<void> {
    mkdirSync(dirname(this.file), { recursive: true });
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        this.low.data = this.empty();
        return;
      }
      throw new StoreLoadError(this.file, null, null, `cannot be read (${(err as Error).message})`);
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (err) {
      throw new StoreLoadError(this.file, null, null, `not valid JSON (${(err as Error).message})`);
    }
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      throw new StoreLoadError(this.file, null, null, `the root must be a JSON object, not ${raw === null ? 'null' : Array.isArray(raw) ? 'an array' : typeof raw}`);
    }
    const before = (raw as Record<string, unknown>).version;
    let migrated: Record<string, unknown>;
    try {
      migrated = migrate(raw as Record<string, unknown>, this.migrations, this.file);
    } catch (err) {
      throw new StoreLoadError(this.file, null, 'version', (err as Error).message.replace(`${this.file}: `, ''));
    }
    const data = { ...this.empty(), ...migrated } as T;
    if (this.schema) checkDocument(this.file, this.schema, data);
    this.low.data = data;
    if (before !== data.version) await this.save();
  }

  /** Persist the current data; concurrent calls share one following write. */
  save(): Promise<void> {
    if (this.pending) return this.pending;
    const run = async () => {
      await (this.writing ?? Promise.resolve()).catch(() => undefined);
      this.pending = null;
      const started = performance.now();
      const w = this.low.write();
      this.writing = w;
      try {
        await w;
        this.writes++;
        this.writeMs += performance.now() - started;
      } finally {
        if (this.writing === w) this.writing = null;
      }
    };
    this.pending = run();
    return this.pending;
  }

  /** Wait for any write in flight. */
  async flush(): Promise<void> {
    await (this.pending ?? this.writing ?? Promise.resolve()).catch(() => undefined);
  }
}
