// Every record the journal could not read on load is named in the log (the metric and the
// status count them): a torn last line as a warning, damaged records as errors, and where the
// copy of the damaged journal is kept.
import type { Logger } from '#common/log.js';
import type { Journal } from './journal.js';

export function logSkippedRecords<R>(j: Journal<R>, log: Logger): void {
  for (const s of j.skippedRecords) {
    const what = { line: s.line, reason: s.reason, ...(s.id ? { execution_id: s.id } : {}), file: j.path };
    if (s.torn) log.warn('journal: the last record was cut short by a crash or a full disk and is ignored (it was never acknowledged)', what);
    else log.error('journal: damaged record skipped', what);
  }
  if (j.skipped > j.skippedRecords.length) log.error('journal: more damaged records skipped', { more: j.skipped - j.skippedRecords.length });
  const copy = j.health().corruptCopy;
  if (copy) log.error('journal: a copy of the damaged journal is kept for inspection', { copy });
}
