// The API token -> platform cache of the PostgreSQL adapter (hub/store/pg/token-cache.ts): served
// only while the change feed listens, cleared by this hub's own platform writes at once and by
// another hub's through the feed, never serving a revoked token once its notification arrived,
// and not caching at all while the feed is down. Two PgStores on one database play two hubs.
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import type { Platform } from '../../hub/model/entities.js';
import { hashToken } from '../../hub/mqtt/passwords.js';
import { PgStore } from '../../hub/store/pg/adapter.js';
import { TokenCache } from '../../hub/store/pg/token-cache.js';
import { countStatements, useCluster } from '../support/pg-cluster.js';
import { waitFor } from './store-contract-fixtures.js';

const cluster = useCluster();

const AT = '2026-12-07T10:00:00.000Z';
const TOKEN_A = hashToken('token-a-0123456789abcdefghij');
const TOKEN_B = hashToken('token-b-0123456789abcdefghij');
const platform = (hashes: string[]): Platform => ({
  id: 'ar',
  name: 'AR',
  prometheus: { url: 'http://127.0.0.1:9', headers: {} },
  tokens: hashes.map((hash, i) => ({ id: `t${i}`, hash, label: `t${i}`, created_at: AT })),
  events_password: null,
  created_at: AT,
});

/** Statements the store's pool sends (a cache hit sends none). */
const counted = (s: PgStore) => countStatements(s.pool);

describe('TokenCache (unit)', () => {
  const p = { ...platform([TOKEN_A]), version: 1 };
  it('serves a copy while the feed connection that saw the fill lives, until the TTL', () => {
    let serial: number | null = 1;
    let now = 0;
    const c = new TokenCache({ liveSerial: () => serial }, () => now, 5000);
    c.fill('h', p, c.begin());
    const got = c.get('h');
    expect(got).toEqual(p);
    expect(got).not.toBe(p);
    now = 4999;
    expect(c.get('h')?.id).toBe('ar');
    now = 5000;
    expect(c.get('h')).toBeUndefined();
    now = 0;
    c.fill('h', p, c.begin());
    serial = 2; // the feed re-connected: changes may have been missed
    expect(c.get('h')).toBeUndefined();
    serial = null;
    c.fill('h', p, c.begin());
    expect(c.size).toBe(0);
  });
  it('drops a lookup that began before a clear, and bounds its size', () => {
    const c = new TokenCache({ liveSerial: () => 1 }, () => 0, 5000, 3);
    const t = c.begin();
    c.clear();
    c.fill('h', p, t);
    expect(c.get('h')).toBeUndefined();
    for (let i = 0; i < 5; i++) c.fill(`h${i}`, p, c.begin());
    expect(c.size).toBe(3);
    expect(c.get('h0')).toBeUndefined();
    expect(c.get('h4')?.id).toBe('ar');
  });
});

describe('PgStore token cache', () => {
  it('reads the store once while the feed listens; a revocation by another hub ends it', async () => {
    const url = await cluster().createDatabase();
    const a = await PgStore.open({ connectionString: url, max: 2 });
    const b = await PgStore.open({ connectionString: url, max: 2 });
    try {
      await a.platforms.put(platform([TOKEN_A, TOKEN_B]));
      const statements = counted(a);
      // No feed yet: nothing cached, every lookup reads.
      expect((await a.platforms.byTokenHash(TOKEN_A))?.id).toBe('ar');
      expect((await a.platforms.byTokenHash(TOKEN_A))?.id).toBe('ar');
      expect(statements()).toBe(2);
      const changes: string[] = [];
      const stop = await a.subscribe((c) => changes.push(c.aggregate));
      await a.platforms.byTokenHash(TOKEN_A);
      await a.platforms.byTokenHash(TOKEN_A);
      await a.platforms.byTokenHash(TOKEN_A);
      expect(statements()).toBe(3);
      // Hub b revokes token A: hub a refuses it once the notification arrived.
      const cur = await b.platforms.get('ar');
      await b.platforms.put(platform([TOKEN_B]), { ifVersion: cur?.version });
      await waitFor(() => changes.includes('platforms'), 5000);
      expect(await a.platforms.byTokenHash(TOKEN_A)).toBeUndefined();
      expect((await a.platforms.byTokenHash(TOKEN_B))?.id).toBe('ar');
      // Wrong tokens are not cached.
      const before = statements();
      await a.platforms.byTokenHash(TOKEN_A);
      expect(statements()).toBe(before + 1);
      await stop();
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("this hub's own revocation holds before its call returns, and a lost feed stops the cache", async () => {
    const url = await cluster().createDatabase();
    const a = await PgStore.open({ connectionString: url, max: 2 });
    try {
      await a.platforms.put(platform([TOKEN_A]));
      const stop = await a.subscribe(() => undefined);
      expect((await a.platforms.byTokenHash(TOKEN_A))?.id).toBe('ar');
      const cur = await a.platforms.get('ar');
      await a.platforms.put(platform([TOKEN_B]), { ifVersion: cur?.version });
      // No waiting for the feed: the write itself cleared the cache.
      expect(await a.platforms.byTokenHash(TOKEN_A)).toBeUndefined();

      // The feed's connection cut: lookups read the store until it listens again.
      expect((await a.platforms.byTokenHash(TOKEN_B))?.id).toBe('ar');
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      const statements = counted(a);
      try {
        const killed = await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'gsmjobs-feed' AND datname = current_database()");
        expect(killed.rowCount).toBe(1);
        // While the feed is gone (the adapter re-connects after about 1 s) the cache is not used.
        await waitFor(async () => {
          const n = statements();
          await a.platforms.byTokenHash(TOKEN_B);
          return statements() === n + 1;
        }, 5000);
        // Back: one read fills it again, the next is served from memory.
        await waitFor(async () => {
          await a.platforms.byTokenHash(TOKEN_B);
          const n = statements();
          await a.platforms.byTokenHash(TOKEN_B);
          return statements() === n;
        }, 10_000);
      } finally {
        await admin.end();
      }
      await stop();
    } finally {
      await a.close();
    }
  });
});
