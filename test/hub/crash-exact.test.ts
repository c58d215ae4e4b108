// Crash-exact firing at the hub (issue 15), with the real store, poller, playbook engine and
// dispatcher over a fake Prometheus: the episode's deterministic execution (= wire) id, a lost
// firing record that must not fire the episode again, and an execution recorded but never
// started (the hub died between commitFiring and the start) that the restart starts once.
// The same instants in real hub processes killed by SIGKILL: test/e2e/crash-hub*.test.ts.
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dispatchState } from '../../hub/model/execution-view.js';
import { silentLogger } from '../../hub/common/log.js';
import { crashPoint } from '../../hub/dispatch/crash-point.js';
import { episodeExecutionId } from '../../hub/poller/episode.js';
import { Poller } from '../../hub/poller/poller.js';
import { initialRuntime } from '../../hub/model/job.js';
import { createWorld, type World } from './world.js';

const DEVICE = { platform_id: 'a', device_id: 'dev-a-1', name: 'Player a' };

async function fireOnce(w: World, jobId: string): Promise<void> {
  w.prom.set('signage_device_online', DEVICE, 1);
  await w.poller.cycle();
  w.prom.set('signage_device_online', DEVICE, 0);
  w.clock.advance(30_000);
  expect((await w.poller.cycle()).fired).toBe(1);
  await w.publisher.idle();
  expect(w.store.jobRuntime(jobId)?.state).toBe('firing');
}

