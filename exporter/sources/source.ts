// What every platform source provides. A third platform is one new file implementing Source
// plus one entry in sources/index.ts.
import type { DeviceRecord, KeyLabel, RejectedRecord } from '../core/device.js';

export interface SourceResult {
  /** Every device the API listed with a valid record. */
  devices: DeviceRecord[];
  /** Records refused one by one (the others are still used). */
  rejected: RejectedRecord[];
  /** HTTP requests made (pages, per-MAC calls). */
  requests: number;
}

export interface Source {
  /** Platform kind, e.g. "addreality". */
  readonly kind: string;
  /** The label that keys this platform's devices. */
  readonly keyLabel: KeyLabel;
  /** Fetch the complete device list; throws ApiError when the run cannot complete. */
  fetchDevices(signal: AbortSignal): Promise<SourceResult>;
}
