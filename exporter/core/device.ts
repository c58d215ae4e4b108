// The exporter's normalized device model, shared by every source, the cache and the renderer.
// Pure: no I/O. A source turns API records into DeviceRecords; the account state keeps them
// with the time they were last listed so that vanished devices can expire after a grace period.

/** The label that keys a platform's devices (uniform across platforms). */
export type KeyLabel = 'device_id' | 'mac';

export interface DeviceRecord {
  /** The device key: AddReality device id (decimal string) or a normalized MAC. */
  key: string;
  /** Display name, '' when the API gives none. */
  name: string;
  /** MAC address when known (AddReality only if the API returns one). */
  mac?: string | undefined;
  /** Online state; undefined when the API does not say (then no online series is exported). */
  online?: boolean | undefined;
  /** Last time the platform saw the device, seconds since the epoch; undefined when unknown. */
  lastSeenS?: number | undefined;
  /** Activation state (AddReality), when given. */
  activated?: boolean | undefined;
  /** The player's status as a code (PLAYER_STATUS below); undefined when the API does not say. */
  playerStatus?: number | undefined;
  /**
   * Stable identity labels for the `_info` series (player_version, time_zone): bounded values
   * that change rarely. Changing state is never a label (every flip would be a new series).
   */
  info: Readonly<Record<string, string>>;
  /** Network addresses (CubicMedia ip, out_ip) for `signage_device_network_info`; may change. */
  net?: Record<string, string> | undefined;
}

/**
 * `signage_device_player_status` values: AddReality `player_status` as a documented number, so
 * that a status change is a new value of the same series, not a new series.
 */
export const PLAYER_STATUS: Readonly<Record<string, number>> = { idle: 0, playback: 1, error: 2 };
/** Any other reported status. */
export const PLAYER_STATUS_OTHER = 3;

export function playerStatusCode(status: string): number {
  return PLAYER_STATUS[status] ?? PLAYER_STATUS_OTHER;
}

const sharedRecords = new Map<string, Readonly<Record<string, string>>>();
/**
 * One frozen object for every device with the same identity labels (most share a player
 * version and time zone), instead of one small object per device. Bounded like intern().
 */
export function internLabels(rec: Record<string, string>): Readonly<Record<string, string>> {
  let key = '';
  for (const k in rec) key += k + '\u0000' + rec[k] + '\u0000';
  const known = sharedRecords.get(key);
  if (known) return known;
  const frozen = Object.freeze({ ...rec });
  if (sharedRecords.size < 50_000) sharedRecords.set(key, frozen);
  return frozen;
}

const interned = new Map<string, string>();
/**
 * The same string object for a repeated value (versions, time zones) across 100,000 devices:
 * JSON.parse makes a fresh copy per record. Bounded: past 50,000 distinct values, no interning.
 */
export function intern(s: string): string {
  const known = interned.get(s);
  if (known !== undefined) return known;
  if (interned.size < 50_000) interned.set(s, s);
  return s;
}

export interface CachedDevice extends DeviceRecord {
  /** When a successful refresh last listed this device (ms since the epoch). */
  listedAtMs: number;
}

/** A record the source could not use; with a key, the previous state of that device is kept. */
export interface RejectedRecord {
  key?: string | undefined;
  error: string;
}

/** Normalize a MAC address to lower-case, colon-separated form; undefined when it is not one. */
export function normalizeMac(raw: string): string | undefined {
  const hex = raw.trim().toLowerCase().replace(/[:\-.]/g, '');
  if (!/^[0-9a-f]{12}$/.test(hex)) return undefined;
  return hex.match(/../g)!.join(':');
}
