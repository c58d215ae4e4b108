// The store port's contract for issue 17's leftovers (run by both adapters' files through
// store-contract.ts): web-form drafts (per platform and owner, versions, the owner's bound,
// expiry, shared between two hubs' ports) and the remediation settings' ifVersion checked inside
// the write (two concurrent writes with the same version: exactly one wins).
import { expect, it } from 'vitest';
import { remediationSettings, settingsVersion } from '../../hub/model/remediation.js';
import { type DraftDoc, VersionConflictError } from '../../hub/store/port.js';
import { A, B, type ContractHarness, withStoreOf } from './store-contract-fixtures.js';

const draft = (id: string, owner: string, updated_at: number, step = 1): DraftDoc => ({ id, platform_id: 'alpha', owner, data: { draft: { name: `n-${id}` }, view: { step } }, updated_at });

export function draftsContract(h: ContractHarness): void {
  const withStore = withStoreOf(h);

  it(
    'drafts: created once, replaced only at the version read; only their owner on their platform sees them',
    withStore(async (s) => {
      const d1 = await s.drafts.put(A, draft('d1', 'ann', 1000), { ifVersion: null });
      expect(d1).toMatchObject({ id: 'd1', owner: 'ann', version: 1, updated_at: 1000 });
      await expect(s.drafts.put(A, draft('d1', 'ann', 1001), { ifVersion: null })).rejects.toBeInstanceOf(VersionConflictError);
      const d2 = await s.drafts.put(A, draft('d1', 'ann', 2000, 3), { ifVersion: 1 });
      expect(d2.version).toBe(2);
      await expect(s.drafts.put(A, draft('d1', 'ann', 2500, 4), { ifVersion: 1 })).rejects.toMatchObject({ name: 'VersionConflictError', current: 2, expected: 1 });
      expect(await s.drafts.get(A, 'ann', 'd1')).toEqual({ ...draft('d1', 'ann', 2000, 3), version: 2 });
      // Another owner, another platform: nothing to see, nothing to delete, no way to take the id.
      expect(await s.drafts.get(A, 'bob', 'd1')).toBeUndefined();
      expect(await s.drafts.get(B, 'ann', 'd1')).toBeUndefined();
      expect(await s.drafts.delete(A, 'bob', 'd1')).toBe(false);
      await expect(s.drafts.put(A, draft('d1', 'bob', 3000), { ifVersion: null })).rejects.toBeInstanceOf(VersionConflictError);
      expect(await s.drafts.delete(A, 'ann', 'd1')).toBe(true);
      expect(await s.drafts.get(A, 'ann', 'd1')).toBeUndefined();
      expect(await s.drafts.delete(A, 'ann', 'd1')).toBe(false);
    }),
  );

  it(
    'drafts: an owner keeps the newest maxPerOwner; expire drops what was last changed before the bound',
    withStore(async (s) => {
      for (let i = 1; i <= 4; i++) await s.drafts.put(A, draft(`a${i}`, 'ann', 1000 * i), { ifVersion: null, maxPerOwner: 3 });
      await s.drafts.put(A, draft('b1', 'bob', 500), { ifVersion: null, maxPerOwner: 3 });
      expect(await s.drafts.get(A, 'ann', 'a1')).toBeUndefined();
      for (const id of ['a2', 'a3', 'a4']) expect((await s.drafts.get(A, 'ann', id))?.id).toBe(id);
      expect((await s.drafts.get(A, 'bob', 'b1'))?.id).toBe('b1');
      expect(await s.drafts.expire(2500)).toBe(2); // b1 (500) and a2 (2000)
      expect(await s.drafts.get(A, 'bob', 'b1')).toBeUndefined();
      expect(await s.drafts.get(A, 'ann', 'a2')).toBeUndefined();
      expect((await s.drafts.get(A, 'ann', 'a3'))?.version).toBe(1);
      expect(await s.drafts.expire(2500)).toBe(0);
    }),
  );

  it(
    'drafts: a draft written through one hub\u2019s port is read and continued through another\u2019s',
    withStore(async (s) => {
      const peer = await h.peer(s);
      try {
        await s.drafts.put(A, draft('d1', 'ann', 1000, 2), { ifVersion: null });
        const seen = await peer.drafts.get(A, 'ann', 'd1');
        expect(seen).toMatchObject({ version: 1, data: { view: { step: 2 } } });
        await peer.drafts.put(A, draft('d1', 'ann', 2000, 3), { ifVersion: 1 });
        expect(await s.drafts.get(A, 'ann', 'd1')).toMatchObject({ version: 2, data: { view: { step: 3 } } });
      } finally {
        if (peer !== s) await h.close(peer);
      }
    }),
  );

  it(
    'remediation settings: ifVersion is checked inside the write; two concurrent writes at one version, one wins',
    withStore(async (s) => {
      const defaults = remediationSettings.parse({});
      const a = remediationSettings.parse({ device_limit: { max: 5, window_s: 3600 } });
      const b = remediationSettings.parse({ device_limit: { max: 7, window_s: 3600 } });
      // Nothing stored: the version is the defaults'.
      await expect(s.remediation.putSettings(A, a, { ifVersion: settingsVersion(a), defaults })).rejects.toBeInstanceOf(VersionConflictError);
      const v0 = settingsVersion(defaults);
      const both = await Promise.allSettled([s.remediation.putSettings(A, a, { ifVersion: v0, defaults }), s.remediation.putSettings(A, b, { ifVersion: v0, defaults })]);
      expect(both.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const lost = both.find((r) => r.status === 'rejected');
      expect(lost?.reason).toBeInstanceOf(VersionConflictError);
      const stored = await s.remediation.settings(A);
      expect([settingsVersion(a), settingsVersion(b)]).toContain(settingsVersion(stored ?? defaults));
      // Again with settings stored: the stale version loses, the current one wins.
      await expect(s.remediation.putSettings(A, a, { ifVersion: v0, defaults })).rejects.toBeInstanceOf(VersionConflictError);
      const cur = settingsVersion(stored ?? defaults);
      // (Both writes differ from what is stored: equal content has an equal version.)
      const c = remediationSettings.parse({ device_limit: { max: 9, window_s: 3600 } });
      const d = remediationSettings.parse({ device_limit: { max: 11, window_s: 3600 } });
      const rounds = await Promise.allSettled([s.remediation.putSettings(A, c, { ifVersion: cur, defaults }), s.remediation.putSettings(A, d, { ifVersion: cur, defaults })]);
      expect(rounds.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      // Without ifVersion the write is unconditional.
      await s.remediation.putSettings(A, b);
      expect(await s.remediation.settings(A)).toEqual(b);
    }),
  );
}
