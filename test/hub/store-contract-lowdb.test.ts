// The store port's contract suite against the lowdb adapter (the embedded store), plus what only
// it does: versions and the leadership epoch survive a restart on the same data directory; a
// create's Idempotency-Key record is on disk in the same file write as its job.
import { cpSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LowdbStore } from '../../hub/store/lowdb-adapter.js';
import { IdempotencyKeyTakenError, scopeOf, type StorePort } from '../../hub/store/port.js';
import { HubStore } from '../../hub/store/store.js';
import { tempDir } from './fixtures.js';
import { storeContract } from './store-contract.js';
import { job, waitFor } from './store-contract-fixtures.js';

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

  it('a create\'s Idempotency-Key record is in definitions.json with its job when the write returns; a hub killed before it moved to port.json still finds it', async () => {
    const dir = tempDir('port-lowdb-keys');
    const s1 = await open(dir);
    const rec = { key: 'k-crash', request_hash: 'h1', status: 201, body: { v: 1 }, created_at: 5000 };
    await s1.jobs.put(scopeOf('alpha'), job('alpha', 'j1'), { ifVersion: null, idempotency: rec });
    // The instant the write returned, as a SIGKILL would leave it: definitions.json as on disk,
    // port.json at worst without the record (its write may not have happened yet).
    const definitions = JSON.parse(readFileSync(join(dir, 'definitions.json'), 'utf8')) as { jobs: Record<string, unknown>; idempotency?: Record<string, Record<string, unknown>> };
    expect(Object.keys(definitions.jobs)).toEqual(['j1']);
    expect(definitions.idempotency?.alpha?.['k-crash']).toEqual(rec);
    const crashed = tempDir('port-lowdb-keys-crashed');
    cpSync(join(dir, 'definitions.json'), join(crashed, 'definitions.json'));
    rmSync(join(crashed, 'port.json'), { force: true });
    const s2 = await open(crashed);
    expect(await s2.idempotency.get(scopeOf('alpha'), 'k-crash')).toEqual(rec);
    await expect(s2.jobs.put(scopeOf('alpha'), job('alpha', 'j2'), { ifVersion: null, idempotency: { ...rec, request_hash: 'h2' } })).rejects.toBeInstanceOf(IdempotencyKeyTakenError);
    expect(await s2.jobs.get(scopeOf('alpha'), 'j2')).toBeUndefined();
    await s2.close();
    // Without a crash the record moves to port.json, and leaves the definitions at their next write.
    await waitFor(() => {
      if (!existsSync(join(dir, 'port.json'))) return false;
      const port = JSON.parse(readFileSync(join(dir, 'port.json'), 'utf8')) as { idempotency?: Record<string, Record<string, unknown>> };
      return port.idempotency?.alpha?.['k-crash'] !== undefined;
    });
    await waitFor(async () => {
      await s1.jobs.put(scopeOf('alpha'), job('alpha', 'j3'));
      await s1.close();
      const after = JSON.parse(readFileSync(join(dir, 'definitions.json'), 'utf8')) as { idempotency?: Record<string, Record<string, unknown>> };
      return after.idempotency?.alpha?.['k-crash'] === undefined;
    });
    expect(await s1.idempotency.get(scopeOf('alpha'), 'k-crash')).toEqual(rec);
    await s1.close();
  });
});
