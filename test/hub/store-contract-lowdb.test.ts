// The store port's contract suite against the lowdb adapter (the embedded store), plus what only
// it does: versions and the leadership epoch survive a restart on the same data directory.
import { describe, expect, it } from 'vitest';
import { LowdbStore } from '../../hub/store/lowdb-adapter.js';
import { scopeOf, type StorePort } from '../../hub/store/port.js';
import { HubStore } from '../../hub/store/store.js';
import { tempDir } from './fixtures.js';
import { storeContract } from './store-contract.js';
import { job } from './store-contract-fixtures.js';

async function open(dir = tempDir('port-lowdb')): Promise<LowdbStore> {
  const store = new HubStore(dir);
  await store.load();
  return LowdbStore.open(store, dir);
}

storeContract('lowdb', {
  open: () => open(),
  // One process, one store: the peer is the same port.
  peer: async (port: StorePort) => port,
  kill: (_port, _holder, l) => l.release(),
  close: (port) => port.close(),
});

describe('lowdb adapter', () => {
  it('versions and the leadership epoch survive a restart', async () => {
    const dir = tempDir('port-lowdb-restart');
    const s1 = await open(dir);
    await s1.jobs.put(scopeOf('alpha'), job('alpha', 'j1'));
    await s1.jobs.put(scopeOf('alpha'), job('alpha', 'j1'));
    const lease = await s1.leadership('hub').tryAcquire();
    await s1.close();
    const s2 = await open(dir);
    expect((await s2.jobs.get(scopeOf('alpha'), 'j1'))?.version).toBe(2);
    expect(await s2.epoch()).toBe(lease?.epoch);
    const again = await s2.leadership('hub').tryAcquire();
    expect(again?.epoch).toBe((lease?.epoch ?? 0) + 1);
    await s2.close();
  });
});
