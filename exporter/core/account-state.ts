// Merging one refresh into an account's device map (pure). Devices the API stops listing are
// kept, with their last values, until the grace period has passed; then they are dropped.
import type { CachedDevice, DeviceRecord, RejectedRecord } from './device.js';

export interface MergeResult {
  devices: Map<string, CachedDevice>;
  /** Devices not listed this time but still within the grace period. */
  vanished: number;
  /** Devices dropped because their grace period ran out. */
  expired: number;
}

export function mergeRefresh(
  prev: ReadonlyMap<string, CachedDevice>,
  listed: readonly DeviceRecord[],
  rejected: readonly RejectedRecord[],
  nowMs: number,
  graceMs: number,
): MergeResult {
  const devices = new Map<string, CachedDevice>();
  for (const d of listed) {
    const old = prev.get(d.key);
    // "Last seen" never moves back and is not forgotten when one answer omits it.
    const lastSeenS = d.lastSeenS === undefined ? old?.lastSeenS : old?.lastSeenS !== undefined && old.lastSeenS > d.lastSeenS ? old.lastSeenS : d.lastSeenS;
    devices.set(d.key, { ...d, lastSeenS, listedAtMs: nowMs });
  }
  // A device whose record was refused still exists: keep what we knew, as listed now.
  for (const r of rejected) {
    if (r.key === undefined || devices.has(r.key)) continue;
    const old = prev.get(r.key);
    if (old) devices.set(r.key, { ...old, listedAtMs: nowMs });
  }
  let vanished = 0;
  let expired = 0;
  for (const [key, old] of prev) {
    if (devices.has(key)) continue;
    if (nowMs - old.listedAtMs <= graceMs) {
      devices.set(key, old);
      vanished++;
    } else {
      expired++;
    }
  }
  return { devices, vanished, expired };
}

/** Devices kept from earlier listings that the last successful refresh did not list. */
export function countVanished(devices: ReadonlyMap<string, CachedDevice>, lastSuccessMs: number | undefined): number {
  if (lastSuccessMs === undefined) return 0;
  let n = 0;
  for (const d of devices.values()) if (d.listedAtMs < lastSuccessMs) n++;
  return n;
}
