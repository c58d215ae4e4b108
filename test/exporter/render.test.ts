import { describe, expect, it } from 'vitest';
import type { CachedDevice } from '../../exporter/core/device.js';
import { escapeLabel, renderAccountChunks, renderAccountChunksSliced, renderDevices } from '../../exporter/core/render.js';
import { promtoolCheck } from './helpers.js';

const d = (key: string, extra: Partial<CachedDevice> = {}): CachedDevice => ({ key, name: `dev ${key}`, info: {}, listedAtMs: 0, ...extra });

describe('device series rendering', () => {
  it('escapes backslash, quote and newline in label values', () => {
    expect(escapeLabel('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
    expect(escapeLabel('Арзамас')).toBe('Арзамас');
  });

  it('renders online, last seen, activation and info with uniform labels', () => {
    const text = renderDevices([
      {
        platformId: 'p1',
        keyLabel: 'device_id',
        devices: [d('1', { online: true, lastSeenS: 1748266148.166, activated: true, info: { player_version: '4.1.76', time_zone: '+01:00' } })],
      },
      { platformId: 'p2', keyLabel: 'mac', devices: [d('aa:bb:cc:dd:ee:ff', { mac: 'aa:bb:cc:dd:ee:ff', online: false, info: { status: 'offline' } })] },
    ]);
    expect(text).toContain('signage_device_online{platform_id="p1",device_id="1",name="dev 1"} 1\n');
    expect(text).toContain('signage_device_online{platform_id="p2",mac="aa:bb:cc:dd:ee:ff",name="dev aa:bb:cc:dd:ee:ff"} 0\n');
    expect(text).toContain('signage_device_last_seen_timestamp_seconds{platform_id="p1",device_id="1",name="dev 1"} 1748266148.166\n');
    expect(text).toContain('signage_device_activated{platform_id="p1",device_id="1",name="dev 1"} 1\n');
    expect(text).toContain('signage_device_info{platform_id="p1",device_id="1",name="dev 1",player_version="4.1.76",time_zone="+01:00"} 1\n');
    // Each family appears once, with its headers, before its samples.
    expect(text.match(/# TYPE signage_device_online gauge/g)).toHaveLength(1);
    expect(text.indexOf('# TYPE signage_device_online gauge')).toBeLessThan(text.indexOf('signage_device_online{'));
  });

  it('omits unknown values instead of exporting 0', () => {
    const text = renderDevices([{ platformId: 'p', keyLabel: 'device_id', devices: [d('9')] }]);
    expect(text).not.toMatch(/^signage_device_online\{/m);
    expect(text).not.toMatch(/^signage_device_last_seen_timestamp_seconds\{/m);
    expect(text).not.toMatch(/^signage_device_activated\{/m);
    expect(text).toMatch(/^signage_device_info\{platform_id="p",device_id="9",name="dev 9"\} 1$/m);
  });

  it('adds mac on AddReality series only when the API gave one', () => {
    const text = renderDevices([{ platformId: 'p', keyLabel: 'device_id', devices: [d('1', { online: true, mac: '00:11:22:33:44:55' }), d('2', { online: true })] }]);
    expect(text).toContain('signage_device_online{platform_id="p",device_id="1",mac="00:11:22:33:44:55",name="dev 1"} 1');
    expect(text).toContain('signage_device_online{platform_id="p",device_id="2",name="dev 2"} 1');
  });

  it('passes promtool check metrics, hostile names included', () => {
    const names = ['plain', 'quote " inside', 'back\\slash', 'new\nline', 'Арзамас_Лесная_1', '', '{}=,#'];
    const devices = names.map((name, i) => d(String(i), { name, online: i % 2 === 0, lastSeenS: 1.7e9 + i, activated: i % 3 === 0, info: { player_status: name, connection_state: 'online' } }));
    const text = renderDevices([{ platformId: 'demo', keyLabel: 'device_id', devices }, { platformId: 'demo', keyLabel: 'mac', devices: [d('00:11:22:33:44:55', { online: true, info: { status: 'online' } })] }]);
    const r = promtoolCheck(text);
    expect(r.output).toBe('');
    expect(r.status).toBe(0);
  });

  it('promtool does catch a broken exposition (the check is real)', () => {
    const r = promtoolCheck('# TYPE x_total counter\nx_total{a="1} 1\n');
    expect(r.status).not.toBe(0);
  });
});

describe('sliced rendering', () => {
  it('gives the event loop a turn every slice and renders the same bytes', async () => {
    const devices = Array.from({ length: 25 }, (_, i) => d(String(i), { online: i % 2 === 0, lastSeenS: 1.7e9 + i, info: { player_status: 'playback' } }));
    const a = { platformId: 'p', keyLabel: 'device_id' as const, devices };
    let pauses = 0;
    const sliced = await renderAccountChunksSliced(a, async () => {
      pauses++;
    }, 10);
    expect(pauses).toBe(2);
    expect(Buffer.concat(sliced).toString()).toBe(Buffer.concat(renderAccountChunks(a)).toString());
  });
});
