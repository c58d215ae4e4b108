// A job written by the API on PostgreSQL announces itself with the job as written (and the runtime
// written with it) in its notification, so every hub's working set takes it from the feed instead
// of reading the job and its runtime back (two statements per write per hub). A job too big for a
// notification goes out bare and is read as before. Two PgStores on one database play two hubs.
import { describe, expect, it } from 'vitest';
import { PgStore } from '../../hub/store/pg/adapter.js';
import type { Change } from '../../hub/store/port.js';
import { WorkingSet } from '../../hub/store/working-set.js';
import { countStatements, useCluster } from '../support/pg-cluster.js';
import { A, job, platform, runtime, waitFor } from './store-contract-fixtures.js';

const cluster = useCluster();

const counted = (s: PgStore) => countStatements(s.pool);

describe('PostgreSQL change feed carrying jobs', () => {
  it("another hub's create and update reach the working set without a read; a big job is read", async () => {
    const url = await cluster().createDatabase();
    const a = await PgStore.open({ connectionString: url, max: 2 });
    const b = await PgStore.open({ connectionString: url, max: 2 });
    const ws = new WorkingSet(a);
    try {
      await b.platforms.put(platform('alpha'));
      const seen: Change[] = [];
      const stop = await a.subscribe((c) => seen.push(c));
      await ws.load();
      const statements = counted(a);

      const created = await b.jobs.put(A, job('alpha', 'j1'), { ifVersion: null });
      await waitFor(() => ws.job('j1') !== undefined, 5000);
      await ws.settled();
      expect(statements()).toBe(0);
      expect(ws.job('j1')).toEqual({ ...created, version: 1 });
      const note = seen.find((c) => c.aggregate === 'jobs' && c.ids?.includes('j1'));
      expect(note?.docs?.[0]).toMatchObject({ id: 'j1', version: 1 });
      expect(note?.runtimes).toBeUndefined();

      // An update that restarts the evaluation carries the new runtime too.
      const rt = runtime('pending', 5000);
      await b.jobs.put(A, { ...job('alpha', 'j1'), name: 'renamed' }, { ifVersion: 1, runtime: rt });
      await waitFor(() => ws.job('j1')?.name === 'renamed', 5000);
      await ws.settled();
      expect(statements()).toBe(0);
      expect((ws.job('j1') as unknown as { version: number }).version).toBe(2);
      expect(ws.jobRuntime('j1')).toEqual(rt);

      // Past the notification's size the change is bare: the working set reads the job.
      const big = { ...job('alpha', 'j2'), name: 'x'.repeat(7500) };
      await b.jobs.put(A, big, { ifVersion: null });
      await waitFor(() => ws.job('j2') !== undefined, 5000);
      const bare = seen.find((c) => c.aggregate === 'jobs' && c.ids?.includes('j2'));
      expect(bare?.docs).toBeUndefined();
      expect(statements()).toBeGreaterThan(0);
      expect(ws.job('j2')?.name).toBe(big.name);
      await stop();
    } finally {
      await ws.close();
      await a.close();
      await b.close();
    }
  });
});
