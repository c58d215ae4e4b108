// Freshness of a platform's source: the pure rule evaluation, and the poller treating a stale
// platform's data as no data (ignore-jobs stay quiet, no-data-fire jobs fire after their delay).
// Also readiness probing each platform's Prometheus even when it has no jobs.
import { describe, expect, it } from 'vitest';
import { DEFAULT_STALE_RULE, evaluateFreshness, staleGuard, staleQuery, staleRuleOf } from '../../hub/core/freshness.js';
import { platformInput } from '../../hub/model/entities.js';
import { caller } from './api-helpers.js';
import { createWorld } from './world.js';

const row = (labels: Record<string, string>, value: number) => ({ metric: labels, value });

describe('freshness rule (pure)', () => {
  it('is stale while any of the platform series has the value, fresh without series', () => {
    const rule = DEFAULT_STALE_RULE;
    expect(evaluateFreshness(rule, 'a', [])).toMatchObject({ stale: false, series: 0 });
    expect(evaluateFreshness(rule, 'a', [row({ platform_id: 'a', account: 'x' }, 1), row({ platform_id: 'a', account: 'y' }, 1)]).stale).toBe(false);
    const r = evaluateFreshness(rule, 'a', [row({ __name__: 'signage_exporter_account_up', platform_id: 'a', account: 'x' }, 0), row({ platform_id: 'a', account: 'y' }, 0)]);
    expect(r).toEqual({ stale: true, stale_accounts: ['x', 'y'], series: 2, matching: 2, stale_sources: [{ account: 'x' }, { account: 'y' }] });
  });

  it('one stale account of several: per account, not the whole platform', () => {
    const r = evaluateFreshness(DEFAULT_STALE_RULE, 'a', [row({ platform_id: 'a', account: 'ar' }, 1), row({ platform_id: 'a', account: 'cubic' }, 0)]);
    expect(r).toEqual({ stale: false, stale_accounts: ['cubic'], series: 2, matching: 1, stale_sources: [{ account: 'cubic' }] });
    // A stale series without an account label (another source's health) still means the platform.
    expect(evaluateFreshness({ metric: 'up', equals: 0 }, 'a', [row({ platform_id: 'a', instance: 'i1' }, 1), row({ platform_id: 'a', instance: 'i2' }, 0)]).stale).toBe(true);
  });

  it('the guard leaves out series of stale accounts in the metric query itself', () => {
    expect(staleGuard('a', null)).toBeUndefined();
    const guard = staleGuard('p"x', DEFAULT_STALE_RULE)!;
    expect(guard('signage_device_online{platform_id="p\\"x"}')).toBe('signage_device_online{platform_id="p\\"x"} unless on (account) (signage_exporter_account_up{platform_id="p\\"x"} == 0)');
  });

  it('ignores series of another platform and NaN values', () => {
    expect(evaluateFreshness(DEFAULT_STALE_RULE, 'a', [row({ platform_id: 'b' }, 0), row({ platform_id: 'a' }, Number.NaN)])).toMatchObject({ stale: false, series: 0 });
    expect(evaluateFreshness({ metric: 'm', equals: 2 }, 'a', [row({ platform_id: 'a' }, 2)]).stale).toBe(true);
  });

  it('defaults to the exporter rule, null disables it, the query is scoped and escaped', () => {
    expect(staleRuleOf({})).toEqual({ metric: 'signage_exporter_account_up', equals: 0 });
    expect(staleRuleOf({ stale_when: null })).toBeNull();
    expect(staleRuleOf({ stale_when: { metric: 'up', equals: 0 } })).toEqual({ metric: 'up', equals: 0 });
    expect(staleQuery('p"x', DEFAULT_STALE_RULE)).toBe('signage_exporter_account_up{platform_id="p\\"x"}');
    const bad = platformInput.safeParse({ id: 'p1', name: 'P', prometheus: { url: 'http://x' }, stale_when: { metric: 'bad name', equals: 0 } });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(['stale_when', 'metric']);
  });
});

