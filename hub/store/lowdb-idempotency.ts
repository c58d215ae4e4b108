// Idempotency keys in the lowdb adapter. A record lives in port.json (LowdbCore.doc), except a
// create's record (JobWriteOptions.idempotency): that one is written with its job in ONE write of
// definitions.json (a file replaced by rename, so both or neither are on disk), under
// `idempotency`, and moved to port.json after that write. A crash in between leaves it in
// definitions.json, where get() finds it as well, so the job never exists without its record.
import { type LowdbCore } from './lowdb-core.js';
import { IdempotencyKeyTakenError, type IdempotencyRecord, type IdempotencyRepo, type Scope } from './port.js';

type Keys = Record<string, Record<string, IdempotencyRecord>>;

export class LowdbIdempotency implements IdempotencyRepo {
  constructor(private readonly c: LowdbCore) {}

  /** Records written with their jobs and not yet moved to port.json. */
  private held(): Keys {
    return (this.c.store.definitions.data.idempotency ??= {});
  }
  private find(platform: string, key: string): IdempotencyRecord | undefined {
    return this.c.doc.data.idempotency[platform]?.[key] ?? this.c.store.definitions.data.idempotency?.[platform]?.[key];
  }

  async get(scope: Scope, key: string) {
    return this.find(scope.platform_id, key);
  }
  async put(scope: Scope, rec: IdempotencyRecord): Promise<IdempotencyRecord> {
    const cur = this.find(scope.platform_id, rec.key);
    if (cur) return cur;
    (this.c.doc.data.idempotency[scope.platform_id] ??= {})[rec.key] = rec;
    await this.c.doc.save();
    return rec;
  }
  async prune(before: number): Promise<number> {
    // A record being moved is in both places: counted once.
    const gone = new Set<string>();
    const drop = (all: Keys) => {
      let n = 0;
      for (const [platform, mine] of Object.entries(all)) {
        for (const [k, r] of Object.entries(mine)) {
          if (r.created_at < before) {
            delete mine[k];
            gone.add(`${platform}\0${k}`);
            n++;
          }
        }
        if (Object.keys(mine).length === 0) delete all[platform];
      }
      return n;
    };
    const inPort = drop(this.c.doc.data.idempotency);
    const held = this.c.store.definitions.data.idempotency;
    const inDefinitions = held ? drop(held) : 0;
    await Promise.all([...(inPort > 0 ? [this.c.doc.save()] : []), ...(inDefinitions > 0 ? [this.c.store.definitions.save()] : [])]);
    return gone.size;
  }

  /**
   * Before a keyed create's write, in the same synchronous step: the record joins the definitions
   * (saved with the job by the caller's write). IdempotencyKeyTakenError when the key is taken.
   */
  claim(scope: Scope, rec: IdempotencyRecord): void {
    if (this.find(scope.platform_id, rec.key)) throw new IdempotencyKeyTakenError(scope.platform_id, rec.key);
    (this.held()[scope.platform_id] ??= {})[rec.key] = rec;
  }

  /**
   * After the create's write: the record moves to port.json (in the background; the definitions
   * drop it from memory once port.json holds it, and on disk at their next write).
   */
  settle(scope: Scope, key: string): void {
    const held = this.c.store.definitions.data.idempotency;
    const rec = held?.[scope.platform_id]?.[key];
    if (!held || !rec) return;
    (this.c.doc.data.idempotency[scope.platform_id] ??= {})[key] ??= rec;
    this.c.doc.save().then(
      () => {
        const mine = held[scope.platform_id];
        if (mine?.[key] !== rec) return;
        delete mine[key];
        if (Object.keys(mine).length === 0) delete held[scope.platform_id];
      },
      // Not moved: it stays in the definitions, where get() finds it.
      () => undefined,
    );
  }
}
