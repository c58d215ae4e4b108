// The hub's store from its config (hub/config.ts `store`): lowdb files in data_dir (the HubStore
// is the leader's working copy) or PostgreSQL (the working set over the port), and the start of
// the PostgreSQL one: migrate and load, retrying with backoff while the server is unreachable.
import type { Logger } from '../common/log.js';
import type { HubConfig } from '../config.js';
import type { LeaderStore } from './leader-store.js';
import { LowdbStore } from './lowdb-adapter.js';
import { PgStore } from './pg/adapter.js';
import { type StorePort, StoreUnavailableError } from './port.js';
import { HubStore } from './store.js';
import { ApiWorkingSet } from './working-set-api.js';

export interface HubStores {
  /** The lowdb documents (lowdb mode; unused over PostgreSQL). */
  store: HubStore;
  /** The one store port of the process. */
  port: StorePort;
  /** What the leader's parts read and write. */
  leader: LeaderStore;
  /** PostgreSQL mode: the working set (also what the API takes until it uses the port). */
  workingSet: ApiWorkingSet | null;
}

export function buildStores(config: HubConfig, log: Logger): HubStores {
  const store = new HubStore(config.data_dir);
  if (config.store.kind === 'lowdb') return { store, port: LowdbStore.create(store, config.data_dir), leader: store, workingSet: null };
  const port = PgStore.create({
    connectionString: config.store.url,
    max: config.store.pool_max,
    statementTimeoutMs: config.store.statement_timeout_ms,
    onError: (err) => log.warn('store connection error', { error: err.message }),
  });
  const workingSet = new ApiWorkingSet(port, { executionsPerPlatform: config.executions.max_per_platform, onError: (err) => log.warn('store refresh failed', { error: err.message }) });
  return { store, port, leader: workingSet, workingSet };
}

/** Load the stores; PostgreSQL unreachable: `onFailure` with the attempt, wait, retry (1, 2, 4 ... 30 s). */
export async function openStores(s: HubStores, log: Logger, onFailure: (f: { attempt: number; error: string } | null) => void, signal?: AbortSignal): Promise<void> {
  if (!s.workingSet) {
    await s.store.load();
    await (s.port as LowdbStore).load();
    return;
  }
  const port = s.port as PgStore;
  for (let attempt = 1; ; attempt++) {
    try {
      const applied = await port.migrate();
      if (applied.length) log.info('store migrated', { versions: applied });
      await s.workingSet.load();
      onFailure(null);
      log.info('store loaded', { kind: 'postgres', platforms: s.workingSet.platforms().length, jobs: s.workingSet.jobs().length, executions: s.workingSet.executionList().length });
      return;
    } catch (err) {
      if (!(err instanceof StoreUnavailableError)) throw err;
      const waitS = Math.min(30, 2 ** Math.min(attempt - 1, 5));
      onFailure({ attempt, error: err.message });
      log.warn('store unreachable, retrying', { attempt, retry_in_s: waitS, error: err.message });
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(resolve, waitS * 1000);
        signal?.addEventListener(
          'abort',
          () => {
            clearTimeout(t);
            reject(new Error('start aborted while waiting for the store'));
          },
          { once: true },
        );
      });
    }
  }
}

/** Wait for pending writes and close the port. */
export async function closeStores(s: HubStores): Promise<void> {
  if (s.workingSet) await s.workingSet.close();
  else await s.store.flush();
  await s.port.close();
}

/** Until the store is loaded only the health routes answer; the rest get 503 with Retry-After. */
export function storeGate(fetch: (req: Request, env?: unknown) => Response | Promise<Response>, loading: () => boolean) {
  return (req: Request, env?: unknown): Response | Promise<Response> => {
    if (!loading() || /^\/(healthz|readyz|metrics)$/.test(new URL(req.url).pathname)) return fetch(req, env);
    const body = JSON.stringify({ error: { code: 'store_unavailable', message: 'the store is not reachable yet; retry later' } });
    return new Response(body, { status: 503, headers: { 'content-type': 'application/json', 'retry-after': '5' } });
  };
}
