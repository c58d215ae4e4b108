// The store port's contract (issue 20): one suite, run against every adapter
// (store-contract-lowdb.test.ts, store-contract-pg.test.ts). Scoping (platform A never sees B),
// versions (a stale one is refused), commitFiring atomicity, lists with filters and pages as the
// pure predicates define them, fencing, the change feed and leadership.
import { describe, expect, it } from 'vitest';
import type { Execution } from '../../hub/model/execution.js';
import type { Job, JobRuntime } from '../../hub/model/job.js';
import { type Change, emptyGuardrails, type JobQuery, type Leadership, ScopeError, scopeOf, StaleEpochError, type StorePort, VersionConflictError } from '../../hub/store/port.js';
import { byName, executionMatches, jobMatches, newestFirst } from '../../hub/store/port-query.js';
import { AT, controlDevice, delivery, execution, job, platform, runtime, site, webhook } from './store-contract-fixtures.js';

export interface ContractHarness {
  /** A fresh, empty store. */
  open(): Promise<StorePort>;
  /** Another hub's port on the same data (PostgreSQL: its own pool; lowdb: the same process). */
  peer(port: StorePort): Promise<StorePort>;
  /** End a lease the hard way (PostgreSQL: pg_terminate_backend of its connection). */
  kill(port: StorePort, holder: string, l: Leadership): Promise<void>;
  close(port: StorePort): Promise<void>;
}

const A = scopeOf('alpha');
const B = scopeOf('beta');

