// The store port's contract (issue 20), part: an Idempotency-Key record written with the job(s)
// it created (JobWriteOptions.idempotency on jobs.put, and on jobs.putMany): both or neither are
// stored; a key already taken (by the middleware's put, or by another hub's create at the same
// instant) writes nothing and fails with IdempotencyKeyTakenError.
import { describe, expect, it } from 'vitest';
import { IdempotencyKeyTakenError, type IdempotencyRecord, VersionConflictError } from '../../hub/store/port.js';
import { A, B, type ContractHarness, job, withStoreOf } from './store-contract-fixtures.js';

const rec = (key: string, hash = 'h1', created_at = 10_000): IdempotencyRecord => ({ key, request_hash: hash, status: 201, body: { v: 1, sealed: hash }, created_at });

export function keysContract(h: ContractHarness): void {
  const withStore = withStoreOf(h);

  describe('idempotency records written with their jobs', () => {
    it(
      'put: the job and its record are stored together; the key again (another job) writes nothing; a refused create stores no record',
      withStore(async (s) => {
        const first = await s.jobs.put(A, job('alpha', 'j1'), { ifVersion: null, idempotency: rec('k1') });
        expect(first.version).toBe(1);
        expect(await s.idempotency.get(A, 'k1')).toEqual(rec('k1'));
        await expect(s.jobs.put(A, job('alpha', 'j2'), { ifVersion: null, idempotency: rec('k1', 'h2') })).rejects.toBeInstanceOf(IdempotencyKeyTakenError);
        expect(await s.jobs.get(A, 'j2')).toBeUndefined();
        expect(await s.idempotency.get(A, 'k1')).toEqual(rec('k1'));
        // A key stored by the middleware's own put is taken as well.
        await s.idempotency.put(A, rec('k2'));
        await expect(s.jobs.put(A, job('alpha', 'j3'), { ifVersion: null, idempotency: rec('k2', 'h3') })).rejects.toBeInstanceOf(IdempotencyKeyTakenError);
        expect(await s.jobs.get(A, 'j3')).toBeUndefined();
        // Keys are per platform.
        expect((await s.jobs.put(B, job('beta', 'j4'), { ifVersion: null, idempotency: rec('k1', 'hb') })).version).toBe(1);
        expect((await s.idempotency.get(B, 'k1'))?.request_hash).toBe('hb');
        // A create refused (the job exists) leaves no record behind.
        await expect(s.jobs.put(A, job('alpha', 'j1'), { ifVersion: null, idempotency: rec('k3') })).rejects.toBeInstanceOf(VersionConflictError);
        expect(await s.idempotency.get(A, 'k3')).toBeUndefined();
        // Only a create carries a record.
        await expect(s.jobs.put(A, job('alpha', 'j1'), { ifVersion: 1, idempotency: rec('k4') })).rejects.toThrow(/only with a create/);
        expect(await s.idempotency.get(A, 'k4')).toBeUndefined();
        expect((await s.jobs.get(A, 'j1'))?.version).toBe(1);
        // Records written with their jobs are pruned like the others.
        expect(await s.idempotency.prune(20_000)).toBe(3);
        expect(await s.idempotency.get(A, 'k1')).toBeUndefined();
        expect(await s.jobs.get(A, 'j1')).toBeDefined();
      }),
    );

    it(
      'two hubs create under one key at the same instant: exactly one job and the winner\'s record, the other IdempotencyKeyTakenError',
      withStore(async (s) => {
        const peer = await h.peer(s);
        try {
          for (let round = 0; round < 5; round++) {
            const key = `race-${round}`;
            const [a, b] = [`ja${round}`, `jb${round}`];
            const results = await Promise.allSettled([
              s.jobs.put(A, job('alpha', a), { ifVersion: null, idempotency: rec(key, 'ha') }),
              peer.jobs.put(A, job('alpha', b), { ifVersion: null, idempotency: rec(key, 'hb') }),
            ]);
            const won = results.map((r) => r.status === 'fulfilled');
            expect(won.filter(Boolean)).toHaveLength(1);
            const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
            expect(lost.reason).toBeInstanceOf(IdempotencyKeyTakenError);
            const exists = [Boolean(await s.jobs.get(A, a)), Boolean(await s.jobs.get(A, b))];
            expect(exists).toEqual(won);
            expect((await s.idempotency.get(A, key))?.request_hash).toBe(won[0] ? 'ha' : 'hb');
          }
        } finally {
          if (peer !== s) await h.close(peer);
        }
      }),
    );

    it(
      'putMany: the jobs and the record in one transaction; the key taken: none of the jobs',
      withStore(async (s) => {
        expect(await s.jobs.putMany(A, [job('alpha', 'm1'), job('alpha', 'm2')], { idempotency: rec('bulk-1') })).toBe(2);
        expect(await s.idempotency.get(A, 'bulk-1')).toEqual(rec('bulk-1'));
        await expect(s.jobs.putMany(A, [job('alpha', 'm3'), job('alpha', 'm4')], { idempotency: rec('bulk-1', 'h2') })).rejects.toBeInstanceOf(IdempotencyKeyTakenError);
        expect(await s.jobs.get(A, 'm3')).toBeUndefined();
        expect(await s.jobs.get(A, 'm4')).toBeUndefined();
        expect((await s.jobs.all(A)).map((j) => j.id)).toEqual(['m1', 'm2']);
      }),
    );
  });
}
