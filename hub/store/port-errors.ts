// The store port's errors (hub/store/port.ts re-exports them): each a class, so callers map them
// to HTTP answers (409, 412, 422, 503) and retries.
import type { Scope } from './port.js';

export class StoreError extends Error {
  override name = 'StoreError';
}
/** `ifVersion` did not match (HTTP 412 / 409). `current` is null when the record does not exist. */
export class VersionConflictError extends StoreError {
  override name = 'VersionConflictError';
  constructor(
    readonly aggregate: string,
    readonly id: string,
    readonly expected: number | null,
    readonly current: number | null,
  ) {
    super(`${aggregate} ${id}: version ${current ?? 'none'} is not the expected ${expected ?? 'none (create)'}`);
  }
}
/** A fenced write carried an epoch older than the leadership's: this hub is no longer the leader. */
export class StaleEpochError extends StoreError {
  override name = 'StaleEpochError';
  constructor(
    readonly epoch: number,
    readonly current: number,
  ) {
    super(`write refused: leadership epoch ${epoch} is stale (current ${current}); this hub no longer leads`);
  }
}
/** A record written under a scope it does not belong to (a bug in the caller, never user input). */
export class ScopeError extends StoreError {
  override name = 'ScopeError';
  constructor(aggregate: string, id: string, scope: Scope, actual: string) {
    super(`${aggregate} ${id} belongs to platform ${actual}, not to the scope ${scope.platform_id}`);
  }
}
/** The store cannot be reached or refused for a reason that is not the caller's (HTTP 503). */
export class StoreUnavailableError extends StoreError {
  override name = 'StoreUnavailableError';
}
/**
 * A create that carried an idempotency record (JobWriteOptions.idempotency) found the key taken:
 * another request with the same key won, maybe on another hub. Nothing was written; the caller
 * answers with the stored record (a replay, or 422 when it was another request).
 */
export class IdempotencyKeyTakenError extends StoreError {
  override name = 'IdempotencyKeyTakenError';
  constructor(
    readonly platform_id: string,
    readonly key: string,
  ) {
    super(`idempotency key ${key.slice(0, 12)}... of platform ${platform_id} is taken by another request`);
  }
}
