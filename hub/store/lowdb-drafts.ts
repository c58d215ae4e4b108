// Web-form drafts in the embedded store (issue 17): one JSON document `web-drafts.json` in the
// data directory (mode 0600, written atomically by JsonDocument), versioned like every record.
// Single process: each check and its change run in one synchronous step, then the file is saved.
import { join } from 'node:path';
import { JsonDocument } from './document.js';
import { type DraftDoc, type DraftsRepo, type Scope, type Stored, VersionConflictError, type WriteOptions } from './port.js';
import { checkVersion } from './port-query.js';
import { dropBeyond } from './drafts-query.js';

interface DraftsFile {
  version: number;
  drafts: Record<string, Stored<DraftDoc>>;
}

export class LowdbDrafts implements DraftsRepo {
  readonly doc: JsonDocument<DraftsFile>;

  constructor(dataDir: string) {
    this.doc = new JsonDocument<DraftsFile>(join(dataDir, 'web-drafts.json'), () => ({ version: 1, drafts: {} }));
  }

  async get(scope: Scope, owner: string, id: string): Promise<Stored<DraftDoc> | undefined> {
    const d = this.doc.data.drafts[id];
    return d && d.platform_id === scope.platform_id && d.owner === owner ? structuredClone(d) : undefined;
  }

  async put(scope: Scope, d: DraftDoc, opts?: WriteOptions & { maxPerOwner?: number }): Promise<Stored<DraftDoc>> {
    const all = this.doc.data.drafts;
    const cur = all[d.id];
    // Another owner's draft under this id is not this caller's to see or replace.
    const mine = cur && cur.platform_id === scope.platform_id && cur.owner === d.owner ? cur : undefined;
    if (cur && !mine) throw new VersionConflictError('draft', d.id, opts?.ifVersion ?? null, null);
    checkVersion('draft', d.id, mine?.version, opts);
    const next: Stored<DraftDoc> = { ...structuredClone(d), platform_id: scope.platform_id, version: (mine?.version ?? 0) + 1 };
    all[d.id] = next;
    if (opts?.maxPerOwner !== undefined) {
      const owned = Object.values(all).filter((x) => x.platform_id === scope.platform_id && x.owner === d.owner);
      for (const id of dropBeyond(owned, opts.maxPerOwner)) delete all[id];
    }
    await this.doc.save();
    return structuredClone(next);
  }

  async delete(scope: Scope, owner: string, id: string): Promise<boolean> {
    const d = this.doc.data.drafts[id];
    if (!d || d.platform_id !== scope.platform_id || d.owner !== owner) return false;
    delete this.doc.data.drafts[id];
    await this.doc.save();
    return true;
  }

  async expire(before: number): Promise<number> {
    let n = 0;
    for (const [id, d] of Object.entries(this.doc.data.drafts)) {
      if (d.updated_at < before) {
        delete this.doc.data.drafts[id];
        n++;
      }
    }
    if (n > 0) await this.doc.save();
    return n;
  }
}
