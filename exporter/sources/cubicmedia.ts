// CubicMedia source: GET {base}/api/v0.1/players/status-check?mac=<MAC> for each configured
// MAC; the answer is an array whose first element has status, name, ip, outIp. One MAC that
// fails is rejected alone; the run fails only when every MAC failed.
import { z } from 'zod';
import { formatIssues } from '#common/contract/parse.js';
import { type DeviceRecord, type RejectedRecord, normalizeMac } from '../core/device.js';
import { ApiError, type HttpDeps, type RetryPolicy, requestJson } from './http.js';
import type { DeviceSink, Source, SourceResult } from './source.js';

export const CUBICMEDIA_SCHEMA_VERSION = 1;
export const STATUS_CHECK_PATH = '/api/v0.1/players/status-check';

const opt = <T extends z.ZodType>(t: T) => t.nullish().transform((v) => v ?? undefined);
export const cubicPlayer = z.looseObject({
  status: opt(z.string()),
  name: opt(z.string()),
  ip: opt(z.string()),
  outIp: opt(z.string()),
});

export interface CubicMediaOptions {
  base_url: string;
  /** Optional; sent as X-API-Token when set. */
  token?: string | undefined;
  macs: string[];
  concurrency: number;
  retry: RetryPolicy;
}

export class CubicMediaSource implements Source {
  readonly kind = 'cubicmedia';
  readonly keyLabel = 'mac' as const;
  /** Last time each MAC was seen online (the API gives no last-seen time). */
  private readonly lastOnline = new Map<string, number>();

  constructor(
    private readonly options: CubicMediaOptions,
    private readonly http: HttpDeps,
  ) {}

  private async one(mac: string, signal: AbortSignal): Promise<DeviceRecord | undefined> {
    const o = this.options;
    const url = `${o.base_url.replace(/\/+$/, '')}${STATUS_CHECK_PATH}?mac=${encodeURIComponent(mac)}`;
    const raw = await requestJson(this.http, o.retry, { method: 'GET', url, headers: o.token ? { 'X-API-Token': o.token } : {} }, signal);
    if (!Array.isArray(raw)) throw new ApiError('malformed', `GET ${url}: expected an array`);
    if (raw.length === 0) return undefined;
    const r = cubicPlayer.safeParse(raw[0]);
    if (!r.success) throw new ApiError('invalid_record', formatIssues(r.error));
    const key = normalizeMac(mac)!;
    // The status is a value (signage_device_online); addresses go to their own family.
    const net: Record<string, string> = {};
    if (r.data.ip !== undefined) net.ip = r.data.ip.slice(0, 64);
    if (r.data.outIp !== undefined) net.out_ip = r.data.outIp.slice(0, 64);
    const online = r.data.status === undefined ? undefined : r.data.status === 'online';
    if (online) this.lastOnline.set(key, this.http.clock.now());
    const seen = this.lastOnline.get(key);
    return { key, name: (r.data.name ?? '').slice(0, 128), mac: key, online, lastSeenS: seen === undefined ? undefined : seen / 1000, info: {}, ...(Object.keys(net).length ? { net } : {}) };
  }

  async fetchDevices(signal: AbortSignal, sink?: DeviceSink): Promise<SourceResult> {
    const macs = [...this.options.macs];
    const devices: DeviceRecord[] = [];
    const rejected: RejectedRecord[] = [];
    const failures: ApiError[] = [];
    let next = 0;
    const worker = async () => {
      while (next < macs.length) {
        const mac = macs[next++]!;
        try {
          const d = await this.one(mac, signal);
          if (d) devices.push(d);
          else rejected.push({ error: `player ${normalizeMac(mac)}: unknown to the API (empty answer)` });
        } catch (err) {
          if (!(err instanceof ApiError)) throw err;
          if (err.kind === 'auth') throw err;
          if (err.kind === 'invalid_record') this.http.onError?.('invalid_record');
          else failures.push(err);
          rejected.push({ key: normalizeMac(mac), error: `player ${normalizeMac(mac)}: ${err.message}` });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(this.options.concurrency, macs.length)) }, worker));
    if (macs.length > 0 && failures.length === macs.length) throw failures[0]!;
    if (sink) for (const d of devices) sink.add(d);
    return { devices: sink ? [] : devices, rejected, requests: macs.length };
  }
}
