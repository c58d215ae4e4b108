import { describe, expect, it } from 'vitest';
import { ADDREALITY_SCHEMA_VERSION, parseAddRealityRecord, parseLastOnline } from '../../exporter/sources/addreality-schema.js';

const sample = {
  id: 30785,
  name: 'Arzamas_Lesnaia_1',
  connection_state: 'online',
  player_status: 'playback',
  last_online: '2025-05-26T13:29:08.166738Z',
  activation_state: true,
  player_version: '4.1.76',
  time_zone: '+01:00',
  something_new: { nested: [1, 2] },
};

describe('AddReality record schema v1', () => {
  it('is version 1', () => expect(ADDREALITY_SCHEMA_VERSION).toBe(1));

  it('maps the known record of the earlier system, ignoring unknown fields', () => {
    const r = parseAddRealityRecord(sample);
    expect(r).toEqual({
      ok: true,
      device: {
        key: '30785',
        name: 'Arzamas_Lesnaia_1',
        online: true,
        lastSeenS: Date.parse('2025-05-26T13:29:08.166Z') / 1000,
        activated: true,
        // State is a value (online, player status code 1 = playback); only identity is a label.
        playerStatus: 1,
        info: { player_version: '4.1.76', time_zone: '+01:00' },
      },
    });
  });

  it('treats every field but id as optional; missing or null means unknown, never 0', () => {
    const r = parseAddRealityRecord({ id: 5, name: null, last_online: null });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.device).toMatchObject({ key: '5', name: '', online: undefined, lastSeenS: undefined, activated: undefined, info: {} });
  });

  it('counts only "online" as online', () => {
    for (const [state, online] of [['online', true], ['offline', false], ['sleeping', false]] as const) {
      const r = parseAddRealityRecord({ id: 1, connection_state: state });
      expect(r.ok && r.device.online).toBe(online);
    }
  });

  it('rejects a record without a usable id, naming the field', () => {
    const r = parseAddRealityRecord({ name: 'x' });
    expect(r).toMatchObject({ ok: false, key: undefined });
    expect(!r.ok && r.error).toMatch(/^id:/);
    expect(parseAddRealityRecord({ id: -3 }).ok).toBe(false);
    expect(parseAddRealityRecord('garbage').ok).toBe(false);
  });

  it('rejects a record with a wrong field type but keeps its key', () => {
    const r = parseAddRealityRecord({ id: 42, connection_state: 42 });
    expect(r).toMatchObject({ ok: false, key: '42' });
    expect(!r.ok && r.error).toContain('connection_state');
  });

  it('accepts a numeric string id and normalizes a MAC when the API gives one', () => {
    const r = parseAddRealityRecord({ id: '77', mac: 'AA-BB-CC-00-11-22' });
    expect(r.ok && r.device).toMatchObject({ key: '77', mac: 'aa:bb:cc:00:11:22' });
  });

  it('cuts very long label values (bounded series)', () => {
    const r = parseAddRealityRecord({ id: 1, player_version: 'x'.repeat(1000) });
    expect(r.ok && r.device.info.player_version?.length).toBe(128);
  });

  it('maps player_status to its documented code; an unknown status is 3, not a new label value', () => {
    const code = (s: string) => {
      const r = parseAddRealityRecord({ id: 1, player_status: s });
      return r.ok ? r.device.playerStatus : undefined;
    };
    expect([code('idle'), code('playback'), code('error'), code('rebooting')]).toEqual([0, 1, 2, 3]);
  });

  it('shares one identity-label object between devices with the same labels (memory at 100,000 devices)', () => {
    const a = parseAddRealityRecord({ id: 1, player_version: '4.1.76', time_zone: '+03:00' });
    const b = parseAddRealityRecord({ id: 2, player_version: '4.1.76', time_zone: '+03:00' });
    expect(a.ok && b.ok && a.device.info === b.device.info).toBe(true);
  });

  it('parses last_online; garbage and pre-2000 times are unknown', () => {
    expect(parseLastOnline('2025-05-26T13:29:08Z')).toBe(Date.UTC(2025, 4, 26, 13, 29, 8) / 1000);
    expect(parseLastOnline('not a time')).toBeUndefined();
    expect(parseLastOnline('1970-01-01T00:00:00Z')).toBeUndefined();
    expect(parseLastOnline(undefined)).toBeUndefined();
  });
});
