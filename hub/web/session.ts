// Web sessions: an opaque random id in an HttpOnly, SameSite=Strict cookie; the session itself
// (the SHA-256 of the sign-in token, the platform, the CSRF token, the language) is keyed by the
// SHA-256 of the id, so neither a token nor a usable id is ever rendered, logged or written.
// With a file (the hub's data dir) sessions survive a hub restart: written atomically on
// sign-in/out and at most once a minute for the sliding expiry; expired ones are dropped. With
// PostgreSQL they live in the store (PortSessions), shared by every hub.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Lang } from './i18n.js';
import type { WebSessionsRepo } from '../store/port.js';

export interface Session {
  /** SHA-256 of the token signed in with: in-process API calls authenticate by it (a revoked token ends the session). */
  token_hash: string;
  /** Signed in with the admin token; platform_id is the platform chosen at sign-in. */
  admin: boolean;
  platform_id: string;
  platform_name: string;
  csrf: string;
  lang: Lang | null;
  expires_at: number;
}

export const SESSION_COOKIE = 'gsmjobs_sid';
export const LOGIN_CSRF_COOKIE = 'gsmjobs_login_csrf';

const digest = (id: string) => createHash('sha256').update(id).digest('hex');

export function newToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** Constant-time comparison of two strings (CSRF tokens). */
export function sameSecret(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export class SessionStore {
  private readonly sessions = new Map<string, Session>();
  private loaded = false;
  private savedAt = 0;

  constructor(
    private readonly now: () => number,
    private readonly ttlMs = 12 * 3600_000,
    private readonly max = 10_000,
    /** JSON file to keep sessions across restarts (only hashes); none = memory only. */
    private readonly file: string | null = null,
  ) {}

  private load(): void {
    if (this.loaded) return;
    this.loaded = true;
    if (!this.file) return;
    let doc: unknown;
    try {
      doc = JSON.parse(readFileSync(this.file, 'utf8'));
    } catch {
      return; // none yet, or unreadable: start empty (everyone signs in again)
    }
    const list = (doc as { version?: number; sessions?: unknown }).version === 1 ? (doc as { sessions: unknown }).sessions : null;
    if (!Array.isArray(list)) return;
    const t = this.now();
    for (const e of list as Array<Partial<Session> & { id_hash?: unknown }>) {
      if (typeof e.id_hash !== 'string' || typeof e.token_hash !== 'string' || typeof e.platform_id !== 'string' || typeof e.csrf !== 'string' || typeof e.expires_at !== 'number') continue;
      if (e.expires_at <= t) continue;
      this.sessions.set(e.id_hash, { token_hash: e.token_hash, admin: e.admin === true, platform_id: e.platform_id, platform_name: typeof e.platform_name === 'string' ? e.platform_name : e.platform_id, csrf: e.csrf, lang: e.lang === 'ru' || e.lang === 'en' ? e.lang : null, expires_at: e.expires_at });
    }
  }

  /** Write the live sessions (temp file + rename); no-op without a file. */
  save(): void {
    if (!this.file) return;
    this.savedAt = this.now();
    const sessions = [...this.sessions].map(([id_hash, s]) => ({ id_hash, ...s }));
    mkdirSync(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ version: 1, sessions }), { mode: 0o600 });
    renameSync(tmp, this.file);
  }

  /** Create a session; returns the opaque id for the cookie. */
  create(fields: Omit<Session, 'csrf' | 'expires_at'>): { id: string; session: Session } {
    this.load();
    this.sweep();
    if (this.sessions.size >= this.max) {
      const oldest = this.sessions.keys().next().value;
      if (oldest !== undefined) this.sessions.delete(oldest);
    }
    const id = newToken();
    const session: Session = { ...fields, csrf: newToken(24), expires_at: this.now() + this.ttlMs };
    this.sessions.set(digest(id), session);
    this.save();
    return { id, session };
  }

  /** The live session of a cookie value; sliding expiry. */
  get(id: string | undefined): Session | undefined {
    if (!id || id.length > 100) return undefined;
    this.load();
    const key = digest(id);
    const s = this.sessions.get(key);
    if (!s) return undefined;
    if (s.expires_at <= this.now()) {
      this.sessions.delete(key);
      return undefined;
    }
    s.expires_at = this.now() + this.ttlMs;
    if (this.now() - this.savedAt > 60_000) this.save();
    return s;
  }

  destroy(id: string | undefined): void {
    this.load();
    if (id && this.sessions.delete(digest(id))) this.save();
  }

  /** Save the language change of a session (kept in memory at once). */
  touch(): void {
    this.save();
  }

  get size(): number {
    this.load();
    return this.sessions.size;
  }

  private sweep(): void {
    const t = this.now();
    for (const [k, s] of this.sessions) if (s.expires_at <= t) this.sessions.delete(k);
  }
}

