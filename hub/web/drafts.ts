// Wizard drafts kept on the server (issue 17): each step is a GET URL of a draft, so Back and
// reload show what was typed, and a draft outlives its session. A draft belongs to whoever
// signed in (the token's hash and the platform), not to the session: signing in again after the
// session expired finds it. Kept 24 h after its last change, at most MAX_PER_OWNER per owner (the
// oldest go first). Drafts live in the store port (`port.drafts`), so two hubs on one
// PostgreSQL share them: an operator whose next request lands on the other hub keeps the draft.
import { createHash, randomBytes } from 'node:crypto';
import { type DraftDoc, type DraftsRepo, scopeOf, type Stored } from '../store/port.js';
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
  platform_id: string;
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
  /** The store's version of the draft when it was read (0: not stored yet). */
  version: number;
}

/** Where drafts live: the store port's `drafts` aggregate (see PortDraftStore). */
export interface DraftStore {
  create(platformId: string, owner: string, draft: Draft, openedVersion?: string | null): Promise<DraftRecord>;
  /** The owner's draft, or undefined (unknown, expired or someone else's). */
  get(platformId: string, id: string, owner: string): Promise<DraftRecord | undefined>;
  /** Write the draft at the version it was read (VersionConflictError when another write came first). */
  put(record: DraftRecord): Promise<void>;
  delete(record: DraftRecord): Promise<void>;
}

export const DRAFT_TTL_MS = 24 * 3600_000;
export const MAX_PER_OWNER = 20;
const ID = /^[A-Za-z0-9_-]{16,64}$/;

/** The owner of drafts: the sign-in token's hash on its platform. */
export function draftOwner(tokenHash: string, platformId: string): string {
  return createHash('sha256').update(`${tokenHash}\n${platformId}`).digest('hex');
}

export function isDraftId(s: unknown): s is string {
  return typeof s === 'string' && ID.test(s);
}

/** The form's part of a draft, as the store keeps it (`DraftDoc.data`). */
type DraftData = Omit<DraftRecord, 'id' | 'owner' | 'platform_id' | 'updated_at' | 'version'>;

/** Read a stored draft's data defensively: a malformed field becomes its empty value. */
function fromDoc(d: Stored<DraftDoc>): DraftRecord | undefined {
  const e = (d.data ?? {}) as Partial<DraftData>;
  if (typeof e.key !== 'string') return undefined;
  return {
    id: d.id,
    platform_id: d.platform_id,
    owner: d.owner,
    key: e.key,
    draft: decodeDraft(encodeDraft(e.draft as Draft)),
    opened_version: typeof e.opened_version === 'string' ? e.opened_version : null,
    view: e.view && typeof e.view === 'object' ? e.view : {},
    conflict: e.conflict && typeof e.conflict === 'object' ? e.conflict : null,
    saved_job_id: typeof e.saved_job_id === 'string' ? e.saved_job_id : null,
    saved_digest: typeof e.saved_digest === 'string' ? e.saved_digest : null,
    updated_at: d.updated_at,
    version: d.version,
  };
}

function toDoc(r: DraftRecord): DraftDoc {
  const data: DraftData = { key: r.key, draft: r.draft, opened_version: r.opened_version, view: r.view, conflict: r.conflict, saved_job_id: r.saved_job_id, saved_digest: r.saved_digest };
  return { id: r.id, platform_id: r.platform_id, owner: r.owner, data, updated_at: r.updated_at };
}

/**
 * Drafts in the store port (issue 17): the lowdb adapter keeps them in web-drafts.json (0600),
 * the PostgreSQL adapter in web_drafts, so every hub on one database sees the same drafts.
 * Expired drafts are dropped at most once a minute, when a draft is created.
 */
export class PortDraftStore implements DraftStore {
  private lastExpire = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly repo: DraftsRepo,
    private readonly now: () => number,
    private readonly ttlMs = DRAFT_TTL_MS,
  ) {}

  async create(platformId: string, owner: string, draft: Draft, openedVersion: string | null = null): Promise<DraftRecord> {
    const t = this.now();
    if (t - this.lastExpire >= 60_000) {
      this.lastExpire = t;
      await this.repo.expire(t - this.ttlMs);
    }
    const record: DraftRecord = {
      id: randomBytes(18).toString('base64url'),
      platform_id: platformId,
      owner,
      draft,
      key: randomBytes(18).toString('base64url'),
      opened_version: openedVersion,
      view: {},
      conflict: null,
      saved_job_id: null,
      saved_digest: null,
      updated_at: t,
      version: 0,
    };
    const stored = await this.repo.put(scopeOf(platformId), toDoc(record), { ifVersion: null, maxPerOwner: MAX_PER_OWNER });
    record.version = stored.version;
    return record;
  }

  async get(platformId: string, id: string, owner: string): Promise<DraftRecord | undefined> {
    if (!isDraftId(id)) return undefined;
    const d = await this.repo.get(scopeOf(platformId), owner, id);
    if (!d) return undefined;
    if (d.updated_at + this.ttlMs <= this.now()) {
      await this.repo.delete(scopeOf(platformId), owner, id);
      return undefined;
    }
    return fromDoc(d);
  }

  async put(record: DraftRecord): Promise<void> {
    record.updated_at = this.now();
    const stored = await this.repo.put(scopeOf(record.platform_id), toDoc(record), { ifVersion: record.version });
    record.version = stored.version;
  }

  async delete(record: DraftRecord): Promise<void> {
    await this.repo.delete(scopeOf(record.platform_id), record.owner, record.id);
  }
}
