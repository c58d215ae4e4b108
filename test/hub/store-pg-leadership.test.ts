// PgLeadership keeps one dedicated connection: a follower bidding again and again does not open a
// connection per bid (issue 20 leftover); when the leader lets go, the follower's next bid on that
// same connection wins; a connection cut by the server is replaced at the next bid.
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { PgStore } from '../../hub/store/pg/adapter.js';
import { useCluster } from '../support/pg-cluster.js';

const cluster = useCluster();

const backends = async (admin: pg.Client, holder: string) =>
  (await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = $1 ORDER BY pid', [`gsmjobs-leader ${holder}`])).rows.map((r) => r.pid);

describe('PgLeadership connection', () => {
  it('a follower bids on one kept connection; takes over on it; a cut connection is replaced', async () => {
    const url = await cluster().createDatabase();
    const store = await PgStore.open({ connectionString: url, max: 2, leaderCheckMs: 300 });
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    const leader = store.leadership('hub-a');
    const follower = store.leadership('hub-b');
    try {
      const lease = await leader.tryAcquire();
      expect(lease?.epoch).toBe(1);
      const pids = new Set<number>();
      for (let i = 0; i < 8; i++) {
        expect(await follower.tryAcquire()).toBeNull();
        const now = await backends(admin, 'hub-b');
        expect(now).toHaveLength(1);
        pids.add(now[0] as number);
      }
      expect(pids.size).toBe(1);
      await leader.release();
      await lease?.lost;
      const taken = await follower.tryAcquire();
      expect(taken?.epoch).toBe(2);
      expect(await backends(admin, 'hub-b')).toEqual([...pids]);
      expect(await backends(admin, 'hub-a')).toEqual([]);
      // The server cuts the follower-turned-leader's connection: the lease is lost, the lock freed.
      await admin.query('SELECT pg_terminate_backend($1)', [[...pids][0]]);
      await taken?.lost;
      // The old leader bids again (a new connection, since it let its go) and wins; the other
      // bids on a fresh connection of its own and loses.
      expect((await leader.tryAcquire())?.epoch).toBe(3);
      expect(await follower.tryAcquire()).toBeNull();
      const fresh = await backends(admin, 'hub-b');
      expect(fresh).toHaveLength(1);
      expect(fresh[0]).not.toBe([...pids][0]);
      // A follower's release closes its idle connection.
      await follower.release();
      for (let i = 0; i < 50 && (await backends(admin, 'hub-b')).length > 0; i++) await new Promise((r) => setTimeout(r, 100));
      expect(await backends(admin, 'hub-b')).toEqual([]);
    } finally {
      await leader.release();
      await follower.release();
      await admin.end();
      await store.close();
    }
  }, 60_000);
});
