// Prometheus text exposition (format 0.0.4) of the device series, written by hand because
// prom-client's label maps are too slow for 100,000 devices. Pure. Output passes
// `promtool check metrics` (tested). Each family is rendered per account as a chunk, so a
// refresh of one account re-renders only that account's lines.
import type { CachedDevice, KeyLabel } from './device.js';

export interface AccountDevices {
  platformId: string;
  keyLabel: KeyLabel;
  devices: Iterable<CachedDevice>;
}

export interface Family {
  name: string;
  help: string;
  line(d: CachedDevice, labels: string): string | undefined;
}

/** Escape a label value: backslash, double quote and line feed. */
export function escapeLabel(v: string): string {
  return /[\\"\n]/.test(v) ? v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : v;
}

function num(n: number): string {
  return Number.isFinite(n) ? String(n) : n > 0 ? '+Inf' : n < 0 ? '-Inf' : 'NaN';
}

export const families: Family[] = [
  {
    name: 'signage_device_online',
    help: '1 when the platform reports the device online, 0 when it reports any other state; absent when the platform does not say.',
    line: (d, l) => (d.online === undefined ? undefined : `signage_device_online{${l}} ${d.online ? 1 : 0}\n`),
  },
  {
    name: 'signage_device_last_seen_timestamp_seconds',
    help: 'When the platform last saw the device online (AddReality last_online; CubicMedia: last refresh that found it online), seconds since the epoch; absent when unknown.',
    line: (d, l) => (d.lastSeenS === undefined ? undefined : `signage_device_last_seen_timestamp_seconds{${l}} ${num(d.lastSeenS)}\n`),
  },
  {
    name: 'signage_device_activated',
    help: '1 when the device is activated on the platform (AddReality activation_state), 0 when not; absent when unknown.',
    line: (d, l) => (d.activated === undefined ? undefined : `signage_device_activated{${l}} ${d.activated ? 1 : 0}\n`),
  },
  {
    name: 'signage_device_info',
    help: 'Descriptive labels of a device (player_version, player_status, connection_state, activation_state, time_zone; CubicMedia status, ip, out_ip); always 1.',
    line: (d, l) => {
      let extra = '';
      for (const k of Object.keys(d.info).sort()) extra += `,${k}="${escapeLabel(d.info[k]!)}"`;
      return `signage_device_info{${l}${extra}} 1\n`;
    },
  },
];

/** The uniform identifying labels of a device series. */
export function deviceLabels(platformId: string, keyLabel: KeyLabel, d: CachedDevice): string {
  let s = `platform_id="${escapeLabel(platformId)}",${keyLabel}="${escapeLabel(d.key)}"`;
  if (keyLabel !== 'mac' && d.mac !== undefined) s += `,mac="${escapeLabel(d.mac)}"`;
  return `${s},name="${escapeLabel(d.name)}"`;
}

/** Render one account's lines for every family (chunks are joined across accounts later). */
export function renderAccountChunks(a: AccountDevices): string[] {
  const parts: string[][] = families.map(() => []);
  for (const d of a.devices) {
    const labels = deviceLabels(a.platformId, a.keyLabel, d);
    for (let i = 0; i < families.length; i++) {
      const line = families[i]!.line(d, labels);
      if (line !== undefined) parts[i]!.push(line);
    }
  }
  return parts.map((p) => p.join(''));
}

/** Join per-account chunks into complete families with HELP and TYPE headers. */
export function joinChunks(accountChunks: readonly string[][]): string {
  let out = '';
  for (let i = 0; i < families.length; i++) {
    const f = families[i]!;
    out += `# HELP ${f.name} ${f.help}\n# TYPE ${f.name} gauge\n`;
    for (const chunks of accountChunks) out += chunks[i] ?? '';
  }
  return out;
}

/** Render every account's devices (convenience for tests and benchmarks). */
export function renderDevices(accounts: readonly AccountDevices[]): string {
  return joinChunks(accounts.map(renderAccountChunks));
}
