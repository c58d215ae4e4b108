// A write refused by fencing (StaleEpochError, hub/store/port.ts) means another hub leads now:
// it is counted and logged, and this hub gives its lease up; it is never a crash nor a failed
// cycle. Errors may arrive wrapped (an Error's `cause`), so the chain is walked.
export function isStaleEpoch(err: unknown): boolean {
  return staleEpochOf(err) !== null;
}

/** The StaleEpochError itself, out of its wrappers (one refusal, however often reported). */
export function staleEpochOf(err: unknown): Error | null {
  for (let e = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) if (e.name === 'StaleEpochError') return e;
  return null;
}
