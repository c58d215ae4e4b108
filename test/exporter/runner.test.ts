import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { systemClock } from '../../hub/common/clock.js';
import { AccountRunner } from '../../exporter/runner.js';
import { AddRealitySource } from '../../exporter/sources/addreality.js';
import { BASE, TOKEN, fastRetry, makeSim, memoryLog, simFetch } from './helpers.js';

const MIN = 60_000;

function setup(token = TOKEN, devices = 5, badRecordRate = 0) {
  const sim = makeSim({ devices, bad_record_rate: badRecordRate });
  const { log, lines } = memoryLog([token]);
  const refreshes: boolean[] = [];
  const source = new AddRealitySource(
    { base_url: BASE, token, page_size: 300, offset_param: 'offset', limit_param: 'limit', ids_param: 'id', max_pages: 10, retry: { ...fastRetry, attempts: 2 } },
    { fetch: simFetch(sim), clock: systemClock, random: () => 0.5 },
  );
  const runner = new AccountRunner({ name: 'main', platformId: 'demo', platform: 'addreality', intervalMs: MIN, graceMs: 10 * MIN }, { source, clock: systemClock, log, onRefresh: (_r, ok) => refreshes.push(ok) });
  return { sim, runner, lines, refreshes };
}

describe('AccountRunner (fake timers)', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('refreshes at start and then on the interval', async () => {
    const { sim, runner, refreshes } = setup();
    runner.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(runner.devices.size).toBe(5);
    expect(runner.up).toBe(true);
    expect(runner.text()).toContain('device_id="30000"');
    sim.state.set('30000', { connection_state: 'offline' });
    await vi.advanceTimersByTimeAsync(MIN - 1);
    expect(runner.devices.get('30000')!.online).toBe(true);
    await vi.advanceTimersByTimeAsync(1);
    expect(runner.devices.get('30000')!.online).toBe(false);
    expect(refreshes).toEqual([true, true]);
    await runner.stop();
  });

  it('keeps serving the last state when the API fails, and recovers', async () => {
    const { sim, runner, lines } = setup();
    runner.start();
    await vi.advanceTimersByTimeAsync(0);
    sim.fail({ mode: 'http', status: 503, api: 'all', retry_after_s: 1, hold_ms: 0 });
    await vi.advanceTimersByTimeAsync(MIN + 5000);
    expect(runner.state).toBe('failing');
    expect(runner.up).toBe(false);
    expect(runner.devices.size).toBe(5);
    expect(runner.text()).toContain('device_id="30004"');
    expect(runner.lastError).toContain('HTTP 503');
    expect(lines.some((l) => l.includes('serving the last known state'))).toBe(true);
    sim.fail(undefined);
    await vi.advanceTimersByTimeAsync(MIN);
    expect(runner.up).toBe(true);
    await runner.stop();
  });

  it('stops polling an account whose token is refused, and says so without the token', async () => {
    const bad = 'bad-token-77aa11';
    const { sim, runner, lines } = setup(bad);
    runner.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(runner.state).toBe('auth_failed');
    expect(runner.polling).toBe(false);
    await vi.advanceTimersByTimeAsync(60 * MIN);
    expect(sim.counters.list).toBe(1);
    const said = lines.join('\n');
    expect(said).toMatch(/refused the token; polling of this account is stopped/);
    expect(said).not.toContain(bad);
    await runner.stop();
  });

  it('waits at least Retry-After before the next refresh when it exceeds the interval', async () => {
    const { sim, runner } = setup();
    sim.fail({ mode: 'rate_limit', retry_after_s: 600, api: 'all', status: 503, hold_ms: 0 });
    runner.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(runner.state).toBe('failing');
    expect(sim.counters.list).toBe(1);
    sim.fail(undefined);
    await vi.advanceTimersByTimeAsync(9 * MIN);
    expect(sim.counters.list).toBe(1);
    await vi.advanceTimersByTimeAsync(MIN);
    expect(sim.counters.list).toBe(2);
    expect(runner.up).toBe(true);
    await runner.stop();
  });

  it('drops a vanished device after the grace period', async () => {
    const { sim, runner } = setup();
    runner.start();
    await vi.advanceTimersByTimeAsync(0);
    sim.state.remove('30001');
    await vi.advanceTimersByTimeAsync(MIN);
    expect(runner.devices.has('30001')).toBe(true);
    expect(runner.vanished).toBe(1);
    await vi.advanceTimersByTimeAsync(10 * MIN);
    expect(runner.devices.has('30001')).toBe(false);
    expect(runner.text()).not.toContain('device_id="30001"');
    await runner.stop();
  });

  it('warns about rejected records when their count changes, not every refresh', async () => {
    const { runner, lines } = setup(TOKEN, 200, 0.1);
    runner.start();
    await vi.advanceTimersByTimeAsync(0);
    await vi.advanceTimersByTimeAsync(MIN);
    await vi.advanceTimersByTimeAsync(MIN);
    const said = lines.filter((l) => l.includes('records rejected'));
    expect(said).toHaveLength(3);
    expect(said.filter((l) => l.includes('"level":"warn"'))).toHaveLength(1);
    expect(runner.rejectedLast).toBeGreaterThan(0);
    expect(runner.devices.size).toBe(200 - runner.rejectedLast);
    await runner.stop();
  });

  it('stop() leaves no timer behind', async () => {
    const { sim, runner } = setup();
    runner.start();
    await vi.advanceTimersByTimeAsync(0);
    await runner.stop();
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(10 * MIN);
    expect(sim.counters.list).toBe(1);
    expect(runner.state).toBe('stopped');
  });
});
