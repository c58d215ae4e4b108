// Web sessions: an opaque random id in an HttpOnly, SameSite=Strict cookie; the session itself
// (the platform token, the CSRF token, the language) stays in server memory, keyed by the
// SHA-256 of the id, so neither the token nor a usable id is ever rendered or logged.
// Sessions do not survive a hub restart (operators sign in again).
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Lang } from './i18n.js';

export interface Session {
  /** The platform's bearer token: used only for in-process API calls, never rendered. */
  token: string;
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

  constructor(
    private readonly now: () => number,
    private readonly ttlMs = 12 * 3600_000,
    private readonly max = 10_000,
  ) {}

  /** Create a session; returns the opaque id for the cookie. */
  create(fields: Omit<Session, 'csrf' | 'expires_at'>): { id: string; session: Session } {
    this.sweep();
    if (this.sessions.size >= this.max) {
      const oldest = this.sessions.keys().next().value;
      if (oldest !== undefined) this.sessions.delete(oldest);
    }
    const id = newToken();
    const session: Session = { ...fields, csrf: newToken(24), expires_at: this.now() + this.ttlMs };
    this.sessions.set(digest(id), session);
    return { id, session };
  }

  /** The live session of a cookie value; sliding expiry. */
  get(id: string | undefined): Session | undefined {
    if (!id || id.length > 100) return undefined;
    const key = digest(id);
    const s = this.sessions.get(key);
    if (!s) return undefined;
    if (s.expires_at <= this.now()) {
      this.sessions.delete(key);
      return undefined;
    }
    s.expires_at = this.now() + this.ttlMs;
    return s;
  }

  destroy(id: string | undefined): void {
    if (id) this.sessions.delete(digest(id));
  }

  get size(): number {
    return this.sessions.size;
  }

  private sweep(): void {
    const t = this.now();
    for (const [k, s] of this.sessions) if (s.expires_at <= t) this.sessions.delete(k);
  }
}
