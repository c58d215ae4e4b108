import { describe, expect, it } from 'vitest';
import type { CachedDevice } from '../../exporter/core/device.js';
import { gunzipSync } from 'node:zlib';
import { renderAccountGz } from '../../exporter/compressed.js';
import { escapeLabel, renderAccountChunks, renderDevices } from '../../exporter/core/render.js';
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
        account: 'main',
        keyLabel: 'device_id',
        devices: [d('1', { online: true, lastSeenS: 1748266148.166, activated: true, playerStatus: 2, info: { player_version: '4.1.76', time_zone: '+01:00' } })],
      },
      { platformId: 'p2', account: 'cubic', keyLabel: 'mac', devices: [d('aa:bb:cc:dd:ee:ff', { mac: 'aa:bb:cc:dd:ee:ff', online: false, net: { ip: '10.0.0.1', out_ip: '203.0.113.1' } })] },
    ]);
    expect(text).toContain('signage_device_online{platform_id="p1",account="main",device_id="1",name="dev 1"} 1\n');
    expect(text).toContain('signage_device_online{platform_id="p2",account="cubic",mac="aa:bb:cc:dd:ee:ff",name="dev aa:bb:cc:dd:ee:ff"} 0\n');
    expect(text).toContain('signage_device_last_seen_timestamp_seconds{platform_id="p1",account="main",device_id="1",name="dev 1"} 1748266148.166\n');
    expect(text).toContain('signage_device_activated{platform_id="p1",account="main",device_id="1",name="dev 1"} 1\n');
    expect(text).toContain('signage_device_player_status{platform_id="p1",account="main",device_id="1",name="dev 1"} 2\n');
    expect(text).toContain('signage_device_info{platform_id="p1",account="main",device_id="1",name="dev 1",player_version="4.1.76",time_zone="+01:00"} 1\n');
    expect(text).toContain('signage_device_network_info{platform_id="p2",account="cubic",mac="aa:bb:cc:dd:ee:ff",name="dev aa:bb:cc:dd:ee:ff",ip="10.0.0.1",out_ip="203.0.113.1"} 1\n');
    // State is a value, never an `_info` label: a status flip keeps every series.
    expect(text).not.toMatch(/^signage_device_info\{[^}]*(connection_state|player_status|status|ip)=/m);
    // Each family appears once, with its headers, before its samples.
    expect(text.match(/# TYPE signage_device_online gauge/g)).toHaveLength(1);
    expect(text.indexOf('# TYPE signage_device_online gauge')).toBeLessThan(text.indexOf('signage_device_online{'));
  });

  it('omits unknown values instead of exporting 0', () => {
    const text = renderDevices([{ platformId: 'p', account: 'a', keyLabel: 'device_id', devices: [d('9')] }]);
    expect(text).not.toMatch(/^signage_device_online\{/m);
    expect(text).not.toMatch(/^signage_device_last_seen_timestamp_seconds\{/m);
    expect(text).not.toMatch(/^signage_device_activated\{/m);
    expect(text).not.toMatch(/^signage_device_player_status\{/m);
    expect(text).not.toMatch(/^signage_device_network_info\{/m);
    expect(text).toMatch(/^signage_device_info\{platform_id="p",account="a",device_id="9",name="dev 9"\} 1$/m);
  });

  it('adds mac on AddReality series only when the API gave one', () => {
    const text = renderDevices([{ platformId: 'p', account: 'a', keyLabel: 'device_id', devices: [d('1', { online: true, mac: '00:11:22:33:44:55' }), d('2', { online: true })] }]);
    expect(text).toContain('signage_device_online{platform_id="p",account="a",device_id="1",mac="00:11:22:33:44:55",name="dev 1"} 1');
    expect(text).toContain('signage_device_online{platform_id="p",account="a",device_id="2",name="dev 2"} 1');
  });

  it('passes promtool check metrics, hostile names included', () => {
    const names = ['plain', 'quote " inside', 'back\\slash', 'new\nline', 'Арзамас_Лесная_1', '', '{}=,#'];
    const devices = names.map((name, i) => d(String(i), { name, online: i % 2 === 0, lastSeenS: 1.7e9 + i, activated: i % 3 === 0, playerStatus: i % 4, info: { player_version: name } }));
    const text = renderDevices([
      { platformId: 'demo', account: 'a"b', keyLabel: 'device_id', devices },
      { platformId: 'demo', account: 'cubic', keyLabel: 'mac', devices: [d('00:11:22:33:44:55', { online: true, net: { ip: 'x"y' } })] },
    ]);
    const r = promtoolCheck(text);
    expect(r.output).toBe('');
    expect(r.status).toBe(0);
  });

  it('promtool does catch a broken exposition (the check is real)', () => {
    const r = promtoolCheck('# TYPE x_total counter\nx_total{a="1} 1\n');
    expect(r.status).not.toBe(0);
  });
});

describe('compressed rendering (compressed.ts)', () => {
  it('renders slices into gzip members with a pause between them, the same bytes as the plain render', async () => {
    const devices = Array.from({ length: 25 }, (_, i) => d(String(i), { online: i % 2 === 0, lastSeenS: 1.7e9 + i, playerStatus: 1 }));
    const a = { platformId: 'p', account: 'main', keyLabel: 'device_id' as const, devices };
    let pauses = 0;
    const gz = await renderAccountGz(a, async () => {
      pauses++;
    }, 10);
    expect(pauses).toBe(2);
    expect(gz.gz[0]).toHaveLength(3); // one member per slice
    const plain = renderAccountChunks(a);
    gz.gz.forEach((members, f) => {
      const text = Buffer.concat(members.map((m) => gunzipSync(m))).toString();
      expect(text).toBe(plain[f]!.toString());
      expect(gz.plain[f]).toBe(plain[f]!.length);
    });
    // Concatenated members are one gzip body (RFC 1952 2.2), as Prometheus reads it.
    expect(gunzipSync(Buffer.concat(gz.gz[0]!)).toString()).toBe(plain[0]!.toString());
  });
});
