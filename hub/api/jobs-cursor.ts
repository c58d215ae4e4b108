// Keyset pagination of GET /jobs: the cursor is opaque to clients (base64url of the last job's
// name and id in the list's order); the answer's `next_cursor` and `Link: <...>; rel="next"`
// lead to the next page. `offset` keeps working but reads every row it skips (slow deep down).
import type { JobCursor } from '../store/port.js';
import { invalid } from './errors.js';

/** The total is counted exactly up to this many matches; beyond, it is the database's estimate. */
export const JOBS_COUNT_CAP = 1000;
const CURSOR_MAX = 2048;

export const encodeCursor = (c: JobCursor): string => Buffer.from(JSON.stringify([c.name, c.id]), 'utf8').toString('base64url');

export function decodeCursor(raw: string): JobCursor {
  try {
    if (raw.length > CURSOR_MAX || !/^[A-Za-z0-9_-]+$/.test(raw)) throw new Error('shape');
    const v: unknown = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string') return { name: v[0], id: v[1] };
  } catch {
    // reported below
  }
  throw invalid([{ field: 'cursor', message: 'not a cursor of this list: use next_cursor from the previous page', code: 'invalid_cursor', params: {} }]);
}

/** The URL of the next page: the request's, with `cursor` set and `offset` dropped. */
export function nextPageUrl(requestUrl: string, cursor: string): string {
  const u = new URL(requestUrl);
  u.searchParams.delete('offset');
  u.searchParams.set('cursor', cursor);
  return `${u.pathname}${u.search}`;
}
