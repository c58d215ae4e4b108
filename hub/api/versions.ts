// Optimistic concurrency of the API (issue 17): every resource answers with `ETag: "<version>"`;
// a PUT, PATCH or DELETE with `If-Match` writes only when the stored version is still the one the
// client read, else 412 `version_conflict` with the current version and record (both null when
// the record was deleted meanwhile). Without If-Match a write is unconditional.
import type { Context } from 'hono';
import { VersionConflictError } from '../store/port.js';
import { ApiError, notFound } from './errors.js';

/** What If-Match asks: a version, `*` (any existing record) or nothing. */
export type Precondition = { kind: 'none' } | { kind: 'any' } | { kind: 'version'; version: number };

const ETAG = /^\s*(?:W\/)?"(\d{1,15})"\s*$/;

/** Parse If-Match: `"N"`, `W/"N"`, `*`; a list takes its first entry that parses. */
export function parsePrecondition(header: string | undefined): Precondition {
  if (header === undefined || header.trim() === '') return { kind: 'none' };
  if (header.trim() === '*') return { kind: 'any' };
  for (const part of header.split(',')) {
    const m = ETAG.exec(part);
    if (m) return { kind: 'version', version: Number(m[1]) };
  }
  throw new ApiError(400, 'invalid', 'If-Match: must be a version like "3" or *', [{ field: 'If-Match', message: 'must be a version like "3" or *', code: 'invalid_if_match', params: {} }]);
}

export const precondition = (c: Context): Precondition => parsePrecondition(c.req.header('if-match'));

export const etagOf = (version: number): string => `"${version}"`;

export function setEtag(c: Context, version: number): void {
  c.header('ETag', etagOf(version));
}

export function versionConflict(current: { version: number } | undefined, view: unknown, what = 'record'): ApiError {
  const message = current ? `the ${what} was changed meanwhile (now version ${current.version}); read it again` : `the ${what} was deleted meanwhile`;
  return new ApiError(412, 'version_conflict', message, [], { current_version: current?.version ?? null, current: current ? view : null });
}

/**
 * Check a write's If-Match against the record read. Returns the version to pass as the store's
 * `ifVersion` (undefined: unconditional). A missing record with If-Match is 412 (current null),
 * not 404, so a client learns its copy was deleted by someone else.
 */
export function expectVersion<T extends { version: number }>(c: Context, cur: T | undefined, view: (r: T) => unknown, what?: string): number | undefined {
  const p = precondition(c);
  if (p.kind === 'none') return undefined;
  if (!cur) throw versionConflict(undefined, null, what);
  if (p.kind === 'version' && p.version !== cur.version) throw versionConflict(cur, view(cur), what);
  return cur.version;
}

/** Run a write; a conflict found by the store (a write in between) becomes the 412 with the record. */
export async function guarded<R, T extends { version: number }>(write: () => Promise<R>, reread: () => Promise<T | undefined>, view: (r: T) => unknown, what?: string): Promise<R> {
  try {
    return await write();
  } catch (err) {
    if (!(err instanceof VersionConflictError) || err.expected === null) throw err;
    const cur = await reread();
    throw versionConflict(cur, cur ? view(cur) : null, what);
  }
}

/**
 * The record a route addresses, or the answer for its absence: 412 when the request named a
 * version (`If-Match`: it was there when the client read it), else 404.
 */
export function foundOr<T>(c: Context, rec: T | undefined, what: string): T {
  if (rec) return rec;
  if (precondition(c).kind !== 'none') throw versionConflict(undefined, null, what);
  throw notFound(what);
}
