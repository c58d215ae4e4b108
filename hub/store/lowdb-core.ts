// Shared state of the lowdb adapter's views (hub/store/lowdb-adapter.ts): the HubStore, the
// adapter's own document (port.json: leadership epoch, guardrail versions, idempotency keys),
// the change listeners and the fencing check. Single process: every check and its in-memory
// change run in one synchronous step, then the documents are saved.
import { join } from 'node:path';
import { JsonDocument } from './document.js';
import { LowdbDrafts } from './lowdb-drafts.js';
import { type Change, type IdempotencyRecord, type Scope, ScopeError, StaleEpochError, type Stored } from './port.js';
import type { HubStore } from './store.js';

export interface PortDoc {
  version: number;
  /** Leadership epoch (bumped by each acquire, so a restarted hub never reuses one). */
  epoch: number;
  /** Guardrail state version per platform. */
  state_versions: Record<string, number>;
  /** Idempotency records per platform, by key. */
  idempotency: Record<string, Record<string, IdempotencyRecord>>;
}

export class LowdbCore {
  readonly doc: JsonDocument<PortDoc>;
  /** Web-form drafts (web-drafts.json): one instance shared by the fenced views. */
  readonly drafts: LowdbDrafts;
  readonly listeners = new Set<(c: Change) => void>();
  /** The holder of the in-process lease, if any. */
  leader: { holder: string; lose: () => void } | null = null;

  constructor(
    readonly store: HubStore,
    dataDir: string,
  ) {
    this.drafts = new LowdbDrafts(dataDir);
    this.doc = new JsonDocument<PortDoc>(join(dataDir, 'port.json'), () => ({ version: 1, epoch: 0, state_versions: {}, idempotency: {} }));
  }

  emit(c: Change): void {
    for (const fn of this.listeners) {
      try {
        fn(c);
      } catch {
        // A failing listener must not fail the write that already happened.
      }
    }
  }

  /** Throws StaleEpochError when a fenced view's epoch is not the current one. */
  fence(epoch: number | null): void {
    if (epoch !== null && epoch !== this.doc.data.epoch) throw new StaleEpochError(epoch, this.doc.data.epoch);
  }
}

/** A stored record with its version (records written before versions read as version 1). */
export function withVersion<T extends object>(rec: T): Stored<T> {
  return { ...rec, version: (rec as { version?: number }).version ?? 1 };
}
export const versionOf = (rec: object | undefined): number | undefined => (rec === undefined ? undefined : ((rec as { version?: number }).version ?? 1));

/** The record exists under another platform (ids are global in the embedded store). */
export function assertOwner(aggregate: string, scope: Scope, cur: { id: string; platform_id: string } | undefined): void {
  if (cur && cur.platform_id !== scope.platform_id) throw new ScopeError(aggregate, cur.id, scope, cur.platform_id);
}