async function waitFor(cond: () => Promise<boolean> | boolean, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

export function storeContract(name: string, h: ContractHarness): void {
  const withStore = (fn: (s: StorePort) => Promise<void>) => async () => {
    const s = await h.open();
    try {
      await fn(s);
    } finally {
      await h.close(s);
    }
  };

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

    it(
      'commitFiring: the executions and their jobs\u2019 runtimes land together, or neither does',
      withStore(async (s) => {
        await s.jobs.putMany(A, [job('alpha', 'j1'), job('alpha', 'j2')]);
        await s.executions.commitFiring(
          A,
          [execution('alpha', 'e1', { job: 'j1', phase: 'running' }), execution('alpha', 'e2', { job: 'j2' })],
          new Map([
            ['j1', runtime('firing', 5000, 'e1')],
            ['j2', runtime('firing', 5000, 'e2')],
          ]),
        );
        expect((await s.runtime.get(A, 'j1'))?.last_execution_id).toBe('e1');
        expect((await s.executions.get(A, 'e1'))?.version).toBe(1);
        // One execution id belongs to another platform: the whole firing is refused.
        await s.executions.commitFiring(B, [execution('beta', 'eb')], new Map());
        await expect(
          s.executions.commitFiring(A, [execution('alpha', 'e3', { job: 'j1' }), execution('alpha', 'eb', { job: 'j1' })], new Map([['j1', runtime('cooldown', 9000, 'e3')]])),
        ).rejects.toBeInstanceOf(ScopeError);
        expect(await s.executions.get(A, 'e3')).toBeUndefined();
        expect((await s.runtime.get(A, 'j1'))?.last_execution_id).toBe('e1');
        expect(await s.executions.get(A, 'eb')).toBeUndefined();
        expect((await s.executions.get(B, 'eb'))?.platform_id).toBe('beta');
      }),
    );

    it(
      'executions: versions, active ones, list filters and pages (newest first), retention',
      withStore(async (s) => {
        const list: Execution[] = [];
        for (let i = 0; i < 30; i++) {
          list.push(
            execution('alpha', `e${String(i).padStart(2, '0')}`, {
              job: `j${i % 3}`,
              key: `dev-${i % 4}`,
              site: i % 2 ? 's1' : 's2',
              state: i % 5 === 0 ? 'failed' : 'delivered',
              phase: i % 7 === 0 ? 'running' : 'done',
              outcome: i % 3 === 0 ? 'recovered' : null,
              incident: i % 10 === 0 ? 'inc1' : null,
              // Pairs share a created_at: the id breaks the tie.
              created_at: new Date(Date.parse('2026-12-01T00:00:00.000Z') + Math.floor(i / 2) * 60_000).toISOString(),
            }),
          );
        }
        await s.executions.commitFiring(A, list, new Map());
        await s.executions.commitFiring(B, [execution('beta', 'x1', { job: 'j0' })], new Map());
        const queries = [
          {},
          { job_id: 'j1' },
          { key: 'dev-2' },
          { site_id: 's1' },
          { state: 'failed' as const },
          { phase: 'running' as const },
          { outcome: 'recovered' as const },
          { incident_id: 'inc1' },
          { since: '2026-12-01T00:05:00.000Z', until: '2026-12-01T00:10:00Z' },
          { since: '2026-12-01T03:00:00+03:00' },
        ];
        for (const q of queries) {
          const want = list.filter((e) => executionMatches(e, q)).sort(newestFirst);
          for (const [offset, limit] of [
            [0, 100],
            [0, 4],
            [4, 4],
            [27, 10],
          ] as const) {
            const page = await s.executions.list(A, { ...q, offset, limit });
            expect({ q, offset, total: page.total, ids: page.items.map((e) => e.id) }).toEqual({ q, offset, total: want.length, ids: want.slice(offset, offset + limit).map((e) => e.id) });
          }
        }
        expect((await s.executions.list(B, { limit: 100, offset: 0 })).items.map((e) => e.id)).toEqual(['x1']);
        // Active: playbook not done and a run state.
        await s.executions.put(A, { ...execution('alpha', 'live', { phase: 'running' }), run: {} as Execution['run'] }, { ifVersion: null });
        expect((await s.executions.active(A)).map((e) => e.id)).toEqual(['live']);
        expect(await s.executions.active(B)).toEqual([]);
        const live = await s.executions.get(A, 'live');
        await s.executions.put(A, { ...(live as Execution), phase: 'done' }, { ifVersion: live?.version });
        await expect(s.executions.put(A, { ...(live as Execution), phase: 'held' }, { ifVersion: live?.version })).rejects.toBeInstanceOf(VersionConflictError);
        expect(await s.executions.active(A)).toEqual([]);
        // Retention: finished ones beyond 10 go, oldest first; the running ones stay.
        const removed = await s.executions.prune(A, Date.parse('2026-12-01T01:00:00.000Z'), { maxAgeMs: 365 * 86_400_000, maxPerPlatform: 10 });
        expect(removed).toBe(21);
        const left = (await s.executions.list(A, { limit: 100, offset: 0 })).items;
        expect(left).toHaveLength(10);
        expect(left.filter((e) => e.phase === 'running').map((e) => e.id)).toEqual(['e28', 'e21', 'e14', 'e07', 'e00']);
        expect((await s.executions.list(B, { limit: 100, offset: 0 })).total).toBe(1);
      }),
    );

    it(
      'inbound SMS: newest first, bounded per platform, scoped',
      withStore(async (s) => {
        for (let i = 0; i < 5; i++) {
          await s.inbound.add(A, { id: `i${i}`, platform_id: 'alpha', site_id: 's1', from: '+7999', text: `t${i}`, received_at: AT, control_device_id: null, execution_id: null }, 3);
        }
        await s.inbound.add(B, { id: 'ib', platform_id: 'beta', site_id: 's1', from: '+7999', text: 'b', received_at: AT, control_device_id: null, execution_id: null }, 3);
        expect((await s.inbound.list(A, 10)).map((r) => r.id)).toEqual(['i4', 'i3', 'i2']);
        expect((await s.inbound.list(A, 2)).map((r) => r.id)).toEqual(['i4', 'i3']);
        expect((await s.inbound.list(B, 10)).map((r) => r.id)).toEqual(['ib']);
      }),
    );

    it(
      'remediation: settings, guardrail state per platform with versions, uptime marks',
      withStore(async (s) => {
        expect(await s.remediation.settings(A)).toBeNull();
        const settings = { on_call: [], notify_site_id: 's1', device_limit: { max: 3, window_s: 86400 }, sms_budget: { per_hour: 60, sites: {} }, correlation: { window_s: 300, min_count: 10, min_share: 0.2, share_min_count: 3, expire_after_s: 1800 } };
        await s.remediation.putSettings(A, settings);
        expect(await s.remediation.settings(A)).toEqual(settings);
        expect(await s.remediation.settings(B)).toBeNull();

        const st0 = await s.remediation.state(A);
        expect(st0).toEqual({ ...emptyGuardrails(), version: 0 });
        const incident = { id: 'inc1', platform_id: 'alpha', opened_at: 1, held: [], fleet: 10, rule: 'r', status: 'open' as const, released_at: null, released_by: null };
        const st1 = await s.remediation.putState(A, { history: { 'alpha/dev-1': [1000] }, budget: { sent: { s1: [1000] }, queue: [] }, recent: [{ execution_id: 'e1', device_key: 'dev-1', at: 1000 }], incidents: [incident] }, { ifVersion: 0 });
        expect(st1.version).toBe(1);
        await expect(s.remediation.putState(A, emptyGuardrails(), { ifVersion: 0 })).rejects.toBeInstanceOf(VersionConflictError);
        await s.remediation.putState(B, { ...emptyGuardrails(), history: { 'beta/dev-9': [5] } }, { ifVersion: 0 });
        const a = await s.remediation.state(A);
        expect(a).toMatchObject({ version: 1, history: { 'alpha/dev-1': [1000] }, budget: { sent: { s1: [1000] } }, incidents: [{ id: 'inc1' }] });
        expect((await s.remediation.state(B)).incidents).toEqual([]);
        expect((await s.remediation.state(B)).history).toEqual({ 'beta/dev-9': [5] });

        await s.remediation.markUptime(A, 's1', 1000, true);
        await s.remediation.markUptime(A, 's1', 2000, true);
        await s.remediation.markUptime(A, 's1', 3000, false);
        expect(await s.remediation.uptimeMarks(A, 's1')).toEqual([
          { at: 1000, up: true },
          { at: 3000, up: false },
        ]);
        expect(await s.remediation.uptimeMarks(B, 's1')).toEqual([]);
      }),
    );

    it(
      'webhook deliveries: scoped, due ones oldest first, settled ones trimmed beyond the bound',
      withStore(async (s) => {
        await s.deliveries.put(A, delivery('alpha', 'd1', 'delivered', null));
        await s.deliveries.put(A, delivery('alpha', 'd2', 'retrying', 5000));
        await s.deliveries.put(A, delivery('alpha', 'd3', 'pending', 2000));
        await s.deliveries.put(B, delivery('beta', 'd4', 'pending', 1000));
        expect((await s.deliveries.due(A, 6000)).map((d) => d.id)).toEqual(['d3', 'd2']);
        expect((await s.deliveries.due(A, 3000)).map((d) => d.id)).toEqual(['d3']);
        expect((await s.deliveries.byKey(A, 'k-d2', 'w1'))?.id).toBe('d2');
        expect(await s.deliveries.byKey(A, 'k-d4', 'w1')).toBeUndefined();
        await s.deliveries.put(A, delivery('alpha', 'd2', 'delivered', null));
        await s.deliveries.put(A, delivery('alpha', 'd5', 'pending', 1), 3);
        expect((await s.deliveries.list(A)).map((d) => [d.id, d.status])).toEqual([
          ['d2', 'delivered'],
          ['d3', 'pending'],
          ['d5', 'pending'],
        ]);
        expect((await s.deliveries.list(B)).map((d) => d.id)).toEqual(['d4']);
      }),
    );

    it(
      'idempotency keys: the first response wins, per platform; old keys pruned',
      withStore(async (s) => {
        const first = { key: 'k1', request_hash: 'h1', status: 201, body: { id: 'j1' }, created_at: 1000 };
        expect(await s.idempotency.put(A, first)).toEqual(first);
        expect(await s.idempotency.put(A, { ...first, request_hash: 'h2', status: 400, body: null })).toEqual(first);
        expect(await s.idempotency.get(A, 'k1')).toEqual(first);
        expect(await s.idempotency.get(B, 'k1')).toBeUndefined();
        await s.idempotency.put(B, { ...first, created_at: 5000 });
        expect(await s.idempotency.prune(2000)).toBe(1);
        expect(await s.idempotency.get(A, 'k1')).toBeUndefined();
        expect(await s.idempotency.get(B, 'k1')).toBeDefined();
      }),
    );

    it(
      'change feed: another hub hears committed changes with their ids',
      withStore(async (s) => {
        const other = await h.peer(s);
        const seen: Change[] = [];
        const stop = await other.subscribe((c) => seen.push(c));
        try {
          await s.jobs.put(A, job('alpha', 'j1'));
          await s.executions.commitFiring(A, [execution('alpha', 'e1', { job: 'j1' })], new Map([['j1', runtime('firing', 1, 'e1')]]));
          await waitFor(() => seen.some((c) => c.aggregate === 'runtime'));
          expect(seen).toContainEqual({ aggregate: 'jobs', platform_id: 'alpha', ids: ['j1'] });
          expect(seen).toContainEqual({ aggregate: 'executions', platform_id: 'alpha', ids: ['e1'] });
          expect(seen).toContainEqual({ aggregate: 'runtime', platform_id: 'alpha', ids: ['j1'] });
          // A refused write announces nothing.
          const before = seen.length;
          await expect(s.jobs.put(A, job('alpha', 'j1'), { ifVersion: 9 })).rejects.toBeInstanceOf(VersionConflictError);
          await s.sites.put(B, site('beta', 'marker'));
          await waitFor(() => seen.some((c) => c.aggregate === 'sites'));
          expect(seen.slice(before)).toEqual([{ aggregate: 'sites', platform_id: 'beta', ids: ['marker'] }]);
        } finally {
          await stop();
          if (other !== s) await h.close(other);
        }
      }),
    );

    it(
      'fencing and leadership: one holder; after the holder dies another leads with a higher epoch and the old epoch is refused',
      withStore(async (s) => {
        const other = await h.peer(s);
        try {
          await s.jobs.put(A, job('alpha', 'j1'));
          const la = s.leadership('hub-a');
          const lb = other.leadership('hub-b');
          const a = await la.tryAcquire();
          expect(a).not.toBeNull();
          expect(await lb.tryAcquire()).toBeNull();
          const epochA = (a as { epoch: number }).epoch;
          expect(await s.epoch()).toBe(epochA);
          await s.fenced(epochA).executions.commitFiring(A, [execution('alpha', 'e1', { job: 'j1' })], new Map([['j1', runtime('firing', 1, 'e1')]]));

          await h.kill(s, 'hub-a', la);
          await a?.lost;
          let b = await lb.tryAcquire();
          await waitFor(async () => (b ??= await lb.tryAcquire()) !== null);
          const epochB = (b as { epoch: number }).epoch;
          expect(epochB).toBeGreaterThan(epochA);

          // The deposed leader's late writes are refused and change nothing.
          const stale = s.fenced(epochA);
          await expect(stale.executions.commitFiring(A, [execution('alpha', 'e2', { job: 'j1' })], new Map([['j1', runtime('firing', 2, 'e2')]]))).rejects.toBeInstanceOf(StaleEpochError);
          await expect(stale.runtime.putMany(A, new Map([['j1', runtime('ok')]]))).rejects.toMatchObject({ name: 'StaleEpochError', epoch: epochA, current: epochB });
          await expect(stale.executions.put(A, execution('alpha', 'e1', { phase: 'held' }))).rejects.toBeInstanceOf(StaleEpochError);
          await expect(stale.remediation.putState(A, emptyGuardrails())).rejects.toBeInstanceOf(StaleEpochError);
          await expect(stale.deliveries.put(A, delivery('alpha', 'd1', 'pending', 1))).rejects.toBeInstanceOf(StaleEpochError);
          expect(await s.executions.get(A, 'e2')).toBeUndefined();
          expect((await s.runtime.get(A, 'j1'))?.last_execution_id).toBe('e1');
          expect((await s.executions.get(A, 'e1'))?.phase).toBe('done');
          // The new leader writes.
          await other.fenced(epochB).executions.put(A, execution('alpha', 'e1', { phase: 'held' }));
          expect((await s.executions.get(A, 'e1'))?.phase).toBe('held');
          await lb.release();
          await la.release();
        } finally {
          if (other !== s) await h.close(other);
        }
      }),
    );
  });
}
