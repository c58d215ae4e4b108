// Prometheus text exposition (format 0.0.4) of the device series, written by hand because
// prom-client's label maps are too slow for 100,000 devices. Pure. Output passes
// `promtool check metrics` (tested). Each family is rendered per account as a chunk, so a
// refresh of one account re-renders only that account's lines.
import { ByteWriter } from './bytes.js';
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

const NAME = families.map((f) => Buffer.from(f.name, 'utf8'));
const ONE = Buffer.from('} 1\n');
const ZERO = Buffer.from('} 0\n');

/**
 * Renders one account's devices, one Buffer per family. Hot path at 100,000 devices: one pass,
 * each device's label set is encoded once into a scratch writer and copied as bytes into every
 * family, without per-device allocations (see test/bench/exporter-refresh.bench.ts).
 */
export class AccountRenderer {
  private readonly out: ByteWriter[];
  private readonly label = new ByteWriter(4096);

  constructor(
    private readonly platformId: string,
    private readonly keyLabel: KeyLabel,
    sizeHint = 0,
  ) {
    this.out = families.map((_, i) => new ByteWriter(sizeHint * (i === 3 ? 280 : 130)));
  }

  add(d: CachedDevice): void {
    const [online, seen, activated, info] = this.out as [ByteWriter, ByteWriter, ByteWriter, ByteWriter];
    const l = this.label;
    l.reset();
    l.text('{' + deviceLabels(this.platformId, this.keyLabel, d));
    if (d.online !== undefined) {
      online.bytes(NAME[0]!);
      online.append(l);
      online.bytes(d.online ? ONE : ZERO);
    }
    if (d.lastSeenS !== undefined) {
      seen.bytes(NAME[1]!);
      seen.append(l);
      seen.text('} ' + num(d.lastSeenS) + '\n');
    }
    if (d.activated !== undefined) {
      activated.bytes(NAME[2]!);
      activated.append(l);
      activated.bytes(d.activated ? ONE : ZERO);
    }
    let extra = '';
    for (const k in d.info) extra += ',' + k + '="' + escapeLabel(d.info[k]!) + '"';
    info.bytes(NAME[3]!);
    info.append(l);
    info.text(extra + '} 1\n');
  }

  finish(): Buffer[] {
    return this.out.map((w) => w.done());
  }
}

/** Render one account's lines, one Buffer per family (joined across accounts later). */
export function renderAccountChunks(a: AccountDevices): Buffer[] {
  const devices = [...a.devices];
  const r = new AccountRenderer(a.platformId, a.keyLabel, devices.length);
  for (const d of devices) r.add(d);
  return r.finish();
}

/**
 * The same, giving the event loop a turn every `slice` devices so that scrapes are answered
 * while 100,000 devices render. `pause` is injected (setImmediate in the runner).
 */
export async function renderAccountChunksSliced(a: AccountDevices, pause: () => Promise<void>, slice = 5000): Promise<Buffer[]> {
  const devices = [...a.devices];
  const r = new AccountRenderer(a.platformId, a.keyLabel, devices.length);
  for (let i = 0; i < devices.length; i++) {
    if (i > 0 && i % slice === 0) await pause();
    r.add(devices[i]!);
  }
  return r.finish();
}

const HEADERS = families.map((f) => Buffer.from(`# HELP ${f.name} ${f.help}\n# TYPE ${f.name} gauge\n`, 'utf8'));

/** Join per-account chunks into complete families with HELP and TYPE headers (no copy). */
export function joinChunks(accountChunks: readonly (readonly Buffer[])[]): Buffer[] {
  const parts: Buffer[] = [];
  for (let i = 0; i < families.length; i++) {
    parts.push(HEADERS[i]!);
    for (const chunks of accountChunks) {
      const c = chunks[i];
      if (c && c.length > 0) parts.push(c);
    }
  }
  return parts;
}

/** Render every account's devices as text (tests and tools). */
export function renderDevices(accounts: readonly AccountDevices[]): string {
  return Buffer.concat(joinChunks(accounts.map(renderAccountChunks))).toString('utf8');
}
