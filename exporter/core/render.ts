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
}

const NEEDS_ESCAPE = /[\\"\n]/;

/** Escape a label value: backslash, double quote and line feed. */
export function escapeLabel(v: string): string {
  return NEEDS_ESCAPE.test(v) ? v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : v;
}

function num(n: number): string {
  return Number.isFinite(n) ? String(n) : n > 0 ? '+Inf' : n < 0 ? '-Inf' : 'NaN';
}

/** The device families, in output order (renderAccountChunks returns one chunk per entry). */
export const families: readonly Family[] = [
  { name: 'signage_device_online', help: '1 when the platform reports the device online, 0 when it reports any other state; absent when the platform does not say.' },
  {
    name: 'signage_device_last_seen_timestamp_seconds',
    help: 'When the platform last saw the device online (AddReality last_online; CubicMedia: last refresh that found it online), seconds since the epoch; absent when unknown.',
  },
  { name: 'signage_device_activated', help: '1 when the device is activated on the platform (AddReality activation_state), 0 when not; absent when unknown.' },
  {
    name: 'signage_device_info',
    help: 'Descriptive labels of a device (player_version, player_status, connection_state, activation_state, time_zone; CubicMedia status, ip, out_ip); always 1.',
  },
];

/** The uniform identifying labels of a device series (without braces). */
export function deviceLabels(platformId: string, keyLabel: KeyLabel, d: CachedDevice): string {
  let s = `platform_id="${escapeLabel(platformId)}",${keyLabel}="${escapeLabel(d.key)}"`;
  if (keyLabel !== 'mac' && d.mac !== undefined) s += `,mac="${escapeLabel(d.mac)}"`;
  return `${s},name="${escapeLabel(d.name)}"`;
}

/**
 * Render one account's lines, one chunk per family (chunks are joined across accounts later).
 * Hot path at 100,000 devices: labels are built once per device, each family is one string
 * built by concatenation (see test/bench/exporter-refresh.bench.ts).
 */
export function renderAccountChunks(a: AccountDevices): string[] {
  const devices = [...a.devices];
  const labels = devices.map((d) => `{${deviceLabels(a.platformId, a.keyLabel, d)}`);
  let online = '';
  let seen = '';
  let activated = '';
  let info = '';
  for (let i = 0; i < devices.length; i++) {
    const d = devices[i]!;
    if (d.online !== undefined) online += 'signage_device_online' + labels[i] + (d.online ? '} 1\n' : '} 0\n');
  }
  for (let i = 0; i < devices.length; i++) {
    const d = devices[i]!;
    if (d.lastSeenS !== undefined) seen += 'signage_device_last_seen_timestamp_seconds' + labels[i] + '} ' + num(d.lastSeenS) + '\n';
  }
  for (let i = 0; i < devices.length; i++) {
    const d = devices[i]!;
    if (d.activated !== undefined) activated += 'signage_device_activated' + labels[i] + (d.activated ? '} 1\n' : '} 0\n');
  }
  for (let i = 0; i < devices.length; i++) {
    const d = devices[i]!;
    let extra = '';
    for (const k in d.info) extra += ',' + k + '="' + escapeLabel(d.info[k]!) + '"';
    info += 'signage_device_info' + labels[i] + extra + '} 1\n';
  }
  return [online, seen, activated, info];
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
