// The leader's working set (hub/store/working-set.ts) over a store port, one suite for both
// adapters (working-set.test.ts runs it over lowdb and over a throwaway PostgreSQL): what it
// loads, how the change feed keeps definitions fresh, that its writes reach the port (in one
// transaction where the callers need it, in call order, only what changed), and fencing.
import { describe, expect, it } from 'vitest';
import { type Execution } from '../../hub/model/execution.js';
import { scopeOf, StaleEpochError, type StorePort } from '../../hub/store/port.js';
import { ApiWorkingSet } from '../../hub/store/working-set-api.js';
import { A, B, controlDevice, delivery, execution, job, platform, runtime, site, waitFor } from './store-contract-fixtures.js';

export interface WorkingSetHarness {
  /** A fresh, empty store. */
  open(): Promise<StorePort>;
  /** Another hub's port on the same data (lowdb: the same one). */
  peer(port: StorePort): Promise<StorePort>;
  close(port: StorePort): Promise<void>;
}

const active = (platform_id: string, id: string, jobId = 'j1'): Execution => ({
  ...execution(platform_id, id, { job: jobId, state: 'created', phase: 'running' }),
  run: { idx: 0, phase: 'running' } as unknown as Execution['run'],
});

async function seed(port: StorePort): Promise<void> {
  for (const p of ['alpha', 'beta']) await port.platforms.put(platform(p));
  await port.sites.put(A, site('alpha', 's1'));
  await port.sites.put(B, site('beta', 's1'));
  await port.controlDevices.put(A, controlDevice('alpha', 'cd1'));
  await port.jobs.put(A, job('alpha', 'j1'));
  await port.jobs.put(A, job('alpha', 'j2'));
  await port.jobs.put(B, job('beta', 'jb'));
  await port.runtime.putMany(A, new Map([['j1', runtime('firing', 1000, 'e-old')]]));
  await port.executions.commitFiring(A, [execution('alpha', 'e-old', { job: 'j1' }), active('alpha', 'e-run')], new Map());
  await port.inbound.add(A, { id: 'in1', platform_id: 'alpha', site_id: 's1', from: '+7999', text: 'OK', received_at: '2026-12-01T10:00:00.000Z', control_device_id: null, execution_id: null }, 10);
  await port.deliveries.put(A, delivery('alpha', 'd1', 'pending', 5000));
  await port.remediation.putState(A, { history: { 'alpha/device_id=x': [1000] }, budget: { sent: { s1: [1000] }, queue: [] }, recent: [], incidents: [] }, { ifVersion: 0 });
}

