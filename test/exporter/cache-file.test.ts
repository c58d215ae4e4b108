import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CACHE_FORMAT, loadCache, saveCache } from '../../exporter/store/cache-file.js';
import { CacheWriter } from '../../exporter/store/cache-writer.js';
import { silentLogger } from '../../hub/common/log.js';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'gsmjobs-exp-cache-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const contents = {
  saved_at_ms: 1000,
  accounts: {
    main: { platform_id: 'demo', platform: 'addreality', last_success_ms: 900, devices: [{ key: '1', name: 'a', online: true, lastSeenS: 5, info: { time_zone: '+03:00' }, listedAtMs: 900 }] },
  },
};

describe('persistent cache file', () => {
  it('round-trips, in a subdirectory it creates, leaving no temporary file', async () => {
    const file = join(tmp(), 'sub', 'cache.json');
    await saveCache(file, contents);
    expect(readdirSync(join(file, '..'))).toEqual(['cache.json']);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ format: CACHE_FORMAT, version: 2 });
    // One device per line: the loader streams it (no whole-file parse at 100,000 devices).
    expect(readFileSync(file, 'utf8').split('\n').filter((l) => l.includes('"key"'))).toHaveLength(1);
    const loaded = await loadCache(file);
    expect(loaded).toEqual({ contents, rejected: 0 });
  });

  it('round-trips several accounts with more devices than one write slice', async () => {
    const file = join(tmp(), 'big.json');
    const many = (n: number, p: string) => Array.from({ length: n }, (_, i) => ({ key: `${p}${i}`, name: `Имя "${i}"`, online: i % 2 === 0, info: {}, listedAtMs: i }));
    const big = {
      saved_at_ms: 5,
      accounts: {
        a: { platform_id: 'x', platform: 'addreality', last_success_ms: 4, devices: many(12_001, '') },
        b: { platform_id: 'y', platform: 'cubicmedia', devices: many(3, 'm') },
        c: { platform_id: 'z', platform: 'addreality', devices: [] },
      },
    };
    await saveCache(file, big);
    expect(await loadCache(file)).toEqual({ contents: big, rejected: 0 });
  });

  it('a file torn in the middle of the device lines is reported whole, not half loaded', async () => {
    const file = join(tmp(), 'torn-lines.json');
    const many = Array.from({ length: 50 }, (_, i) => ({ key: String(i), name: 'n', info: {}, listedAtMs: i }));
    await saveCache(file, { saved_at_ms: 1, accounts: { a: { platform_id: 'x', platform: 'addreality', devices: many } } });
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.slice(0, Math.floor(text.length / 2)));
    const r = await loadCache(file);
    expect(r.contents).toBeUndefined();
    expect(r.problem).toMatch(/not valid JSON/);
  });

  it('reads the same JSON written on one line (another layout) whole', async () => {
    const file = join(tmp(), 'one-line.json');
    await saveCache(file, contents);
    writeFileSync(file, JSON.stringify(JSON.parse(readFileSync(file, 'utf8'))));
    expect(await loadCache(file)).toEqual({ contents, rejected: 0 });
  });

  it('upgrades a version 1 file: state out of the info labels into values', async () => {
    const file = join(tmp(), 'v1.json');
    const v1dev = (key: string, info: Record<string, string>) => ({ key, name: key, online: false, info, listedAtMs: 1 });
    const v1 = {
      format: CACHE_FORMAT,
      version: 1,
      saved_at_ms: 2,
      accounts: {
        ar: { platform_id: 'p', platform: 'addreality', devices: [v1dev('1', { player_version: '4.1', player_status: 'error', connection_state: 'offline', activation_state: 'true', time_zone: '+03:00' })] },
        cm: { platform_id: 'p', platform: 'cubicmedia', devices: [v1dev('02:00:00:00:00:01', { status: 'offline', ip: '10.0.0.1', out_ip: '203.0.113.1' })] },
      },
    };
    writeFileSync(file, JSON.stringify(v1));
    const loaded = await loadCache(file);
    expect(loaded.rejected).toBe(0);
    expect(loaded.contents!.accounts.ar!.devices[0]).toEqual({ key: '1', name: '1', online: false, playerStatus: 2, info: { player_version: '4.1', time_zone: '+03:00' }, listedAtMs: 1 });
    expect(loaded.contents!.accounts.cm!.devices[0]).toEqual({ key: '02:00:00:00:00:01', name: '02:00:00:00:00:01', online: false, info: {}, net: { ip: '10.0.0.1', out_ip: '203.0.113.1' }, listedAtMs: 1 });
  });

  it('a missing file is an empty cache without a problem', async () => {
    expect(await loadCache(join(tmp(), 'none.json'))).toEqual({ rejected: 0 });
  });

  it('a torn or foreign file is reported, not fatal', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'torn.json'), '{"format":"gsmjobs-exporter-cache","vers');
    expect((await loadCache(join(dir, 'torn.json'))).problem).toMatch(/not valid JSON/);
    writeFileSync(join(dir, 'other.json'), '{"hello": 1}');
    expect((await loadCache(join(dir, 'other.json'))).problem).toMatch(/not a version 1 or 2 exporter cache/);
  });

  it('bad device records are dropped one by one', async () => {
    const file = join(tmp(), 'c.json');
    const bad = structuredClone(contents) as { accounts: { main: { devices: unknown[] } } };
    bad.accounts.main.devices.push({ key: '', name: 1 }, { key: '2', name: 'b', info: {}, listedAtMs: 1 });
    await saveCache(file, bad as unknown as typeof contents);
    const loaded = await loadCache(file);
    expect(loaded.rejected).toBe(1);
    expect(loaded.contents!.accounts.main!.devices.map((d) => d.key)).toEqual(['1', '2']);
  });

  it('the writer coalesces bursts and writes the latest state', async () => {
    const file = join(tmp(), 'c.json');
    let n = 0;
    const results: boolean[] = [];
    const w = new CacheWriter(file, () => ({ ...contents, saved_at_ms: ++n }), silentLogger, (ok) => results.push(ok));
    for (let i = 0; i < 10; i++) w.schedule();
    await w.flush();
    expect(results.length).toBeLessThanOrEqual(2);
    expect(results.every(Boolean)).toBe(true);
    expect((await loadCache(file)).contents!.saved_at_ms).toBe(n);
  });

  it('the writer reports a failed write', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'blocker'), 'x');
    const results: boolean[] = [];
    const w = new CacheWriter(join(dir, 'blocker', 'c.json'), () => contents, silentLogger, (ok) => results.push(ok));
    w.schedule();
    await w.flush();
    expect(results).toEqual([false]);
  });
});
