// Wizard drafts kept on the server (issue 17): each step is a GET URL of a draft, so Back and
// reload show what was typed, and a draft outlives its session. A draft belongs to whoever
// signed in (the token's hash and the platform), not to the session: signing in again after the
// session expired finds it. Kept 24 h after its last change, at most MAX_PER_OWNER per owner and
// MAX_TOTAL in all (the oldest go first). With a directory (the hub's data dir) drafts survive a
// restart: one file per draft (`<id>.json`, mode 0600, directory 0700), written atomically (temp
// file + rename) on every change of that draft only, so a post costs one small write whatever
// the number of drafts.
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FieldErrors } from './context.js';
import { type Draft, decodeDraft, encodeDraft } from './draft.js';

/** What the next GET of a step shows once (errors of the last post, refusal, focus, search). */
export interface DraftView {
  /** The step these belong to (other steps show nothing of it). */
  step?: number;
  errors?: FieldErrors;
  refusal?: string | null;
  focus?: string | null;
  q?: string;
  offset?: number;
}

/** A refused save: the job changed (current = the stored job) or was deleted (current = null). */
export interface DraftConflict {
  current: unknown;
  current_version: string | null;
}

export interface DraftRecord {
  id: string;
  owner: string;
  draft: Draft;
  /** Sent as Idempotency-Key when the draft is saved: a second post of it creates nothing. */
  key: string;
  /** The job's version (or updated_at) when the draft was opened; sent as If-Match. */
  opened_version: string | null;
  view: DraftView;
  conflict: DraftConflict | null;
  /** Set once saved: the job it became (a repeated save answers with it). */
  saved_job_id: string | null;
  /** SHA-256 of the API input that was saved: the same input posted again is a replay. */
  saved_digest: string | null;
  updated_at: number;
}

/** Where drafts live (a file here; another store could implement the same). */
export interface DraftStore {
  create(owner: string, draft: Draft, openedVersion?: string | null): DraftRecord;
  /** The owner's draft, or undefined (unknown, expired or someone else's). */
  get(id: string, owner: string): DraftRecord | undefined;
  put(record: DraftRecord): void;
  delete(id: string): void;
  readonly size: number;
}

export const DRAFT_TTL_MS = 24 * 3600_000;
export const MAX_PER_OWNER = 20;
export const MAX_TOTAL = 2000;
const ID = /^[A-Za-z0-9_-]{16,64}$/;

/** The owner of drafts: the sign-in token's hash on its platform. */
export function draftOwner(tokenHash: string, platformId: string): string {
  return createHash('sha256').update(`${tokenHash}\n${platformId}`).digest('hex');
}

export function isDraftId(s: unknown): s is string {
  return typeof s === 'string' && ID.test(s);
}

export class FileDraftStore implements DraftStore {
  private readonly drafts = new Map<string, DraftRecord>();
  private loaded = false;

  constructor(
    private readonly now: () => number,
    /** Directory of the drafts' files; null: memory only. */
    private readonly dir: string | null = null,
    private readonly ttlMs = DRAFT_TTL_MS,
  ) {}

  private load(): void {
    if (this.loaded) return;
    this.loaded = true;
    if (!this.dir) return;
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return; // none yet: no drafts
    }
    for (const name of names) {
      const id = name.endsWith('.json') ? name.slice(0, -5) : '';
      if (!isDraftId(id)) continue;
      let e: Partial<DraftRecord>;
      try {
        e = JSON.parse(readFileSync(join(this.dir, name), 'utf8')) as Partial<DraftRecord>;
      } catch {
        continue; // unreadable: skipped (dropped at the next sweep of its id)
      }
      if (e.id !== id || typeof e.owner !== 'string' || typeof e.key !== 'string' || typeof e.updated_at !== 'number') continue;
      if (e.updated_at + this.ttlMs <= this.now()) {
        this.remove(id);
        continue;
      }
      this.drafts.set(e.id, {
        id: e.id,
        owner: e.owner,
        key: e.key,
        draft: decodeDraft(encodeDraft(e.draft as Draft)),
        opened_version: typeof e.opened_version === 'string' ? e.opened_version : null,
        view: e.view && typeof e.view === 'object' ? e.view : {},
        conflict: e.conflict && typeof e.conflict === 'object' ? e.conflict : null,
        saved_job_id: typeof e.saved_job_id === 'string' ? e.saved_job_id : null,
        saved_digest: typeof e.saved_digest === 'string' ? e.saved_digest : null,
        updated_at: e.updated_at,
      });
    }
  }

  private write(r: DraftRecord): void {
    if (!this.dir) return;
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const file = join(this.dir, `${r.id}.json`);
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(r), { mode: 0o600 });
    renameSync(tmp, file);
  }

  private remove(id: string): void {
    this.drafts.delete(id);
    if (!this.dir) return;
    try {
      unlinkSync(join(this.dir, `${id}.json`));
    } catch {
      // gone already
    }
  }

  private sweep(): void {
    const t = this.now();
    for (const [id, r] of this.drafts) if (r.updated_at + this.ttlMs <= t) this.remove(id);
  }

  /** Drop the owner's oldest drafts beyond the limit, and the oldest of all beyond the total. */
  private bound(owner: string): void {
    const mine = [...this.drafts.values()].filter((r) => r.owner === owner).sort((a, b) => a.updated_at - b.updated_at);
    while (mine.length > MAX_PER_OWNER) this.remove((mine.shift() as DraftRecord).id);
    if (this.drafts.size > MAX_TOTAL) {
      const all = [...this.drafts.values()].sort((a, b) => a.updated_at - b.updated_at);
      for (const r of all.slice(0, this.drafts.size - MAX_TOTAL)) this.remove(r.id);
    }
  }

  create(owner: string, draft: Draft, openedVersion: string | null = null): DraftRecord {
    this.load();
    this.sweep();
    const record: DraftRecord = {
      id: randomBytes(18).toString('base64url'),
      owner,
      draft,
      key: randomBytes(18).toString('base64url'),
      opened_version: openedVersion,
      view: {},
      conflict: null,
      saved_job_id: null,
      saved_digest: null,
      updated_at: this.now(),
    };
    this.drafts.set(record.id, record);
    this.bound(owner);
    this.write(record);
    return record;
  }

  get(id: string, owner: string): DraftRecord | undefined {
    if (!isDraftId(id)) return undefined;
    this.load();
    const r = this.drafts.get(id);
    if (!r || r.owner !== owner) return undefined;
    if (r.updated_at + this.ttlMs <= this.now()) {
      this.remove(id);
      return undefined;
    }
    return r;
  }

  put(record: DraftRecord): void {
    this.load();
    record.updated_at = this.now();
    this.drafts.set(record.id, record);
    this.write(record);
  }

  delete(id: string): void {
    this.load();
    this.remove(id);
  }

  get size(): number {
    this.load();
    return this.drafts.size;
  }
}