describe('poller with a stale source', () => {
  const dev = { platform_id: 'a', device_id: 'dev-a-1', name: 'Player a' };

  it('a stale platform data counts as no data: ignore-jobs do not fire, no-data-fire jobs fire after their delay', async () => {
    const w = await createWorld();
    const quiet = w.job('a', { for_s: 0 });
    const loud = w.job('a', { device: { key_type: 'device_id', key: 'dev-a-1', name: 'P' }, conditions: [{ metric: 'signage_device_online', op: '==', value: 1 }], no_data: { mode: 'fire', after_s: 300 } });
    await w.store.putJobs([quiet, loud]);
    w.prom.set('signage_device_online', dev, 1);
    w.prom.set('signage_exporter_account_up', { platform_id: 'a', account: 'main' }, 1);
    expect((await w.poller.cycle()).fired).toBe(1); // `loud` holds (online == 1): fresh data fires
    await w.publisher.idle();
    w.store.setJobRuntime(loud.id, { ...w.store.jobRuntime(loud.id)!, state: 'ok', cond_since: null, last_fired_at: null });
    // The API goes away: the exporter serves its cache (the device "offline" value is old) and says so.
    w.prom.set('signage_device_online', dev, 0);
    w.prom.set('signage_exporter_account_up', { platform_id: 'a', account: 'main' }, 0);
    w.clock.advance(30_000);
    const r = await w.poller.cycle();
    expect(r).toMatchObject({ fired: 0, degraded: false });
    expect(r.platforms.a).toMatchObject({ prometheus: 'up', stale: true, freshness: { stale_sources: [{ account: 'main' }] } });
    expect(w.store.jobRuntime(quiet.id)?.state).not.toBe('firing');
    w.clock.advance(301_000);
    const r2 = await w.poller.cycle();
    expect(r2.fired).toBe(1); // only the job that asked to fire on no data
    await w.publisher.idle();
    const execs = w.store.executionList('a');
    expect(execs.filter((e) => e.job_id === quiet.id)).toHaveLength(0);
    expect(execs.filter((e) => e.job_id === loud.id).map((e) => e.trigger.reason)).toContain('no_data');
    // Platform b is unaffected.
    expect(r2.platforms.b).toMatchObject({ prometheus: 'up', stale: false });
  });

  it('fresh again: the offline value is evidence and fires', async () => {
    const w = await createWorld();
    const job = w.job('a');
    await w.store.putJob(job);
    w.prom.set('signage_device_online', dev, 0);
    w.prom.set('signage_exporter_account_up', { platform_id: 'a', account: 'main' }, 0);
    expect((await w.poller.cycle()).fired).toBe(0);
    w.prom.set('signage_exporter_account_up', { platform_id: 'a', account: 'main' }, 1);
    w.clock.advance(30_000);
    expect((await w.poller.cycle()).fired).toBe(1);
  });

  it('a platform with stale_when: null is never stale', async () => {
    const w = await createWorld();
    await w.store.putPlatform({ ...w.store.platform('a')!, stale_when: null });
    await w.store.putJob(w.job('a'));
    w.prom.set('signage_device_online', dev, 0);
    w.prom.set('signage_exporter_account_up', { platform_id: 'a', account: 'main' }, 0);
    const r = await w.poller.cycle();
    expect(r.fired).toBe(1);
    expect(w.prom.queries.some((q) => q.promql === 'vector(1)')).toBe(true);
  });
});

describe('poller with one stale account of a platform', () => {
  it('a CubicMedia outage does not suppress AddReality jobs of the same platform', async () => {
    const w = await createWorld();
    const ar = w.job('a'); // dev-a-1 (device_id) offline -> fires
    const cm = w.job('a', { device: { key_type: 'mac', key: '02:00:00:00:00:01', name: 'Cubic' } });
    await w.store.putJobs([ar, cm]);
    w.prom.set('signage_device_online', { platform_id: 'a', account: 'main', device_id: 'dev-a-1', name: 'P' }, 0);
    w.prom.set('signage_device_online', { platform_id: 'a', account: 'cubic', mac: '02:00:00:00:00:01', name: 'C' }, 0);
    w.prom.set('signage_exporter_account_up', { platform_id: 'a', account: 'main' }, 1);
    // The CubicMedia API is down: its cached "offline" is old, and says nothing.
    w.prom.set('signage_exporter_account_up', { platform_id: 'a', account: 'cubic' }, 0);
    const r = await w.poller.cycle();
    expect(r.platforms.a).toMatchObject({ stale: false, freshness: { stale_accounts: ['cubic'] } });
    expect(r.fired).toBe(1);
    await w.publisher.idle();
    expect(w.store.executionList('a').map((e) => e.job_id)).toEqual([ar.id]);
    // CubicMedia back: its offline value is evidence again.
    w.prom.set('signage_exporter_account_up', { platform_id: 'a', account: 'cubic' }, 1);
    w.clock.advance(30_000);
    expect((await w.poller.cycle()).fired).toBe(1);
    await w.publisher.idle();
    expect(w.store.executionList('a').map((e) => e.job_id).sort()).toEqual([ar.id, cm.id].sort());
  });
});

describe('readiness without jobs', () => {
  it('probes every platform Prometheus each cycle, so /readyz reflects it with no jobs at all', async () => {
    const w = await createWorld();
    const api = caller(w, null);
    w.prom.failing = new Error('connection refused');
    const r = await w.poller.cycle();
    expect(r).toMatchObject({ degraded: true, evaluated: 0, probes: 2 });
    expect(r.platforms.a?.prometheus).toBe('down');
    const down = await api('GET', '/readyz');
    expect(down.status).toBe(503);
    expect(down.body).toMatchObject({ prometheus: 'down', platforms: { total: 2, prometheus_down: 2 } });
    w.prom.failing = null;
    await w.poller.cycle();
    const up = await api('GET', '/readyz');
    expect(up.status).toBe(200);
    expect(up.body).toMatchObject({ prometheus: 'up', platforms: { total: 2, prometheus_down: 0, stale: 0 } });
  });
});
