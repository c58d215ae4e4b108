// The leader's working set over both store adapters: lowdb (the embedded store, over a HubStore
// in a temp dir) and PostgreSQL (a throwaway PostgreSQL 15, a fresh database per test).
import { afterAll, beforeAll } from 'vitest';
import { LowdbStore } from '../../hub/store/lowdb-adapter.js';
import { PgStore } from '../../hub/store/pg/adapter.js';
import type { StorePort } from '../../hub/store/port.js';
import { HubStore } from '../../hub/store/store.js';
import { type PgCluster, startPostgres } from '../support/postgres.js';
import { tempDir } from './fixtures.js';
import { workingSetSuite } from './working-set-suite.js';

workingSetSuite('lowdb', {
  open: async () => {
    const dir = tempDir('ws-lowdb');
    const store = new HubStore(dir);
    await store.load();
    return LowdbStore.open(store, dir);
  },
  peer: async (port) => port,
  close: (port) => port.close(),
});

let cluster: PgCluster;
const urls = new WeakMap<StorePort, string>();
beforeAll(async () => {
  cluster = await startPostgres();
}, 120_000);
afterAll(async () => {
  await cluster?.destroy();
});
const openPg = async (url: string) => {
  const s = await PgStore.open({ connectionString: url, max: 4, leaderCheckMs: 500 });
  urls.set(s, url);
  return s;
};

workingSetSuite('postgresql', {
  open: async () => openPg(await cluster.createDatabase()),
  peer: (port) => openPg(urls.get(port) as string),
  close: (port) => port.close(),
});
