// What every platform source provides. A third platform is one new file implementing Source
// plus one entry in sources/index.ts.
import type { DeviceRecord, KeyLabel, RejectedRecord } from '../core/device.js';

export interface SourceResult {
  /** Every device the API listed with a valid record (empty when they went to a sink). */
  devices: DeviceRecord[];
  /** Records refused one by one (the others are still used). */
  rejected: RejectedRecord[];
  /** HTTP requests made (pages, per-MAC calls). */
  requests: number;
}

/** Where a source puts devices as pages arrive (core/account-state.ts Staging). */
export interface DeviceSink {
  add(d: DeviceRecord): void;
  has(key: string): boolean;
  readonly size: number;
}

/** A sink that keeps every record (sources called without one, tests). */
export class CollectingSink implements DeviceSink {
  readonly devices = new Map<string, DeviceRecord>();
  add(d: DeviceRecord): void {
    this.devices.set(d.key, d);
  }
  has(key: string): boolean {
    return this.devices.has(key);
  }
  get size(): number {
    return this.devices.size;
  }
}

export interface Source {
  /** Platform kind, e.g. "addreality". */
  readonly kind: string;
  /** The label that keys this platform's devices. */
  readonly keyLabel: KeyLabel;
  /** Fetch the complete device list; throws ApiError when the run cannot complete. */
  fetchDevices(signal: AbortSignal, sink?: DeviceSink): Promise<SourceResult>;
}