describe('crash-exact firing (issue 15)', () => {
  it('an episode has a deterministic execution id, and its first command carries it as the wire id', async () => {
    const w = await createWorld();
    const job = w.job('a', { cooldown_s: 0 });
    await w.store.putJob(job);
    await fireOnce(w, job.id);
    const first = w.store.executionList('a')[0];
    const firstId = episodeExecutionId(job.id, `first ${job.updated_at}`);
    expect(first?.id).toBe(firstId);
    expect(first?.id).toMatch(/^[0-9a-z]{25}$/);
    expect(w.pub.on('/a/s1/job').map((j) => j.execution_id)).toEqual([first?.id]);

    // Recovery, then a new episode: a new id, chained from the previous one.
    w.clock.advance(30_000);
    await fireOnce(w, job.id);
    const secondId = episodeExecutionId(job.id, firstId);
    expect(w.store.executionList('a').map((e) => e.id).sort()).toEqual([firstId, secondId].sort());

    // The job edited as the API does it (its runtime reset, `updated_at` moved): the next episode
    // still gets a new id, chained from the latest execution before the edit, and fires.
    w.clock.advance(30_000);
    await w.store.putJob({ ...job, updated_at: new Date(w.clock.now()).toISOString() });
    w.store.setJobRuntime(job.id, initialRuntime(w.clock.now()));
    w.clock.advance(30_000);
    await fireOnce(w, job.id);
    const ids = w.store.executionList('a').map((e) => e.id);
    expect(ids).toHaveLength(3);
    expect(ids).toContain(episodeExecutionId(job.id, secondId));
    expect(new Set(ids).size).toBe(3);
    // Another job with the same history has other ids.
    expect(episodeExecutionId('job-other', `first ${job.updated_at}`)).not.toBe(firstId);
  });

  it("a playbook's later messages are named from the episode's id: distinct and deterministic", async () => {
    const w = await createWorld();
    const send = (text: string) => ({ type: 'send' as const, site_id: 's1', control_device_id: 'cd-a', command: { kind: 'text' as const, text }, expires_s: 900 });
    const job = w.job('a', { steps: [send('first'), send('second')] });
    await w.store.putJob(job);
    await fireOnce(w, job.id);
    const id = episodeExecutionId(job.id, `first ${job.updated_at}`);
    expect(w.pub.on('/a/s1/job').map((j) => [j.execution_id, j.text])).toEqual([[id, 'first']]);
    // The agent reports the first command sent: the playbook goes on to its second send.
    const update = (wire: string, seq: number) => ({ v: 1 as const, type: 'update' as const, execution_id: wire, job_id: job.id, platform_id: 'a', site_id: 's1', state: 'sent' as const, at: new Date(w.clock.now()).toISOString(), attempt: 1, seq });
    expect(await w.dispatcher.handleUpdate(update(id, 0))).toBe(true);
    await w.engine.serial(async () => undefined);
    await w.publisher.idle();
    expect(w.pub.on('/a/s1/job').map((j) => [j.execution_id, j.text])).toEqual([
      [id, 'first'],
      [`${id}-s1`, 'second'],
    ]);
  });

  it("the firing's runtime is set only with its record: a runtime write while the firer waits does not persist `firing` alone", async () => {
    const w = await createWorld();
    const job = w.job('a');
    await w.store.putJob(job);
    w.prom.set('signage_device_online', DEVICE, 1);
    await w.poller.cycle();
    w.prom.set('signage_device_online', DEVICE, 0);
    w.clock.advance(30_000);
    const onDisk: string[] = [];
    // A firer that waits its turn while someone else (an API edit) writes runtime.json, then fails.
    const p2 = new Poller({
      store: w.store,
      query: w.prom.query,
      clock: w.clock,
      log: silentLogger,
      firer: {
        fire: async () => null,
        fireMany: async () => {
          await w.store.saveRuntime();
          onDisk.push((JSON.parse(readFileSync(w.store.runtime.file, 'utf8')) as { jobs: Record<string, { state: string }> }).jobs[job.id]?.state ?? 'none');
          throw new Error('disk full');
        },
      },
    });
    await expect(p2.cycle()).rejects.toThrow('disk full');
    expect(onDisk).toEqual(['ok']);
    // Nothing was recorded, so the episode is still due: the next cycle fires it.
    expect(w.store.jobRuntime(job.id)?.state).toBe('ok');
    w.clock.advance(30_000);
    expect((await w.poller.cycle()).fired).toBe(1);
  });

  it('a crash point is inert unless its point (and job) is asked for', () => {
    // Each of these would SIGKILL this test process if the hook fired.
    crashPoint('after_store', ['j1'], {});
    crashPoint('after_store', ['j1'], { GSMJOBS_CRASH_HUB_POINT: 'after_publish' });
    crashPoint('after_store', ['j1'], { GSMJOBS_CRASH_HUB_POINT: 'after_store', GSMJOBS_CRASH_HUB_JOB: 'j2' });
    crashPoint('after_store', [], { GSMJOBS_CRASH_HUB_POINT: 'after_store' });
    expect(process.pid).toBeGreaterThan(0);
  });

  it('the firing record lost (runtime and firings as before the episode): the same episode is not fired twice', async () => {
    const w = await createWorld();
    const job = w.job('a');
    await w.store.putJob(job);
    w.prom.set('signage_device_online', DEVICE, 1);
    await w.poller.cycle();
    const before = structuredClone(w.store.jobRuntime(job.id));
    expect(before).toMatchObject({ state: 'ok', last_fired_at: null });
    w.prom.set('signage_device_online', DEVICE, 0);
    w.clock.advance(30_000);
    await w.poller.cycle();
    await w.publisher.idle();
    const exec = w.store.executionList('a')[0];
    expect(exec).toBeDefined();

    // The record of the firing is gone (say, a data directory restored from before it), the
    // execution is still there: a new poller decides the episode again and must stop there.
    if (before) w.store.setJobRuntime(job.id, before);
    delete w.store.executions.data.firings;
    const fired: string[] = [];
    const p2 = new Poller({ store: w.store, query: w.prom.query, clock: w.clock, log: silentLogger, firer: { fire: async (j) => (fired.push(j.id), 'x'), fireMany: async (fs) => fs.map((f) => (fired.push(f.job.id), 'x')) } });
    w.clock.advance(30_000);
    const report = await p2.cycle();
    expect(fired).toEqual([]);
    expect(report.fired).toBe(0);
    expect(w.store.jobRuntime(job.id)).toMatchObject({ state: 'firing', last_execution_id: exec?.id });
    expect(w.store.executionList('a')).toHaveLength(1);
  });

  it('recorded but never started (crash after the firing write): the restart starts it once and publishes its job once', async () => {
    const w = await createWorld();
    const job = w.job('a');
    await w.store.putJob(job);
    // Stand-in for the crash: the engine never hears `start` and never flushes.
    w.engine.apply = async () => undefined;
    w.engine.flush = async () => undefined;
    await fireOnce(w, job.id);
    await w.store.flush();
    const armed = w.store.executionList('a');
    expect(armed.map((e) => e.run.phase)).toEqual(['armed']);
    expect(w.pub.on('/a/s1/job')).toEqual([]);

    const w2 = await createWorld(dirname(w.store.definitions.file));
    w2.clock.t = w.clock.t + 5_000;
    expect(w2.store.activeExecutions().map((e) => e.run.phase)).toEqual(['armed']);
    await w2.engine.restart();
    expect(await w2.remediation.resumeArmed()).toBe(1);
    await w2.publisher.idle();
    const exec = w2.store.execution(armed[0]?.id ?? '');
    expect(exec?.run.phase).toBe('running');
    expect(exec && dispatchState(exec)).toBe('dispatched');
    expect(w2.pub.on('/a/s1/job').map((j) => j.execution_id)).toEqual([armed[0]?.id]);
    // Nothing armed is left: another restart starts nothing and sends nothing new.
    expect(await w2.remediation.resumeArmed()).toBe(0);
    await w2.engine.restart();
    await w2.publisher.idle();
    expect(w2.pub.on('/a/s1/job')).toHaveLength(1);
    // The poller does not fire the episode again either.
    w2.clock.advance(30_000);
    w2.prom.set('signage_device_online', DEVICE, 0);
    expect((await w2.poller.cycle()).fired).toBe(0);
  });
});
