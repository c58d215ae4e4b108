// One JSON document on disk through lowdb (steno: write to a temp file, then rename, so a crash
// never leaves a torn file), with a schema version, migrations and coalesced writes: any number
// of save() calls while a write is in flight become one more write of the latest data.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Low } from 'lowdb';
import { PrivateJsonFile } from './private-file.js';

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
  ) {
    this.low = new Low<T>(new PrivateJsonFile<T>(file), empty()); // mode 0600 (issue 18)
  }

  get data(): T {
    return this.low.data;
  }

  async load(): Promise<void> {
    mkdirSync(dirname(this.file), { recursive: true });
    await this.low.read();
    const raw = this.low.data as unknown as Record<string, unknown> | null;
    if (!raw) {
      this.low.data = this.empty();
      return;
    }
    const before = raw.version;
    this.low.data = { ...this.empty(), ...migrate(raw, this.migrations, this.file) } as T;
    if (before !== this.low.data.version) await this.save();
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
