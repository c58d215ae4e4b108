// The store port's contract suite against the PostgreSQL adapter on a throwaway PostgreSQL 15
// cluster (a fresh database per test), plus what only it does: migrations (once, in order,
// checksummed) and the store unavailable while PostgreSQL is down, then back.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgStore } from '../../hub/store/pg/adapter.js';
import { Db, mergeChanges } from '../../hub/store/pg/db.js';
import { likeContains } from '../../hub/store/pg/jobs.js';
import { probeTrigrams, trigramStats } from '../../hub/store/pg/jobs-search.js';
import { migrate, readMigrations } from '../../hub/store/pg/migrate.js';
import { byName, jobMatches } from '../../hub/store/port-query.js';
import { scopeOf, StaleEpochError, StoreUnavailableError, type StorePort } from '../../hub/store/port.js';
import { type PgCluster, startPostgres } from '../support/postgres.js';
import { storeContract } from './store-contract.js';
import { job, runtime } from './store-contract-fixtures.js';

let cluster: PgCluster;
const urls = new WeakMap<StorePort, string>();

beforeAll(async () => {
  cluster = await startPostgres();
}, 120_000);
afterAll(async () => {
  await cluster?.destroy();
});

async function openAt(url: string): Promise<PgStore> {
  const s = await PgStore.open({ connectionString: url, max: 4, leaderCheckMs: 500 });
  urls.set(s, url);
  return s;
}

storeContract('postgresql', {
  open: async () => openAt(await cluster.createDatabase()),
  peer: (port) => openAt(urls.get(port) as string),
  kill: async (port, holder) => {
    const c = new pg.Client({ connectionString: urls.get(port) as string });
    await c.connect();
    try {
      const r = await c.query('SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = $1', [`gsmjobs-leader ${holder}`]);
      expect(r.rows).toEqual([{ ok: true }]);
    } finally {
      await c.end();
    }
  },
  close: (port) => port.close(),
});

describe('postgresql adapter: pure parts', () => {
  it('one notification per aggregate and platform per transaction; ids merged, or null when many', () => {
    const many = Array.from({ length: 600 }, (_, i) => `execution-${i}`);
    expect(
      mergeChanges([
        { aggregate: 'jobs', platform_id: 'a', ids: ['j1'] },
        { aggregate: 'jobs', platform_id: 'a', ids: ['j2', 'j1'] },
        { aggregate: 'jobs', platform_id: 'b', ids: ['j3'] },
        { aggregate: 'runtime', platform_id: 'a', ids: ['j1'] },
        { aggregate: 'runtime', platform_id: 'a', ids: null },
        { aggregate: 'executions', platform_id: 'a', ids: many },
      ]),
    ).toEqual([
      { aggregate: 'jobs', platform_id: 'a', ids: ['j1', 'j2'] },
      { aggregate: 'jobs', platform_id: 'b', ids: ['j3'] },
      { aggregate: 'runtime', platform_id: 'a', ids: null },
      // 600 ids would pass pg_notify's 8,000-byte payload limit.
      { aggregate: 'executions', platform_id: 'a', ids: null },
    ]);
  });
  it('LIKE patterns: the needle\'s own % _ and \\ match literally', () => {
    expect(likeContains('50%_a\\b')).toBe('%50\\%\\_a\\\\b%');
  });
});

