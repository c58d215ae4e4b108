import { describe, expect, it } from 'vitest';
import { countVanished, mergeRefresh } from '../../exporter/core/account-state.js';
import type { CachedDevice, DeviceRecord } from '../../exporter/core/device.js';
import { normalizeMac } from '../../exporter/core/device.js';

const dev = (key: string, extra: Partial<DeviceRecord> = {}): DeviceRecord => ({ key, name: `n${key}`, online: true, info: {}, ...extra });
const cached = (key: string, listedAtMs: number, extra: Partial<DeviceRecord> = {}): CachedDevice => ({ ...dev(key, extra), listedAtMs });
const GRACE = 3_600_000;

describe('mergeRefresh', () => {
  it('takes listed devices and stamps them', () => {
    const m = mergeRefresh(new Map(), [dev('1'), dev('2')], [], 1000, GRACE);
    expect([...m.devices.values()].map((d) => [d.key, d.listedAtMs])).toEqual([['1', 1000], ['2', 1000]]);
    expect(m).toMatchObject({ vanished: 0, expired: 0 });
  });

  it('keeps a vanished device within the grace period, drops it after', () => {
    const prev = new Map([['1', cached('1', 0)], ['2', cached('2', 0)]]);
    const within = mergeRefresh(prev, [dev('1')], [], GRACE, GRACE);
    expect(within.devices.has('2')).toBe(true);
    expect(within.devices.get('2')!.listedAtMs).toBe(0);
    expect(within.vanished).toBe(1);
    const after = mergeRefresh(within.devices, [dev('1')], [], GRACE + 1, GRACE);
    expect(after.devices.has('2')).toBe(false);
    expect(after.expired).toBe(1);
  });

  it('a rejected record with a key keeps the previous state as listed', () => {
    const prev = new Map([['7', cached('7', 0, { online: false })]]);
    const m = mergeRefresh(prev, [], [{ key: '7', error: 'bad' }, { error: 'no key' }], GRACE * 5, GRACE);
    expect(m.devices.get('7')).toMatchObject({ online: false, listedAtMs: GRACE * 5 });
    expect(m.vanished).toBe(0);
  });

  it('last seen never goes back and is not forgotten when an answer omits it', () => {
    const prev = new Map([['1', cached('1', 0, { lastSeenS: 500 })]]);
    expect(mergeRefresh(prev, [dev('1', { lastSeenS: undefined })], [], 1, GRACE).devices.get('1')!.lastSeenS).toBe(500);
    expect(mergeRefresh(prev, [dev('1', { lastSeenS: 400 })], [], 1, GRACE).devices.get('1')!.lastSeenS).toBe(500);
    expect(mergeRefresh(prev, [dev('1', { lastSeenS: 600 })], [], 1, GRACE).devices.get('1')!.lastSeenS).toBe(600);
  });

  it('counts devices not listed by the last success', () => {
    const m = new Map([['1', cached('1', 10)], ['2', cached('2', 5)]]);
    expect(countVanished(m, 10)).toBe(1);
    expect(countVanished(m, undefined)).toBe(0);
  });
});

describe('normalizeMac', () => {
  it('accepts the usual spellings and refuses the rest', () => {
    expect(normalizeMac('00:1A:2B:3C:4D:5E')).toBe('00:1a:2b:3c:4d:5e');
    expect(normalizeMac('00-1a-2b-3c-4d-5e')).toBe('00:1a:2b:3c:4d:5e');
    expect(normalizeMac('001a.2b3c.4d5e')).toBe('00:1a:2b:3c:4d:5e');
    expect(normalizeMac('001A2B3C4D5E')).toBe('00:1a:2b:3c:4d:5e');
    expect(normalizeMac('00:1A:2B:3C:4D')).toBeUndefined();
    expect(normalizeMac('zz:1A:2B:3C:4D:5E')).toBeUndefined();
  });
});
