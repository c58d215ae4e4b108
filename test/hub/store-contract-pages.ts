// The store port's contract, continued: keyset pages of the jobs list (a cursor walk gives exactly
// the sorted matches, whatever the filter), the capped count (exact up to the cap, else an
// estimate above it, said so), and the one-statement job write's checks (create-only, stale
// version, deleted, another platform's id, runtime follows `enabled`, change feed).
import { expect, it } from 'vitest';
import type { Execution } from '../../hub/model/execution.js';
import type { Job, JobRuntime } from '../../hub/model/job.js';
import { type Change, type JobQuery, ScopeError, VersionConflictError } from '../../hub/store/port.js';
import { byName, jobMatches } from '../../hub/store/port-query.js';
import { A, B, type ContractHarness, execution, job, runtime, waitFor, withStoreOf } from './store-contract-fixtures.js';

export function pagesContract(h: ContractHarness): void {
  const withStore = withStoreOf(h);

  it(
    'jobs list: a cursor walk (after = last job of the page) gives exactly the sorted matches; total ignores the cursor',
    withStore(async (s) => {
      const names = ['Плеер 10', 'плеер 2', 'Alpha', 'alpha', 'Zeta_50%', 'b', 'b'];
      const jobs: Job[] = [];
      for (let i = 0; i < 31; i++) jobs.push(job('alpha', `k${String(i).padStart(2, '0')}`, { name: names[i % names.length], key: `dev-${i % 4}`, enabled: i % 5 !== 0, site: i % 2 ? 's1' : 's2' }));
      await s.jobs.putMany(A, jobs);
      await s.jobs.putMany(B, [job('beta', 'zz', { name: 'Alpha' })]);
      const rts = new Map(jobs.filter((_, i) => i % 3 === 0).map((j) => [j.id, runtime('firing')] as [string, JobRuntime]));
      await s.runtime.putMany(A, rts);
      const queries: Array<Omit<JobQuery, 'limit' | 'offset'>> = [{}, { enabled: true }, { key: 'dev-1' }, { site_id: 's2' }, { state: 'ok' }, { state: 'firing' }, { q: 'ПЛЕЕР' }, { q: 'b', site_id: 's1' }];
      for (const q of queries) {
        const want = jobs.filter((j) => jobMatches(j, q, rts.get(j.id))).sort(byName).map((j) => j.id);
        const got: string[] = [];
        let after: JobQuery['after'];
        for (let pages = 0; pages < 20; pages++) {
          // Counted up to a cap (as the API asks), so a text search scans once (PostgreSQL).
          const page = await s.jobs.list(A, { ...q, ...(after ? { after } : {}), limit: 4, offset: 0, countCap: 100 });
          expect(page.total_exact ?? true).toBe(true);
          expect({ q, total: page.total }).toEqual({ q, total: want.length });
          got.push(...page.items.map((j) => j.id));
          const last = page.items.at(-1);
          if (page.more !== undefined) expect(page.more).toBe(got.length < want.length);
          if (!last || got.length >= want.length) break;
          after = { name: last.name, id: last.id };
        }
        expect({ q, got }).toEqual({ q, got: want });
        // The runtimes read with the page (when the adapter does) are the page's own.
        const page = await s.jobs.list(A, { ...q, limit: 50, offset: 0 });
        for (const [id, rt] of page.runtimes ?? new Map<string, JobRuntime>()) expect(rts.get(id)?.state ?? 'ok').toBe(rt.state);
      }
      // A cursor then an offset: skip that many more after it.
      const all = jobs.slice().sort(byName);
      const from = all[6] as Job;
      const page = await s.jobs.list(A, { after: { name: from.name, id: from.id }, offset: 2, limit: 3 });
      expect(page.items.map((j) => j.id)).toEqual(all.slice(9, 12).map((j) => j.id));
      const bs = all.filter((j) => jobMatches(j, { q: 'b' }, rts.get(j.id)));
      const bFrom = bs[1] as Job;
      const searched = await s.jobs.list(A, { q: 'b', after: { name: bFrom.name, id: bFrom.id }, offset: 1, limit: 2, countCap: 100 });
      expect({ total: searched.total, ids: searched.items.map((j) => j.id) }).toEqual({ total: bs.length, ids: bs.slice(3, 5).map((j) => j.id) });
      // A cursor past the end: an empty page.
      expect((await s.jobs.list(A, { after: { name: '\u{10ffff}', id: '' }, limit: 3, offset: 0 })).items).toEqual([]);
      // Platform B's job of the same name never shows up in A's walk.
      expect((await s.jobs.list(B, { after: { name: 'Alpha', id: 'a' }, limit: 5, offset: 0 })).items.map((j) => j.id)).toEqual(['zz']);
    }),
  );

  it(
    'jobs list: with countCap the total is exact up to the cap, beyond it an estimate above the cap marked inexact',
    withStore(async (s) => {
      await s.jobs.putMany(A, Array.from({ length: 30 }, (_, i) => job('alpha', `c${String(i).padStart(2, '0')}`, { name: `Job ${i}`, site: i < 20 ? 's1' : 's2' })));
      for (const [q, exact] of [
        [{ site_id: 's1' }, 20],
        [{ site_id: 's2' }, 10],
        [{ q: 'job 1' }, 11],
        [{}, 30],
      ] as const) {
        const under = await s.jobs.list(A, { ...q, countCap: 50, limit: 2, offset: 0 });
        expect({ q, total: under.total, exact: under.total_exact ?? true }).toEqual({ q, total: exact, exact: true });
        const capped = await s.jobs.list(A, { ...q, countCap: 10, limit: 2, offset: 0 });
        if (capped.total_exact === false) expect(capped.total).toBeGreaterThan(10);
        else expect(capped.total).toBe(exact);
        if (exact <= 10) expect(capped).toMatchObject({ total: exact });
        expect(capped.items).toHaveLength(2);
      }
      // Past the cap the estimate plans the filter from text: quotes and backslashes stay values.
      await s.jobs.put(A, job('alpha', 'quote', { name: "O'Brien \\ 'x'); DROP TABLE jobs; --" }));
      const odd = await s.jobs.list(A, { q: "o'brien \\ 'x')", countCap: 0, limit: 5, offset: 0 });
      expect(odd.items.map((j) => j.id)).toEqual(['quote']);
      expect(odd.total).toBeGreaterThanOrEqual(1);
      expect((await s.jobs.list(A, { limit: 1, offset: 0 })).total).toBe(31);
    }),
  );

  it(
    'jobs put: create-only, stale, deleted and foreign ids are refused with the current version; enabled reaches the runtime; the feed hears it',
    withStore(async (s) => {
      const heard: Change[] = [];
      const off = await s.subscribe((c) => heard.push(c));
      try {
        const j1 = await s.jobs.put(A, job('alpha', 'p1'), { ifVersion: null });
        expect(j1.version).toBe(1);
        await expect(s.jobs.put(A, job('alpha', 'p1'), { ifVersion: null })).rejects.toMatchObject({ name: 'VersionConflictError', expected: null, current: 1 });
        await expect(s.jobs.put(A, job('alpha', 'p1'), { ifVersion: 5 })).rejects.toMatchObject({ name: 'VersionConflictError', expected: 5, current: 1 });
        await expect(s.jobs.put(A, job('alpha', 'gone'), { ifVersion: 1 })).rejects.toMatchObject({ name: 'VersionConflictError', expected: 1, current: null });
        expect(await s.jobs.get(A, 'gone')).toBeUndefined();
        await s.jobs.put(B, job('beta', 'pb'));
        await expect(s.jobs.put(A, job('alpha', 'pb'))).rejects.toBeInstanceOf(ScopeError);
        expect(await s.jobs.get(B, 'pb')).toMatchObject({ platform_id: 'beta', version: 1 });
        // Unconditional write: +1; with a runtime: the runtime replaced in the same write.
        expect((await s.jobs.put(A, { ...job('alpha', 'p1'), name: 'renamed' })).version).toBe(2);
        expect((await s.jobs.put(A, job('alpha', 'p1'), { ifVersion: 2, runtime: runtime('firing') })).version).toBe(3);
        expect((await s.runtime.get(A, 'p1'))?.state).toBe('firing');
        expect((await s.jobs.list(A, { state: 'firing', limit: 5, offset: 0 })).items.map((j) => j.id)).toEqual(['p1']);
        await s.jobs.put(A, { ...job('alpha', 'p1'), enabled: false });
        expect((await s.jobs.list(A, { state: 'firing', limit: 5, offset: 0 })).total).toBe(0);
        expect((await s.runtime.get(A, 'p1'))?.state).toBe('firing');
        const created = await Promise.allSettled([s.jobs.put(A, job('alpha', 'race'), { ifVersion: null }), s.jobs.put(A, job('alpha', 'race'), { ifVersion: null })]);
        expect(created.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        expect((created.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason).toBeInstanceOf(VersionConflictError);
        await waitFor(() => heard.some((c) => c.aggregate === 'jobs' && c.platform_id === 'alpha' && (c.ids === null || c.ids.includes('race'))));
      } finally {
        await off();
      }
    }),
  );

  it(
    'executions by message wire id: found in its own platform only, also after a re-send added a message',
    withStore(async (s) => {
      const e1 = execution('alpha', 'x1');
      const e2 = execution('alpha', 'x2');
      await s.executions.commitFiring(A, [e1, e2], new Map());
      await s.executions.commitFiring(B, [execution('beta', 'xb')], new Map());
      expect((await s.executions.byMessage(A, 'x2'))?.id).toBe('x2');
      expect(await s.executions.byMessage(A, 'xb')).toBeUndefined();
      expect(await s.executions.byMessage(B, 'x1')).toBeUndefined();
      expect(await s.executions.byMessage(A, 'nope')).toBeUndefined();
      const resent = { ...e1, messages: [...e1.messages, { ...(e1.messages[0] as Execution['messages'][number]), wire_id: 'x1-r1', step: 1 }] };
      await s.executions.put(A, resent);
      expect(await s.executions.byMessage(A, 'x1-r1')).toMatchObject({ id: 'x1', version: 2 });
      expect((await s.executions.byMessage(A, 'x1'))?.id).toBe('x1');
    }),
  );
}