/** Where the web form keeps sessions: one hub's file (lowdb) or the store shared by every hub (PostgreSQL). */
export interface WebSessions {
  /** The live session of a cookie value; sliding expiry. */
  get(id: string | undefined): Promise<Session | undefined>;
  create(fields: Omit<Session, 'csrf' | 'expires_at'>): Promise<{ id: string; session: Session }>;
  destroy(id: string | undefined): Promise<void>;
  /** Keep a change of the session (its language). */
  touch(id: string | undefined, session: Session): Promise<void>;
}

/** The one hub's sessions (memory, or a file of its data dir). */
export class LocalSessions implements WebSessions {
  constructor(readonly store: SessionStore) {}
  get(id: string | undefined): Promise<Session | undefined> {
    return Promise.resolve(this.store.get(id));
  }
  create(fields: Omit<Session, 'csrf' | 'expires_at'>): Promise<{ id: string; session: Session }> {
    return Promise.resolve(this.store.create(fields));
  }
  destroy(id: string | undefined): Promise<void> {
    this.store.destroy(id);
    return Promise.resolve();
  }
  touch(): Promise<void> {
    this.store.touch();
    return Promise.resolve();
  }
}

/**
 * Sessions in the store port (PostgreSQL: table web_sessions), so every hub on the database
 * knows them (issue 20): a request may land on any hub. The sliding expiry is written at most
 * once a minute per session; expired rows are swept at most every ten minutes, on sign-in.
 */
export class PortSessions implements WebSessions {
  private sweptAt = 0;

  constructor(
    private readonly repo: WebSessionsRepo,
    private readonly now: () => number,
    private readonly ttlMs = 12 * 3600_000,
  ) {}

  async get(id: string | undefined): Promise<Session | undefined> {
    if (!id || id.length > 100) return undefined;
    const key = digest(id);
    const s = await this.repo.get(key);
    if (!s) return undefined;
    const t = this.now();
    if (s.expires_at <= t) {
      await this.repo.delete(key);
      return undefined;
    }
    if (t + this.ttlMs - s.expires_at > 60_000) {
      s.expires_at = t + this.ttlMs;
      await this.repo.put(key, s);
    }
    return s;
  }

  async create(fields: Omit<Session, 'csrf' | 'expires_at'>): Promise<{ id: string; session: Session }> {
    const t = this.now();
    if (t - this.sweptAt > 600_000) {
      this.sweptAt = t;
      await this.repo.expire(t);
    }
    const id = newToken();
    const session: Session = { ...fields, csrf: newToken(24), expires_at: t + this.ttlMs };
    await this.repo.put(digest(id), session);
    return { id, session };
  }

  async destroy(id: string | undefined): Promise<void> {
    if (id && id.length <= 100) await this.repo.delete(digest(id));
  }

  async touch(id: string | undefined, session: Session): Promise<void> {
    if (id && id.length <= 100) await this.repo.put(digest(id), session);
  }
}
