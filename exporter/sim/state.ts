// The simulator's platform state: AddReality devices (by numeric id, kept in id order for
// paging) and CubicMedia players (by MAC). Records are plain JSON objects so that the control
// API can set any field, including ones the exporter does not know.
import { normalizeMac } from '../core/device.js';
import type { SimConfig } from './config.js';

export type SimRecord = Record<string, unknown>;

/** Small deterministic PRNG (mulberry32) so runs are repeatable. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CITIES = ['Arzamas', 'Moskva', 'Kazan', 'Samara', 'Tver', 'Omsk', 'Perm', 'Sochi'];
const STREETS = ['Lesnaia', 'Lenina', 'Mira', 'Sadovaia', 'Gagarina'];

export class SimState {
  readonly devices = new Map<number, SimRecord>();
  readonly players = new Map<string, SimRecord>();
  private order: number[] = [];
  private orderDirty = false;

  constructor(
    config: Pick<SimConfig, 'devices' | 'first_id' | 'offline_rate' | 'cubic_players' | 'seed'>,
    now: number = Date.now(),
  ) {
    const rnd = prng(config.seed);
    for (let i = 0; i < config.devices; i++) {
      const id = config.first_id + i;
      const online = rnd() >= config.offline_rate;
      this.devices.set(id, {
        id,
        name: `${CITIES[i % CITIES.length]}_${STREETS[(i >> 3) % STREETS.length]}_${i + 1}`,
        connection_state: online ? 'online' : 'offline',
        player_status: online ? 'playback' : 'idle',
        last_online: new Date(now - (online ? 0 : Math.floor(rnd() * 86_400_000))).toISOString(),
        activation_state: true,
        player_version: rnd() < 0.8 ? '4.1.76' : '4.0.12',
        time_zone: '+03:00',
        platform: 'android',
        group_id: 100 + (i % 17),
      });
    }
    this.orderDirty = true;
    for (let i = 0; i < config.cubic_players; i++) {
      const mac = normalizeMac((0x020000000000 + i).toString(16).padStart(12, '0'))!;
      this.players.set(mac, { status: 'online', name: `Cubic_${i + 1}`, ip: `10.0.${i >> 8}.${i & 255}`, outIp: '203.0.113.10', model: 'CM-1' });
    }
  }

  /** Device ids in ascending order (the API's paging order). */
  ids(): readonly number[] {
    if (this.orderDirty) {
      this.order = [...this.devices.keys()].sort((a, b) => a - b);
      this.orderDirty = false;
    }
    return this.order;
  }

  /** Set fields of a device or player (created when missing); a null value removes a field. */
  set(key: string, fields: SimRecord, now: number = Date.now()): { kind: 'addreality' | 'cubicmedia'; record: SimRecord } | undefined {
    const apply = (rec: SimRecord) => {
      for (const [k, v] of Object.entries(fields)) {
        if (v === null) delete rec[k];
        else rec[k] = v;
      }
    };
    if (/^\d{1,15}$/.test(key)) {
      const id = Number(key);
      let rec = this.devices.get(id);
      if (!rec) {
        rec = { id, name: `Device_${id}`, connection_state: 'online' };
        this.devices.set(id, rec);
        this.orderDirty = true;
      }
      // Going offline: the platform saw it last just now, unless told otherwise.
      if (rec.connection_state === 'online' && fields.connection_state !== undefined && fields.connection_state !== 'online' && fields.last_online === undefined) {
        rec.last_online = new Date(now).toISOString();
      }
      apply(rec);
      return { kind: 'addreality', record: rec };
    }
    const mac = normalizeMac(key);
    if (!mac) return undefined;
    let rec = this.players.get(mac);
    if (!rec) {
      rec = { status: 'online', name: `Cubic_${mac}` };
      this.players.set(mac, rec);
    }
    apply(rec);
    return { kind: 'cubicmedia', record: rec };
  }

  get(key: string): SimRecord | undefined {
    if (/^\d{1,15}$/.test(key)) return this.devices.get(Number(key));
    const mac = normalizeMac(key);
    return mac ? this.players.get(mac) : undefined;
  }

  remove(key: string): boolean {
    if (/^\d{1,15}$/.test(key)) {
      const ok = this.devices.delete(Number(key));
      if (ok) this.orderDirty = true;
      return ok;
    }
    const mac = normalizeMac(key);
    return mac ? this.players.delete(mac) : false;
  }
}
