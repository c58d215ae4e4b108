// The jobs list's text search in PostgreSQL: which of the needle's trigrams to probe in the
// jobs_trigrams index (migration 0006). A trigram every job has (the word "player" of every
// device name) costs a posting list of all the jobs and narrows nothing, so only the rare ones are
// probed, and the matches are rechecked with LIKE '%needle%' (the semantics stay a substring of
// the lower-case search text). How common a trigram is: the index expression's ANALYZE
// statistics (pg_stats.most_common_elems), read at most once a minute per pool.
import type pg from 'pg';

/** A trigram at least this frequent (share of the jobs) is not probed. */
export const COMMON = 0.05;
/** At most this many trigrams are probed (the rarest ones). */
const PROBED = 3;
const REFRESH_MS = 60_000;

/**
 * The trigrams of the needle that the search text's trigrams (pg_trgm's show_trgm) certainly
 * contain: the three-character windows inside runs of ASCII letters and digits (pg_trgm's word
 * characters in every locale; a run of the needle lies inside a word of the text, so its inner
 * trigrams are the word's). Lower-cased like the search text.
 */
export function needleTrigrams(needle: string): string[] {
  const out = new Set<string>();
  for (const run of needle.toLowerCase().match(/[a-z0-9]{3,}/g) ?? []) for (let i = 0; i + 3 <= run.length; i++) out.add(run.slice(i, i + 3));
  return [...out];
}

/** Trigram frequencies from the statistics: listed ones, and the bound under which the rest lie. */
export interface TrigramStats {
  freq: ReadonlyMap<string, number>;
  /** Frequency of the rarest listed trigram (unlisted ones are rarer); null: no statistics. */
  floor: number | null;
}

/**
 * What to probe: the rarest trigrams (up to three, each rarer than COMMON), or null when none
 * is rare: the needle is then matched by walking the list in order (a common needle finds its
 * page and its capped count within a few thousand rows of the name index). Without statistics
 * (a small or never analysed table) every trigram is probed.
 */
export function probeTrigrams(needle: string, stats: TrigramStats): string[] | null {
  const tris = needleTrigrams(needle);
  if (tris.length === 0) return null;
  if (stats.floor === null) return tris.slice(0, PROBED);
  const f = (t: string) => stats.freq.get(t) ?? (stats.floor as number) / 2;
  const rare = tris.filter((t) => f(t) < COMMON).sort((a, b) => f(a) - f(b) || (a < b ? -1 : 1));
  return rare.length > 0 ? rare.slice(0, PROBED) : null;
}

const NO_STATS: TrigramStats = { freq: new Map(), floor: null };
const cache = new WeakMap<pg.Pool, { at: number; stats: TrigramStats; pending: Promise<TrigramStats> | null }>();

async function readStats(pool: pg.Pool): Promise<TrigramStats> {
  const { rows } = await pool.query<{ e: string[] | null; f: number[] | null }>(
    `SELECT most_common_elems::text::text[] AS e, most_common_elem_freqs AS f FROM pg_stats
     WHERE schemaname = current_schema() AND tablename = 'jobs_trigrams' LIMIT 1`,
  );
  const e = rows[0]?.e;
  const f = rows[0]?.f;
  if (!e || !f || e.length === 0) return NO_STATS;
  // The frequencies list one per element, then the minimum, the maximum and the empty share.
  const freq = new Map(e.map((t, i) => [t, Number(f[i] ?? 0)]));
  return { freq, floor: Number(f[e.length] ?? Math.min(...freq.values())) };
}

/** The statistics of this pool's database, refreshed in the background once they are a minute old. */
export async function trigramStats(pool: pg.Pool, now = Date.now()): Promise<TrigramStats> {
  const c = cache.get(pool);
  if (c && (now - c.at < REFRESH_MS || c.pending)) return c.stats;
  const pending = readStats(pool).catch(() => c?.stats ?? NO_STATS);
  const entry = { at: c?.at ?? now, stats: c?.stats ?? NO_STATS, pending: pending as Promise<TrigramStats> | null };
  cache.set(pool, entry);
  void pending.then((stats) => Object.assign(entry, { at: Date.now(), stats, pending: null }));
  return c ? c.stats : pending;
}
