// The store port's contract (issue 20): one suite, run against every adapter
// (store-contract-lowdb.test.ts, store-contract-pg.test.ts). This file: scoping (platform A never
// sees B), versions (a stale one is refused), jobs with their lists, filters and pages as the pure
// predicates define them; store-contract-runs.ts: commitFiring atomicity, executions,
// remediation state, the change feed, fencing and leadership; store-contract-keys.ts: an
// Idempotency-Key record written with the jobs it created.
import { describe, expect, it } from 'vitest';
import type { Job, JobRuntime } from '../../hub/model/job.js';
import { type JobQuery, ScopeError, VersionConflictError } from '../../hub/store/port.js';
import { byName, jobMatches } from '../../hub/store/port-query.js';
import { A, B, type ContractHarness, controlDevice, job, platform, runtime, site, webhook, withStoreOf } from './store-contract-fixtures.js';
import { pagesContract } from './store-contract-pages.js';
import { sitesContract } from './store-contract-sites.js';
import { runsContract } from './store-contract-runs.js';
import { draftsContract } from './store-contract-drafts.js';
import { keysContract } from './store-contract-keys.js';

export type { ContractHarness } from './store-contract-fixtures.js';

export function storeContract(name: string, h: ContractHarness): void {
  const withStore = withStoreOf(h);

  describe(`store port contract: ${name}`, () => {
    it(
      'platforms: versions start at 1 and grow; a stale or create-only write is refused; found by token hash',
      withStore(async (s) => {
        const p1 = await s.platforms.put(platform('alpha'), { ifVersion: null });
        expect(p1.version).toBe(1);
        await expect(s.platforms.put(platform('alpha'), { ifVersion: null })).rejects.toBeInstanceOf(VersionConflictError);
        const p2 = await s.platforms.put({ ...platform('alpha'), name: 'Renamed' }, { ifVersion: 1 });
        expect(p2.version).toBe(2);
        await expect(s.platforms.put({ ...platform('alpha'), name: 'Lost update' }, { ifVersion: 1 })).rejects.toMatchObject({ name: 'VersionConflictError', current: 2, expected: 1 });
        expect(await s.platforms.get('alpha')).toMatchObject({ name: 'Renamed', version: 2 });
        await s.platforms.put(platform('beta', 'b'.repeat(64)));
        expect((await s.platforms.byTokenHash('b'.repeat(64)))?.id).toBe('beta');
        expect(await s.platforms.byTokenHash('c'.repeat(64))).toBeUndefined();
        expect((await s.platforms.list()).map((p) => p.id)).toEqual(['alpha', 'beta']);
      }),
    );

    it(
      'sites, control devices and webhooks: platform A never sees B; a record under the wrong scope is refused',
      withStore(async (s) => {
        await s.sites.put(A, site('alpha', 's1'));
        await s.sites.put(B, { ...site('beta', 's1'), name: 'Beta site' });
        expect((await s.sites.get(A, 's1'))?.name).toBe('Site s1');
        expect((await s.sites.get(B, 's1'))?.name).toBe('Beta site');
        expect(await s.sites.list(A)).toHaveLength(1);
        expect(await s.sites.delete(B, 's1')).toBe(true);
        expect(await s.sites.get(A, 's1')).toBeDefined();

        await s.controlDevices.put(A, controlDevice('alpha', 'cdA'));
        expect(await s.controlDevices.get(B, 'cdA')).toBeUndefined();
        expect(await s.controlDevices.list(B)).toEqual([]);
        await expect(s.controlDevices.put(B, controlDevice('alpha', 'cdX'))).rejects.toBeInstanceOf(ScopeError);
        // The same id under another platform is another tenant's record: never overwritten.
        await expect(s.controlDevices.put(B, controlDevice('beta', 'cdA'))).rejects.toBeInstanceOf(ScopeError);
        expect(await s.controlDevices.delete(B, 'cdA')).toBe(false);
        expect((await s.controlDevices.get(A, 'cdA'))?.platform_id).toBe('alpha');

        await s.webhooks.put(A, webhook('alpha', 'w1'));
        expect(await s.webhooks.get(B, 'w1')).toBeUndefined();
        const w = await s.webhooks.get(A, 'w1');
        expect(w?.version).toBe(1);
        await expect(s.webhooks.delete(A, 'w1', { ifVersion: 7 })).rejects.toBeInstanceOf(VersionConflictError);
        expect(await s.webhooks.delete(A, 'w1', { ifVersion: 1 })).toBe(true);
        expect(await s.webhooks.list(A)).toEqual([]);
      }),
    );

    it(
      'jobs: versions per job, concurrent writes with one version: exactly one wins',
      withStore(async (s) => {
        const j = await s.jobs.put(A, job('alpha', 'j1'), { ifVersion: null });
        expect(j.version).toBe(1);
        expect(await s.jobs.get(B, 'j1')).toBeUndefined();
        const results = await Promise.allSettled([
          s.jobs.put(A, { ...job('alpha', 'j1'), name: 'first' }, { ifVersion: 1 }),
          s.jobs.put(A, { ...job('alpha', 'j1'), name: 'second' }, { ifVersion: 1 }),
        ]);
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        const lost = results.find((r) => r.status === 'rejected');
        expect((lost as PromiseRejectedResult).reason).toBeInstanceOf(VersionConflictError);
        const now = await s.jobs.get(A, 'j1');
        expect(now?.version).toBe(2);
        expect(['first', 'second']).toContain(now?.name);
        // `version` passed back in is not stored as part of the document.
        const again = await s.jobs.put(A, { ...(now as Job), enabled: false });
        expect(again.version).toBe(3);
        expect(await s.jobs.get(A, 'j1')).toMatchObject({ enabled: false, version: 3 });
      }),
    );

    it(
      'jobs: put with a runtime restarts evaluation in the same write; delete removes the runtime; references found',
      withStore(async (s) => {
        await s.jobs.put(A, job('alpha', 'j1', { site: 's2', controlDevice: 'cd9', webhook: 'w3' }), { runtime: runtime('firing') });
        expect((await s.runtime.get(A, 'j1'))?.state).toBe('firing');
        expect(await s.runtime.get(B, 'j1')).toBeUndefined();
        expect((await s.jobs.referencing(A, { site_id: 's2' })).map((j) => j.id)).toEqual(['j1']);
        expect((await s.jobs.referencing(A, { control_device_id: 'cd9' })).map((j) => j.id)).toEqual(['j1']);
        expect((await s.jobs.referencing(A, { webhook_id: 'w3' })).map((j) => j.id)).toEqual(['j1']);
        expect(await s.jobs.referencing(A, { site_id: 's1' })).toEqual([]);
        expect(await s.jobs.referencing(B, { site_id: 's2' })).toEqual([]);
        expect(await s.jobs.delete(B, 'j1')).toBe(false);
        expect(await s.jobs.delete(A, 'j1')).toBe(true);
        expect(await s.jobs.get(A, 'j1')).toBeUndefined();
        expect(await s.runtime.get(A, 'j1')).toBeUndefined();
        expect(await s.jobs.delete(A, 'j1')).toBe(false);
      }),
    );

    it(
      'jobs: bulk import is all or nothing',
      withStore(async (s) => {
        await s.jobs.put(B, job('beta', 'taken'));
        const batch = [job('alpha', 'n1'), job('alpha', 'n2'), job('alpha', 'taken')];
        await expect(s.jobs.putMany(A, batch)).rejects.toBeInstanceOf(ScopeError);
        expect(await s.jobs.get(A, 'n1')).toBeUndefined();
        expect((await s.jobs.get(B, 'taken'))?.platform_id).toBe('beta');
        expect(await s.jobs.putMany(A, batch.slice(0, 2))).toBe(2);
        expect((await s.jobs.all(A)).map((j) => [j.id, j.version])).toEqual([
          ['n1', 1],
          ['n2', 1],
        ]);
        // Imported again: replaced (version 2), not counted twice; a delete is counted out.
        await s.jobs.putMany(A, batch.slice(0, 2));
        expect(await s.jobs.list(A, { limit: 10, offset: 0 })).toMatchObject({ total: 2, items: [{ id: 'n1', version: 2 }, { id: 'n2', version: 2 }] });
        await s.jobs.delete(A, 'n1');
        expect((await s.jobs.list(A, { limit: 10, offset: 0 })).total).toBe(1);
        expect((await s.jobs.list(B, { limit: 10, offset: 0 })).total).toBe(1);
      }),
    );

    it(
      'jobs list: filters, name order and pages agree with the pure predicate',
      withStore(async (s) => {
        const names = ['Плеер 10', 'плеер 2', 'Alpha', 'alpha', 'Zeta_50%', 'Zeta 50', 'b'];
        const jobs: Job[] = [];
        for (let i = 0; i < 28; i++) {
          jobs.push(
            job('alpha', `j${String(i).padStart(2, '0')}`, {
              name: `${names[i % names.length]} ${i % 3}`,
              key: `dev-${i % 5}`,
              deviceName: i % 4 === 0 ? 'Лобби' : 'Hall',
              enabled: i % 6 !== 0,
              site: i % 2 ? 's1' : 's2',
            }),
          );
        }
        await s.jobs.putMany(A, jobs);
        await s.jobs.putMany(B, [job('beta', 'other', { key: 'dev-1', name: 'Alpha 0' })]);
        const states: JobRuntime['state'][] = ['ok', 'pending', 'firing', 'cooldown', 'no_data'];
        const rts = new Map(jobs.filter((_, i) => i % 4 !== 3).map((j, i) => [j.id, runtime(states[i % states.length] as JobRuntime['state'])]));
        await s.runtime.putMany(A, rts);
        const queries: Array<Omit<JobQuery, 'limit' | 'offset'>> = [
          {},
          { enabled: true },
          { enabled: false },
          { key: 'dev-1' },
          { site_id: 's2' },
          { state: 'ok' },
          { state: 'firing' },
          { state: 'pending', site_id: 's2' },
          { state: 'ok', key: 'dev-1' },
          { state: 'firing', enabled: true },
          { q: 'плеер' },
          { q: 'ЛОББИ' },
          { q: '50%' },
          { q: '_' },
          { q: 'zeta 5', enabled: true, site_id: 's1' },
        ];
        for (const q of queries) {
          const want = jobs.filter((j) => jobMatches(j, q, rts.get(j.id))).sort(byName);
          for (const [offset, limit] of [
            [0, 100],
            [0, 5],
            [5, 5],
            [25, 10],
          ] as const) {
            const page = await s.jobs.list(A, { ...q, offset, limit });
            expect({ q, offset, total: page.total, ids: page.items.map((j) => j.id) }).toEqual({ q, offset, total: want.length, ids: want.slice(offset, offset + limit).map((j) => j.id) });
          }
        }
        expect((await s.jobs.list(B, { limit: 10, offset: 0 })).items.map((j) => j.id)).toEqual(['other']);
        // Disabling a job takes it out of every state, whichever write came first.
        const firing = await s.jobs.list(A, { state: 'firing', limit: 100, offset: 0 });
        const off = firing.items[0] as Job;
        await s.jobs.put(A, { ...off, enabled: false });
        expect(await s.jobs.list(A, { state: 'firing', limit: 100, offset: 0 })).toMatchObject({ total: firing.total - 1 });
        await s.jobs.putMany(A, [{ ...off, enabled: true }]);
        expect((await s.jobs.list(A, { state: 'firing', limit: 100, offset: 0 })).total).toBe(firing.total);
      }),
    );

    it(
      'runtime: a platform writes only its own jobs; unknown jobs are ignored',
      withStore(async (s) => {
        await s.jobs.put(A, job('alpha', 'ja'));
        await s.jobs.put(B, job('beta', 'jb'));
        await s.runtime.putMany(A, new Map([['ja', runtime('pending')], ['jb', runtime('firing')], ['ghost', runtime('firing')]]));
        expect([...(await s.runtime.all(A)).keys()]).toEqual(['ja']);
        expect(await s.runtime.get(B, 'jb')).toBeUndefined();
        expect((await s.runtime.all(B)).size).toBe(0);
      }),
    );

    pagesContract(h);
    sitesContract(h);
    runsContract(h);
    draftsContract(h);
    keysContract(h);
  });
}