describe('postgresql adapter', () => {
  it('migrations apply once, in order; a changed migration file or a newer database is refused', async () => {
    const url = await cluster.createDatabase();
    const pool = new pg.Pool({ connectionString: url, max: 2 });
    try {
      const files = readMigrations();
      expect(await migrate(pool, files)).toEqual(files.map((f) => f.version));
      expect(await migrate(pool, files)).toEqual([]);
      const changed = files.map((f, i) => (i === 0 ? { ...f, checksum: 'x' } : f));
      await expect(migrate(pool, changed)).rejects.toThrow(/changed after it was applied/);
      await expect(migrate(pool, [])).rejects.toThrow(/newer than this hub/);
      // A failing migration leaves nothing behind (one transaction).
      const dir = mkdtempSync(join(tmpdir(), 'gsmjobs-mig-'));
      writeFileSync(join(dir, '0001_a.sql'), 'CREATE TABLE t_ok (x int);');
      writeFileSync(join(dir, '0002_b.sql'), 'CREATE TABLE t_bad (x nosuchtype);');
      const fresh = new pg.Pool({ connectionString: await cluster.createDatabase(), max: 1 });
      await expect(migrate(fresh, readMigrations(dir))).rejects.toThrow(/nosuchtype/);
      expect((await fresh.query("SELECT to_regclass('t_ok') AS t")).rows[0]).toEqual({ t: null });
      await fresh.end();
    } finally {
      await pool.end();
    }
  });

  it('fencing is linear: a new leader\'s epoch bump waits for the old leader\'s write in flight, and every later old write is refused', async () => {
    const url = await cluster.createDatabase();
    const s = await openAt(url);
    const other = await openAt(url);
    const killer = new pg.Client({ connectionString: url });
    killer.on('error', () => undefined);
    const lb = other.leadership('hub-b');
    try {
      await s.jobs.put(scopeOf('alpha'), job('alpha', 'j1'));
      const la = s.leadership('hub-a');
      const a = await la.tryAcquire();
      const epochA = a?.epoch ?? -1;
      let open!: () => void;
      const gate = new Promise<void>((r) => (open = r));
      let started!: () => void;
      const inside = new Promise<void>((r) => (started = r));
      // The old leader's write: begun (epoch checked, leadership row held FOR SHARE), not committed.
      const inflight = new Db(s.pool, epochA).tx(async (tx) => {
        await tx.query("UPDATE job_runtime SET state = 'x' WHERE false");
        started();
        await gate;
        await tx.query("INSERT INTO job_runtime (job_id, platform_id, state, enabled, doc, epoch) VALUES ('j1', 'alpha', 'firing', true, $2, $1)", [epochA, JSON.stringify(runtime('firing'))]);
      });
      await inside;
      await killer.connect();
      await killer.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'gsmjobs-leader hub-a'");
      await a?.lost;
      let b = null as Awaited<ReturnType<typeof lb.tryAcquire>>;
      const bidding = (async () => {
        while (!(b = await lb.tryAcquire())) await new Promise((r) => setTimeout(r, 50));
      })();
      // hub-b holds the lock and waits for the row lock of the write in flight.
      for (let waited = 0; ; waited += 50) {
        const r = await killer.query("SELECT wait_event_type FROM pg_stat_activity WHERE application_name = 'gsmjobs-leader hub-b'");
        if (r.rows[0]?.wait_event_type === 'Lock') break;
        if (waited > 15_000) throw new Error('hub-b never waited for the write in flight');
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(b).toBeNull();
      open();
      await inflight;
      await bidding;
      expect(b?.epoch).toBe(epochA + 1);
      expect((await s.runtime.get(scopeOf('alpha'), 'j1'))?.state).toBe('firing');
      await expect(s.fenced(epochA).runtime.putMany(scopeOf('alpha'), new Map([['j1', runtime('ok')]]))).rejects.toBeInstanceOf(StaleEpochError);
    } finally {
      await killer.end().catch(() => undefined);
      await lb.release();
      await other.close();
      await s.close();
    }
  }, 60_000);

  it('while PostgreSQL is down a call fails with StoreUnavailableError; after it is back the same store works', async () => {
    const s = await openAt(await cluster.createDatabase());
    try {
      await s.jobs.put(scopeOf('alpha'), job('alpha', 'j1'));
      await cluster.stop();
      await expect(s.jobs.get(scopeOf('alpha'), 'j1')).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(s.jobs.put(scopeOf('alpha'), job('alpha', 'j2'))).rejects.toBeInstanceOf(StoreUnavailableError);
      await cluster.start();
      expect((await s.jobs.get(scopeOf('alpha'), 'j1'))?.version).toBe(1);
      expect((await s.jobs.put(scopeOf('alpha'), job('alpha', 'j1'))).version).toBe(2);
      expect(await s.jobs.get(scopeOf('alpha'), 'j2')).toBeUndefined();
    } finally {
      await s.close();
    }
  }, 60_000);

  it('text search: with statistics only the rare trigrams are probed, a needle of common ones walks the name order; the matches stay LIKE ones', async () => {
    const s = await openAt(await cluster.createDatabase());
    try {
      const A = scopeOf('alpha');
      const jobs = Array.from({ length: 600 }, (_, i) => job('alpha', `t${String(i).padStart(3, '0')}`, { name: `Player_${i} uptime`, key: String(10000 + i) }));
      await s.jobs.putMany(A, jobs);
      await s.pool.query('ANALYZE jobs');
      const stats = await trigramStats(s.pool);
      expect(stats.floor).not.toBeNull();
      expect(stats.freq.get('pla')).toBeGreaterThan(0.9);
      const probed = probeTrigrams('player_123', stats);
      expect(probed).toContain('123');
      expect(probed).not.toContain('pla');
      expect(probeTrigrams('yer_59', stats)).toBeNull();
      for (const q of ['player_123', 'PLAYER_59', 'player', 'yer_59', '_12', '0123', 'zzz']) {
        const want = jobs.filter((j) => jobMatches(j, { q }, undefined)).sort(byName).map((j) => j.id);
        const page = await s.jobs.list(A, { q, limit: 1000, offset: 0, countCap: 1000 });
        expect({ q, total: page.total, ids: page.items.map((j) => j.id) }).toEqual({ q, total: want.length, ids: want });
      }
    } finally {
      await s.close();
    }
  }, 60_000);
});
