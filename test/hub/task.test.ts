// The periodic task: no overlapping runs, no burst of catch-up runs after a stall, clean stop.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Clock } from '../../hub/common/clock.js';
import { PeriodicTask } from '../../hub/poller/task.js';

const clock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

afterEach(() => {
  vi.useRealTimers();
});

describe('PeriodicTask', () => {
  it('runs at the interval and never overlaps a slow run', async () => {
    vi.useFakeTimers({ now: 0 });
    let active = 0;
    let maxActive = 0;
    const starts: number[] = [];
    const task = new PeriodicTask({
      intervalMs: 1000,
      clock,
      run: async () => {
        active++;
        maxActive = Math.max(maxActive, active);
        starts.push(Date.now());
        await new Promise((r) => setTimeout(r, 2500)); // slower than the interval
        active--;
      },
    });
    task.start();
    await vi.advanceTimersByTimeAsync(11_800);
    await task.stop();
    expect(maxActive).toBe(1);
    // Starts at 0, then after each 2.5 s run the next slot aligned to the 1 s grid: 3000, 6000, 9000.
    expect(starts).toEqual([0, 3000, 6000, 9000]);
    expect(task.skipped).toBeGreaterThan(0);
  });

  it('after a stall it does not run the missed cycles back to back', async () => {
    vi.useFakeTimers({ now: 0 });
    const starts: number[] = [];
    let stall = true;
    const task = new PeriodicTask({
      intervalMs: 1000,
      clock,
      run: async () => {
        starts.push(Date.now());
        if (stall) {
          stall = false;
          vi.setSystemTime(Date.now() + 30_000); // the machine was suspended for 30 s
        }
      },
    });
    task.start();
    await vi.advanceTimersByTimeAsync(3500);
    await task.stop();
    const afterStall = starts.slice(1);
    expect(afterStall.length).toBeLessThanOrEqual(4);
    for (let i = 1; i < afterStall.length; i++) expect((afterStall[i] as number) - (afterStall[i - 1] as number)).toBeGreaterThanOrEqual(1000);
  });

  it('stop() waits for the run in progress, aborts its signal, and leaves no timer', async () => {
    vi.useFakeTimers({ now: 0 });
    let aborted = false;
    const task = new PeriodicTask({
      intervalMs: 1000,
      clock,
      run: async (signal) => {
        await new Promise((r) => setTimeout(r, 500));
        aborted = signal.aborted;
      },
    });
    task.start();
    await vi.advanceTimersByTimeAsync(100);
    const stopped = task.stop();
    await vi.advanceTimersByTimeAsync(500);
    await stopped;
    expect(aborted).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('errors are reported and the schedule continues', async () => {
    vi.useFakeTimers({ now: 0 });
    const errors: unknown[] = [];
    let n = 0;
    const task = new PeriodicTask({
      intervalMs: 1000,
      clock,
      run: async () => {
        n++;
        throw new Error('boom');
      },
      onError: (e) => errors.push(e),
    });
    task.start();
    await vi.advanceTimersByTimeAsync(2500);
    await task.stop();
    expect(n).toBe(3);
    expect(errors).toHaveLength(3);
  });
});

describe('PeriodicTask.soon', () => {
  it('runs once after the delay for a burst of requests, and after a run in progress', async () => {
    vi.useFakeTimers({ now: 0 });
    const starts: number[] = [];
    const task = new PeriodicTask({
      intervalMs: 60_000,
      clock,
      run: async () => {
        starts.push(Date.now());
        await new Promise((r) => setTimeout(r, 500));
      },
    });
    task.soon(); // not started: ignored
    task.start(); // immediate run at 0 (until 500)
    await vi.advanceTimersByTimeAsync(100);
    task.soon(200);
    task.soon(200);
    task.soon(200);
    await vi.advanceTimersByTimeAsync(5_000);
    // The requests at 100 coalesce; due at 300 while the first run is busy, it follows it at 500.
    expect(starts).toEqual([0, 500]);
    task.soon(1000);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(starts).toEqual([0, 500, 6100]);
    // The regular schedule is unchanged.
    await vi.advanceTimersByTimeAsync(60_000);
    expect(starts).toEqual([0, 500, 6100, 60_000]);
    task.soon(1000);
    await task.stop();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(starts).toHaveLength(4);
  });
});
