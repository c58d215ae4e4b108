import { describe, expect, it } from 'vitest';
import { CubicMediaSource } from '../../exporter/sources/cubicmedia.js';
import type { FetchFn } from '../../exporter/sources/http.js';
import { BASE, fastRetry, httpDeps, makeSim, recordingClock, simFetch } from './helpers.js';

const signal = () => new AbortController().signal;
const one = { ...fastRetry, attempts: 1 };

describe('CubicMedia source (against the simulator)', () => {
  it('asks status-check per configured MAC and maps status/name/ip/outIp with uniform labels', async () => {
    const sim = makeSim({ cubic_players: 2 });
    sim.state.set('02:00:00:00:00:01', { status: 'offline' });
    const urls: string[] = [];
    const f: FetchFn = (u, i) => {
      urls.push(u);
      return simFetch(sim)(u, i);
    };
    const clock = recordingClock();
    const src = new CubicMediaSource({ base_url: `${BASE}/`, macs: ['02-00-00-00-00-00', '020000000001'], concurrency: 2, retry: one }, httpDeps(f, clock));
    const r = await src.fetchDevices(signal());
    expect(urls.sort()).toEqual([`${BASE}/api/v0.1/players/status-check?mac=02-00-00-00-00-00`, `${BASE}/api/v0.1/players/status-check?mac=020000000001`]);
    const byKey = Object.fromEntries(r.devices.map((d) => [d.key, d]));
    expect(byKey['02:00:00:00:00:00']).toMatchObject({ name: 'Cubic_1', mac: '02:00:00:00:00:00', online: true, lastSeenS: clock.now() / 1000, info: {}, net: { ip: '10.0.0.0', out_ip: '203.0.113.10' } });
    expect(byKey['02:00:00:00:00:01']).toMatchObject({ online: false, lastSeenS: undefined, info: {} });
    expect(src.keyLabel).toBe('mac');
  });

  it('an unknown MAC (empty array) is rejected alone', async () => {
    const sim = makeSim({ cubic_players: 1 });
    const r = await new CubicMediaSource({ base_url: BASE, macs: ['02:00:00:00:00:00', '02:00:00:00:00:99'], concurrency: 1, retry: one }, httpDeps(simFetch(sim))).fetchDevices(signal());
    expect(r.devices.map((d) => d.key)).toEqual(['02:00:00:00:00:00']);
    expect(r.rejected).toHaveLength(1);
    expect(r.rejected[0]!.error).toContain('02:00:00:00:00:99');
  });

  it('one failing MAC does not hide the others and keeps its key (previous state kept)', async () => {
    const sim = makeSim({ cubic_players: 3 });
    sim.fail({ mode: 'http', status: 500, count: 1, api: 'cubicmedia', retry_after_s: 1, hold_ms: 0 });
    const r = await new CubicMediaSource({ base_url: BASE, macs: ['02:00:00:00:00:00', '02:00:00:00:00:01', '02:00:00:00:00:02'], concurrency: 1, retry: one }, httpDeps(simFetch(sim))).fetchDevices(signal());
    expect(r.devices).toHaveLength(2);
    expect(r.rejected).toEqual([{ key: '02:00:00:00:00:00', error: expect.stringContaining('HTTP 500') as string }]);
  });

  it('a malformed player record is rejected alone', async () => {
    const sim = makeSim({ cubic_players: 2 });
    sim.state.set('02:00:00:00:00:01', { status: 7 });
    const r = await new CubicMediaSource({ base_url: BASE, macs: ['02:00:00:00:00:00', '02:00:00:00:00:01'], concurrency: 2, retry: one }, httpDeps(simFetch(sim))).fetchDevices(signal());
    expect(r.devices).toHaveLength(1);
    expect(r.rejected[0]).toMatchObject({ key: '02:00:00:00:00:01', error: expect.stringContaining('status') as string });
  });

  it('the run fails when every MAC failed', async () => {
    const sim = makeSim({ cubic_players: 2 });
    sim.fail({ mode: 'http', status: 503, api: 'cubicmedia', retry_after_s: 1, hold_ms: 0 });
    await expect(new CubicMediaSource({ base_url: BASE, macs: ['02:00:00:00:00:00', '02:00:00:00:00:01'], concurrency: 2, retry: one }, httpDeps(simFetch(sim))).fetchDevices(signal())).rejects.toMatchObject({ kind: 'server' });
  });
});
