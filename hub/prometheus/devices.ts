// Device discovery from Prometheus, per platform: any series carrying platform_id plus a device
// key label (device_id or mac) is a device's metric, whatever its name. Lists are cached for a
// short time so the API answers fast at thousands of devices.
import { deviceKeyType } from '../common/contract/index.js';
import type { PrometheusEndpoint } from '../model/entities.js';
import { selector } from '../core/promql.js';
import type { QueryFn } from './client.js';

export const KEY_TYPES = deviceKeyType.options;
export type KeyType = (typeof KEY_TYPES)[number];

export interface Device {
  platform_id: string;
  key_type: KeyType;
  key: string;
  name: string;
  metrics: number;
  /** Value of the online metric (signage_device_online) when the device has one. */
  online: boolean | null;
}

export interface MetricValue {
  metric: string;
  value: number;
  labels: Record<string, string>;
}

export class DeviceDirectory {
  private readonly cache = new Map<string, { at: number; devices: Device[] }>();

  constructor(
    private readonly query: QueryFn,
    private readonly now: () => number,
    private readonly ttlMs = 30_000,
    /** A metric that says whether a device is online (1/0), shown beside each device. */
    private readonly onlineMetric = 'signage_device_online',
  ) {}

  async devices(platformId: string, endpoint: PrometheusEndpoint): Promise<Device[]> {
    const hit = this.cache.get(platformId);
    if (hit && this.now() - hit.at < this.ttlMs) return hit.devices;
    const lists = await Promise.all(
      KEY_TYPES.map(async (kt) => {
        const matchers = [{ label: kt, op: '!=' as const, value: '' }];
        const [rows, online] = await Promise.all([
          this.query(endpoint, `count by (${kt}, name) (${selector(platformId, null, matchers)})`),
          this.query(endpoint, `max by (${kt}) (${selector(platformId, this.onlineMetric, matchers)})`),
        ]);
        const onlineByKey = new Map(online.map((r) => [r.metric[kt] ?? '', r.value]));
        const byKey = new Map<string, Device>();
        for (const r of rows) {
          const key = r.metric[kt];
          if (!key) continue;
          const d = byKey.get(key);
          if (d) d.metrics += r.value;
          else {
            const o = onlineByKey.get(key);
            byKey.set(key, { platform_id: platformId, key_type: kt, key, name: r.metric.name ?? '', metrics: r.value, online: o === undefined ? null : o >= 1 });
          }
        }
        return [...byKey.values()];
      }),
    );
    const devices = lists.flat().sort((a, b) => a.name.localeCompare(b.name) || a.key.localeCompare(b.key));
    this.cache.set(platformId, { at: this.now(), devices });
    return devices;
  }

  /** Every metric of one device with its current value. */
  async deviceMetrics(platformId: string, endpoint: PrometheusEndpoint, keyType: KeyType, key: string): Promise<MetricValue[]> {
    const rows = await this.query(endpoint, selector(platformId, null, [{ label: keyType, op: '=', value: key }]));
    return rows
      .filter((r) => r.metric.platform_id === platformId && r.metric.__name__)
      .map((r) => {
        const { __name__, ...labels } = r.metric;
        return { metric: __name__ as string, value: r.value, labels };
      })
      .sort((a, b) => a.metric.localeCompare(b.metric));
  }

  /** Metric names that carry device labels on this platform. */
  async metricNames(platformId: string, endpoint: PrometheusEndpoint): Promise<string[]> {
    const names = new Set<string>();
    for (const kt of KEY_TYPES) {
      const rows = await this.query(endpoint, `count by (__name__) (${selector(platformId, null, [{ label: kt, op: '!=', value: '' }])})`);
      for (const r of rows) if (r.metric.__name__) names.add(r.metric.__name__);
    }
    return [...names].sort();
  }
}
