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

/** Same state as a cached device (everything but the last-seen time and the listing time). */
function sameState(old: CachedDevice, d: DeviceRecord): boolean {
  return (
    old.name === d.name &&
    old.mac === d.mac &&
    old.online === d.online &&
    old.activated === d.activated &&
    old.playerStatus === d.playerStatus &&
    sameLabels(old.info, d.info) &&
    sameLabels(old.net, d.net)
  );
}

function sameLabels(a: Readonly<Record<string, string>> | undefined, b: Readonly<Record<string, string>> | undefined): boolean {
  if (a === b) return true;
  if (!a || !b) return false;
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

/**
 * The devices of one refresh, collected page by page. A device whose state did not change keeps
 * its cached object and stages only its last-seen time, so the new record dies young instead
 * of doubling the memory of 100,000 devices until the refresh completes. Nothing of the
 * current state changes before commit (mergeRefresh), so a failed refresh changes nothing.
 */
export class Staging {
  /** key -> the new record (changed device), or the pending last-seen time of an unchanged one. */
  private readonly listed = new Map<string, DeviceRecord | number | null>();

  /** `prev` is updated in place by commit(), and only then. */
  constructor(private readonly prev: Map<string, CachedDevice>) {}

  add(d: DeviceRecord): void {
    const old = this.prev.get(d.key);
    this.listed.set(d.key, old && sameState(old, d) ? (d.lastSeenS ?? null) : d);
  }

  has(key: string): boolean {
    return this.listed.has(key);
  }

  get size(): number {
    return this.listed.size;
  }

  /**
   * Apply to `prev` (the map given to the constructor) at `nowMs`, in place: no second map of
   * 100,000 entries next to the old one (its table and rehash garbage are several MiB at each
   * refresh, issue 21). Synchronous, so a scrape never sees half of it; new devices come last.
   */
  commit(rejected: readonly RejectedRecord[], nowMs: number, graceMs: number): MergeResult {
    const devices = this.prev as Map<string, CachedDevice>;
    // A device whose record was refused still exists: keep what we knew, as listed now.
    const refused = new Set<string>();
    for (const r of rejected) if (r.key !== undefined && !this.listed.has(r.key) && devices.has(r.key)) refused.add(r.key);
    let vanished = 0;
    let expired = 0;
    for (const [key, old] of devices) {
      if (this.listed.has(key)) continue;
      if (refused.has(key)) {
        devices.set(key, { ...old, listedAtMs: nowMs });
      } else if (nowMs - old.listedAtMs <= graceMs) {
        vanished++;
      } else {
        devices.delete(key);
        expired++;
      }
    }
    for (const [key, v] of this.listed) {
      const old = devices.get(key);
      // "Last seen" never moves back and is not forgotten when one answer omits it.
      const seen = v !== null && typeof v === 'object' ? v.lastSeenS : (v ?? undefined);
      const lastSeenS = seen === undefined ? old?.lastSeenS : old?.lastSeenS !== undefined && old.lastSeenS > seen ? old.lastSeenS : seen;
      // The record (or the unchanged cached object) becomes the cached device, without a copy.
      const c = (v !== null && typeof v === 'object' ? v : old!) as CachedDevice;
      c.lastSeenS = lastSeenS;
      c.listedAtMs = nowMs;
      if (c !== old) devices.set(key, c);
    }
    this.listed.clear();
    return { devices, vanished, expired };
  }
}

/** Merge one refresh's records into the previous device map, in place (the records are taken over). */
export function mergeRefresh(
  prev: Map<string, CachedDevice>,
  listed: readonly DeviceRecord[],
  rejected: readonly RejectedRecord[],
  nowMs: number,
  graceMs: number,
): MergeResult {
  const staging = new Staging(prev);
  for (const d of listed) staging.add(d);
  return staging.commit(rejected, nowMs, graceMs);
}

/** Devices kept from earlier listings that the last successful refresh did not list. */
export function countVanished(devices: ReadonlyMap<string, CachedDevice>, lastSuccessMs: number | undefined): number {
  if (lastSuccessMs === undefined) return 0;
  let n = 0;
  for (const d of devices.values()) if (d.listedAtMs < lastSuccessMs) n++;
  return n;
}