export function workingSetSuite(name: string, h: WorkingSetHarness): void {
  const withSet = (fn: (ws: ApiWorkingSet, port: StorePort) => Promise<void>) => async () => {
    const port = await h.open();
    const ws = new ApiWorkingSet(port);
    try {
      await seed(port);
      await ws.load();
      await fn(ws, port);
    } finally {
      await ws.close();
      await h.close(port);
    }
  };

  describe(`working set over ${name}`, () => {
    it(
      'loads definitions, runtimes, executions, inbound, deliveries and the guardrail state (per platform in the store, global in memory)',
      withSet(async (ws) => {
        expect(ws.platforms().map((p) => p.id).sort()).toEqual(['alpha', 'beta']);
        expect(ws.site('alpha', 's1')?.name).toBe('Site s1');
        expect(ws.sites().length).toBe(2);
        expect(ws.controlDevice('cd1')?.platform_id).toBe('alpha');
        expect(ws.jobs('alpha').map((j) => j.id).sort()).toEqual(['j1', 'j2']);
        expect(ws.jobs().length).toBe(3);
        expect(ws.jobRuntime('j1')).toMatchObject({ state: 'firing', last_execution_id: 'e-old' });
        expect(ws.executionList('alpha').map((e) => e.id).sort()).toEqual(['e-old', 'e-run']);
        expect(ws.activeExecutions().map((e) => e.id)).toEqual(['e-run']);
        expect(ws.inbound('alpha').map((r) => r.id)).toEqual(['in1']);
        expect(ws.dueDeliveries(6000).map((d) => d.id)).toEqual(['d1']);
        expect(ws.deviceHistory).toEqual({ 'alpha/device_id=x': [1000] });
        expect(ws.budget('alpha').sent).toEqual({ s1: [1000] });
        expect(ws.budget('beta')).toEqual({ sent: {}, queue: [] });
      }),
    );

    it(
      'follows the change feed: a job, site or platform written by another hub appears, a deleted job goes with its runtime',
      withSet(async (ws, port) => {
        const other = await h.peer(port);
        try {
          const v0 = ws.jobsVersion;
          await other.jobs.put(A, job('alpha', 'j3', { name: 'new one' }));
          await other.sites.put(A, { ...site('alpha', 's1'), name: 'Renamed' });
          await other.jobs.delete(A, 'j1');
          await other.platforms.put(platform('gamma'));
          await other.jobs.put(scopeOf('gamma'), job('gamma', 'jg'));
          await waitFor(async () => {
            await ws.settled();
            return ws.job('j3') !== undefined && ws.job('j1') === undefined && ws.site('alpha', 's1')?.name === 'Renamed' && ws.job('jg') !== undefined;
          });
          expect(ws.jobRuntime('j1')).toBeUndefined();
          expect(ws.platform('gamma')).toBeDefined();
          expect(ws.jobsVersion).toBeGreaterThan(v0);
        } finally {
          if (other !== port) await h.close(other);
        }
      }),
    );

    it(
      'commitFiring writes the executions and the runtimes together; in-place changes are written by executions.save(), only what changed',
      withSet(async (ws, port) => {
        const e = active('alpha', 'e-new', 'j2');
        await ws.commitFiring([e], new Map([['j2', runtime('firing', 2000, 'e-new')]]));
        expect((await port.executions.get(A, 'e-new'))?.state).toBe('created');
        expect((await port.runtime.get(A, 'j2'))?.last_execution_id).toBe('e-new');
        const before = (await port.executions.get(A, 'e-run'))?.version;
        // The engine changes the record it holds, then asks for the group commit.
        e.state = 'dispatched';
        e.phase = 'done';
        await ws.executions.save();
        expect((await port.executions.get(A, 'e-new'))).toMatchObject({ state: 'dispatched', phase: 'done' });
        expect((await port.executions.get(A, 'e-run'))?.version).toBe(before);
        // Done: no longer watched; another save writes nothing.
        const v = (await port.executions.get(A, 'e-new'))?.version;
        await ws.executions.save();
        expect((await port.executions.get(A, 'e-new'))?.version).toBe(v);
      }),
    );

    it(
      'writes run in call order: the last of several puts of one execution wins',
      withSet(async (ws, port) => {
        const e = ws.execution('e-run') as Execution;
        const writes: Array<Promise<void>> = [];
        for (const s of ['dispatched', 'accepted', 'sent', 'delivered'] as const) {
          e.state = s;
          e.event_seq++;
          writes.push(ws.putExecution({ ...e }));
        }
        await Promise.all(writes);
        expect((await port.executions.get(A, 'e-run'))?.state).toBe('delivered');
      }),
    );

    it(
      'saveRuntime writes the runtimes set since the last save; saveRemediation writes a platform\'s guardrail state only when it changed, and the deliveries added in memory',
      withSet(async (ws, port) => {
        ws.setJobRuntime('j2', runtime('pending', 3000));
        ws.setJobRuntime('jb', runtime('ok', 3000));
        await ws.saveRuntime();
        expect((await port.runtime.get(A, 'j2'))?.state).toBe('pending');
        expect((await port.runtime.get(B, 'jb'))?.state).toBe('ok');
        const vA = (await port.remediation.state(A)).version;
        const vB = (await port.remediation.state(B)).version;
        ws.deviceHistory = { ...ws.deviceHistory, 'beta/device_id=y': [2000] };
        ws.addDelivery(delivery('beta', 'd2', 'pending', 7000));
        await ws.saveRemediation();
        expect((await port.remediation.state(A)).version).toBe(vA);
        const sb = await port.remediation.state(B);
        expect(sb.version).toBe(vB + 1);
        expect(sb.history).toEqual({ 'beta/device_id=y': [2000] });
        expect((await port.deliveries.list(B)).map((d) => d.id)).toEqual(['d2']);
        await ws.saveRemediation();
        expect((await port.remediation.state(B)).version).toBe(vB + 1);
      }),
    );

    it(
      'fenced: with the epoch of a lease its writes pass; once another hub leads they are refused (StaleEpochError)',
      withSet(async (ws, port) => {
        const la = port.leadership('hub-a');
        const lease = await la.tryAcquire();
        expect(lease).not.toBeNull();
        ws.setEpoch(lease?.epoch ?? 0);
        ws.setJobRuntime('j2', runtime('pending', 3000));
        await ws.saveRuntime();
        await la.release();
        const other = await h.peer(port);
        const lb = other.leadership('hub-b');
        try {
          await waitFor(async () => (await lb.tryAcquire()) !== null);
          ws.setJobRuntime('j2', runtime('firing', 4000));
          await expect(ws.saveRuntime()).rejects.toBeInstanceOf(StaleEpochError);
          await expect(ws.putExecution(active('alpha', 'e-late'))).rejects.toBeInstanceOf(StaleEpochError);
          expect((await port.runtime.get(A, 'j2'))?.state).toBe('pending');
          expect(await port.executions.get(A, 'e-late')).toBeUndefined();
        } finally {
          await lb.release();
          if (other !== port) await h.close(other);
        }
      }),
    );

    it(
      'reload() reads what another leader wrote; pruneExecutions drops finished ones in the store and in memory',
      withSet(async (ws, port) => {
        const other = await h.peer(port);
        try {
          await other.executions.commitFiring(A, [active('alpha', 'e-theirs', 'j2')], new Map([['j2', runtime('firing', 5000, 'e-theirs')]]));
          await ws.reload();
          expect(ws.execution('e-theirs')).toBeDefined();
          expect(ws.jobRuntime('j2')?.last_execution_id).toBe('e-theirs');
          const removed = await ws.pruneExecutions(Date.parse('2027-06-01T00:00:00Z'), { maxAgeMs: 86400_000, maxPerPlatform: 100, maxInboundPerPlatform: 10 });
          expect(removed).toBe(1);
          expect(ws.execution('e-old')).toBeUndefined();
          expect(await port.executions.get(A, 'e-old')).toBeUndefined();
          expect(ws.execution('e-run')).toBeDefined();
        } finally {
          if (other !== port) await h.close(other);
        }
      }),
    );
  });
}
