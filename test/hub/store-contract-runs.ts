// The store port's contract, second half (see store-contract.ts): commitFiring atomicity,
// executions, inbound SMS, remediation state, deliveries, idempotency keys, the change feed,
// fencing and leadership. Called inside the adapter's describe block.
import { expect, it } from 'vitest';
import type { Execution } from '../../hub/model/execution.js';
import { type Change, emptyGuardrails, ScopeError, StaleEpochError, VersionConflictError } from '../../hub/store/port.js';
import { executionMatches, newestFirst } from '../../hub/store/port-query.js';
import { A, AT, B, type ContractHarness, delivery, execution, job, runtime, site, waitFor, withStoreOf } from './store-contract-fixtures.js';

export function runsContract(h: ContractHarness): void {
  const withStore = withStoreOf(h);

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
      'runtime.many and executions.many: the named records of the scope only, in one read',
      withStore(async (s) => {
        await s.jobs.putMany(A, [job('alpha', 'j1'), job('alpha', 'j2'), job('alpha', 'j3')]);
        await s.executions.commitFiring(A, [execution('alpha', 'e1', { job: 'j1' })], new Map([['j1', runtime('firing', 5000, 'e1')], ['j2', runtime('pending', 4000)]]));
        await s.executions.commitFiring(B, [execution('beta', 'eb')], new Map());
        const rts = await s.runtime.many(A, ['j1', 'j2', 'j3', 'missing']);
        expect(rts.get('j1')?.last_execution_id).toBe('e1');
        expect(rts.get('j2')?.state).toBe('pending');
        expect(rts.has('missing')).toBe(false);
        const ex = await s.executions.many(A, ['e1', 'eb', 'nope']);
        expect([...ex.keys()]).toEqual(['e1']);
        expect(ex.get('e1')?.version).toBe(1);
        expect((await s.executions.many(B, ['e1', 'eb'])).has('e1')).toBe(false);
        expect((await s.runtime.many(A, [])).size).toBe(0);
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
        // Active: playbook not done.
        await s.executions.put(A, execution('alpha', 'live', { phase: 'running' }), { ifVersion: null });
        const running = list.filter((e) => e.run.phase === 'running').map((e) => e.id);
        expect((await s.executions.active(A)).map((e) => e.id).sort()).toEqual([...running, 'live'].sort());
        expect(await s.executions.active(B)).toEqual([]);
        const live = await s.executions.get(A, 'live');
        await s.executions.put(A, { ...(live as Execution), run: { ...(live as Execution).run, phase: 'done' } }, { ifVersion: live?.version });
        await expect(s.executions.put(A, { ...(live as Execution), run: { ...(live as Execution).run, phase: 'held' } }, { ifVersion: live?.version })).rejects.toBeInstanceOf(VersionConflictError);
        expect((await s.executions.active(A)).map((e) => e.id).sort()).toEqual(running.sort());
        // Retention: finished ones beyond 10 go, oldest first; the running ones stay.
        const removed = await s.executions.prune(A, Date.parse('2026-12-01T01:00:00.000Z'), { maxAgeMs: 365 * 86_400_000, maxPerPlatform: 10 });
        expect(removed).toBe(21);
        const left = (await s.executions.list(A, { limit: 100, offset: 0 })).items;
        expect(left).toHaveLength(10);
        expect(left.filter((e) => e.run.phase === 'running').map((e) => e.id)).toEqual(['e28', 'e21', 'e14', 'e07', 'e00']);
        expect((await s.executions.list(B, { limit: 100, offset: 0 })).total).toBe(1);
      }),
    );

    it(
      'executions: a message moved along its control device route keeps its hops, modem and accept_by (issue 19)',
      withStore(async (s) => {
        const base = execution('alpha', 'moved', { phase: 'running', state: 'dispatched', site: 's2' });
        const msg = base.messages[0] as Execution['messages'][number];
        const moved: Execution = {
          ...base,
          messages: [
            {
              ...msg,
              attempt: 3,
              agent_seq: -1,
              accept_by: '2026-12-01T00:01:55.000Z',
              hops: [
                { site_id: 's1', first_attempt: 1, last_attempt: 2, state: 'expired', modem: 'm1', left_because: 'not_accepted', left_at: '2026-12-01T00:01:00.000Z' },
                { site_id: 's3', first_attempt: 3, last_attempt: 3, state: 'sent', left_because: 'offline', left_at: '2026-12-01T00:02:00.000Z' },
              ],
            },
            { ...msg, wire_id: 'moved-s1', step: 1, site_id: 's2', state: 'sent', modem: 'm2' },
          ],
        };
        await s.executions.put(A, moved, { ifVersion: null });
        const got = await s.executions.get(A, 'moved');
        expect(got?.messages).toEqual(moved.messages);
        // Listing by site finds it by its messages' current site.
        expect((await s.executions.list(A, { site_id: 's2', limit: 10, offset: 0 })).items.map((e) => e.id)).toEqual(['moved']);
        // A later change (the next hop) replaces the document as a whole.
        const next = { ...moved, messages: moved.messages.map((m, i) => (i === 0 ? { ...m, state: 'sent' as const, modem: 'm7', agent_seq: 2 } : m)) };
        await s.executions.put(A, next, { ifVersion: got?.version });
        expect((await s.executions.get(A, 'moved'))?.messages[0]).toMatchObject({ state: 'sent', modem: 'm7', hops: moved.messages[0]?.hops });
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
        const settings = { on_call: [], notify_site_id: 's1', device_limit: { max: 3, window_s: 86400 }, sms_budget: { per_hour: 60, sites: {} }, correlation: { window_s: 300, min_count: 10, min_share: 0.2, share_min_count: 3, expire_after_s: 1800 }, failover_after_s: 120, time_zone: null };
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
          // (PostgreSQL's job notification may carry the job itself: docs.)
          expect(seen.map(({ aggregate, platform_id, ids }) => ({ aggregate, platform_id, ids }))).toContainEqual({ aggregate: 'jobs', platform_id: 'alpha', ids: ['j1'] });
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
          expect((await s.executions.get(A, 'e1'))?.run.phase).toBe('done');
          // The new leader writes.
          await other.fenced(epochB).executions.put(A, execution('alpha', 'e1', { phase: 'held' }));
          expect((await s.executions.get(A, 'e1'))?.run.phase).toBe('held');
          await lb.release();
          await la.release();
        } finally {
          if (other !== s) await h.close(other);
        }
      }),
    );
}
