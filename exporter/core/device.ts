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
  /** Descriptive labels for the `_info` series: bounded, low-cardinality values only. */
  info: Record<string, string>;
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
