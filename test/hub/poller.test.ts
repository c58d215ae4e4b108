// The polling cycle with a fake Prometheus: batching, tenant matchers, firing, persisted state,
// degraded mode.
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dispatchState } from '../../hub/model/execution-view.js';
import { Poller } from '../../hub/poller/poller.js';
import { HubStore } from '../../hub/store/store.js';
import { silentLogger } from '../../hub/common/log.js';
import { createWorld } from './world.js';

const metricQueries = <T extends { promql: string }>(qs: T[]) => qs.filter((q) => !q.promql.startsWith('signage_exporter_account_up{'));

describe('poller', () => {
  it('asks Prometheus once per distinct (platform, metric, key type), not per job', async () => {
    const w = await createWorld();
    const jobs = [];
    for (let i = 0; i < 50; i++) {
      jobs.push(w.job('a', { device: { key_type: 'device_id', key: `d${i}`, name: '' }, conditions: [{ metric: 'm1', op: '>', value: 1 }, { metric: i % 2 ? 'm2' : 'm1', op: '>', value: 1 }] }));
      jobs.push(w.job('b', { device: { key_type: 'mac', key: `mac${i}`, name: '' }, conditions: [{ metric: 'm1', op: '>', value: 1 }] }));
    }
    await w.store.putJobs(jobs);
    const report = await w.poller.cycle();
    expect(report.requests).toBe(3); // a: m1, m2 (device_id); b: m1 (mac)
    // Beside them, one freshness probe per platform (the exporter's account_up, see freshness.test.ts).
    expect(report.probes).toBe(2);
    expect(metricQueries(w.prom.queries).map((q) => q.promql).sort()).toEqual([
      // Series of stale exporter accounts are left out in the same query (freshness.test.ts).
      'max by (platform_id, device_id) (m1{platform_id="a",device_id!=""} unless on (account) (signage_exporter_account_up{platform_id="a"} == 0))',
      'max by (platform_id, device_id) (m2{platform_id="a",device_id!=""} unless on (account) (signage_exporter_account_up{platform_id="a"} == 0))',
      'max by (platform_id, mac) (m1{platform_id="b",mac!=""} unless on (account) (signage_exporter_account_up{platform_id="b"} == 0))',
    ]);
    // Each platform's queries go to its own endpoint with its own tenant header.
    for (const q of w.prom.queries) {
      const platform = /platform_id="(\w)"/.exec(q.promql)?.[1];
      expect(q.endpoint.url).toBe(`http://prom-${platform}.invalid`);
      expect(q.endpoint.headers['X-Scope-OrgID']).toBe(`tenant-${platform}`);
    }
  });

  it('fires once, records the execution first, publishes the job, and survives a restart without re-firing', async () => {
    const w = await createWorld();
    const job = w.job('a');
    await w.store.putJob(job);
    w.prom.set('signage_device_online', { platform_id: 'a', device_id: 'dev-a-1', name: 'Player a' }, 1);
    expect((await w.poller.cycle()).fired).toBe(0);
    w.prom.set('signage_device_online', { platform_id: 'a', device_id: 'dev-a-1', name: 'Player a' }, 0);
    w.clock.advance(30_000);
    expect((await w.poller.cycle()).fired).toBe(1);
    await w.publisher.idle();
    const execs = w.store.executionList('a');
    expect(execs).toHaveLength(1);
    expect(execs[0] && dispatchState(execs[0])).toBe('dispatched');
    expect(execs[0]?.trigger).toEqual({ reason: 'condition', values: { signage_device_online: 0 } });
    const jobs = w.pub.on('/a/s1/job');
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ to: '+79160000001', text: '#12#0#1#1#', attempt: 1, execution_id: execs[0]?.id });
    expect(w.pub.on('/events/a/execution').filter((e) => !e.step_state).map((e) => e.state)).toEqual(['created', 'dispatched']);
    expect(w.store.jobRuntime(job.id)).toMatchObject({ state: 'firing', last_execution_id: execs[0]?.id });

    // Restart: a new poller over the reloaded store sees `firing` and does not fire again.
    await w.store.flush();
    const reloaded = new HubStore(w.store.definitions.file.replace(/\/definitions\.json$/, ''));
    await reloaded.load();
    const fires: string[] = [];
    const p2 = new Poller({ store: reloaded, query: w.prom.query, clock: w.clock, log: silentLogger, firer: { fire: async (j) => (fires.push(j.id), 'x') } });
    w.clock.advance(30_000);
    await p2.cycle();
    expect(fires).toEqual([]);
    expect(reloaded.jobRuntime(job.id)?.state).toBe('firing');
  });

  it('decide, record, then act (issue 15): runtime.json lost after the execution was written, the restarted hub does not fire the episode again', async () => {
    const w = await createWorld();
    const job = w.job('a');
    await w.store.putJob(job);
    w.prom.set('signage_device_online', { platform_id: 'a', device_id: 'dev-a-1', name: 'Player a' }, 1);
    await w.poller.cycle();
    await w.store.flush();
    // runtime.json as it was before the firing cycle: the crash came before its write.
    const runtimeFile = w.store.runtime.file;
    const before = readFileSync(runtimeFile, 'utf8');
    expect(JSON.parse(before).jobs[job.id]).toMatchObject({ state: 'ok', last_fired_at: null });
    w.prom.set('signage_device_online', { platform_id: 'a', device_id: 'dev-a-1', name: 'Player a' }, 0);
    w.clock.advance(30_000);
    expect((await w.poller.cycle()).fired).toBe(1);
    await w.publisher.idle();
    await w.store.flush();
    const first = w.store.executionList('a');
    expect(first).toHaveLength(1);
    writeFileSync(runtimeFile, before);

    const reloaded = new HubStore(w.store.definitions.file.replace(/\/definitions\.json$/, ''));
    await reloaded.load();
    expect(reloaded.jobRuntime(job.id)).toMatchObject({ state: 'firing', last_execution_id: first[0]?.id });
    const fires: string[] = [];
    const p2 = new Poller({ store: reloaded, query: w.prom.query, clock: w.clock, log: silentLogger, firer: { fire: async (j) => (fires.push(j.id), 'x') } });
    w.clock.advance(30_000);
    await p2.cycle();
    expect(fires).toEqual([]);
    expect(reloaded.executionList('a').map((e) => e.id)).toEqual([first[0]?.id]);
  });

  it('Prometheus down: nothing fires, states hold, the cycle is degraded', async () => {
    const w = await createWorld();
    const job = w.job('a', { no_data: { mode: 'fire', after_s: 0 } });
    await w.store.putJob(job);
    w.prom.failing = new Error('connection refused');
    const r = await w.poller.cycle();
    expect(r).toMatchObject({ degraded: true, fired: 0, evaluated: 0, skipped: 1 });
    expect(w.poller.degradedCycles).toBe(1);
    expect(w.store.executionList()).toHaveLength(0);
    expect(w.store.jobRuntime(job.id)).toBeUndefined();
    // Back up: data missing now counts as no data and the job fires per its policy.
    w.prom.failing = null;
    const r2 = await w.poller.cycle();
    expect(r2).toMatchObject({ degraded: false, fired: 1 });
    expect(w.store.executionList()[0]?.trigger.reason).toBe('no_data');
  });

  it('after a restart, a data gap counts from the restart, not from the last data seen before it', async () => {
    const w = await createWorld();
    const job = w.job('a', { no_data: { mode: 'fire', after_s: 300 } });
    await w.store.putJob(job);
    // Persisted by an earlier process an hour ago: data was last seen then, state ok.
    w.store.setJobRuntime(job.id, { state: 'ok', since: w.clock.t - 3600_000, cond_since: null, data_at: w.clock.t - 3600_000, last_fired_at: null, last_execution_id: null, nodata_fired: false });
    expect((await w.poller.cycle()).fired).toBe(0);
    w.clock.advance(299_000);
    expect((await w.poller.cycle()).fired).toBe(0);
    w.clock.advance(2_000);
    expect((await w.poller.cycle()).fired).toBe(1);
  });

  it('disabled jobs are neither queried nor evaluated', async () => {
    const w = await createWorld();
    await w.store.putJob(w.job('a', { enabled: false }));
    const r = await w.poller.cycle();
    expect(r.requests).toBe(0);
    expect(metricQueries(w.prom.queries)).toHaveLength(0);
  });

  it('a series of another platform in the answer is ignored', async () => {
    const w = await createWorld();
    await w.store.putJob(w.job('a'));
    // A misbehaving backend that ignores the platform matcher.
    const leaky = w.prom.query;
    w.prom.series = [];
    w.prom.set('signage_device_online', { platform_id: 'b', device_id: 'dev-a-1' }, 0);
    const p = new Poller({
      store: w.store,
      query: async (e) => leaky(e, 'signage_device_online{platform_id="b"}'),
      clock: w.clock,
      log: silentLogger,
      firer: w.remediation,
    });
    const r = await p.cycle();
    expect(r.fired).toBe(0);
  });
});
