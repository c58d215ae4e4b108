// Prometheus text exposition (format 0.0.4) of the device series, written by hand because
// prom-client's label maps are too slow for 100,000 devices. Pure. Output passes
// `promtool check metrics` (tested). Each family is rendered per account, so a refresh of one
// account re-renders only that account's lines; families stay contiguous when joined.
//
// Labels: identity only (platform_id, account, the key label, mac, name); state is a value
// (online, player status code), so a device changing state keeps its series.
import { ByteWriter } from './bytes.js';
import type { CachedDevice, KeyLabel } from './device.js';

export interface AccountDevices {
  platformId: string;
  /** The exporter account the devices come from (the `account` label). */
  account: string;
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

/** The device families, in output order (renderers return one chunk per entry). */
export const families: readonly Family[] = [
  { name: 'signage_device_online', help: '1 when the platform reports the device online, 0 when it reports any other state; absent when the platform does not say.' },
  {
    name: 'signage_device_last_seen_timestamp_seconds',
    help: 'When the platform last saw the device online (AddReality last_online; CubicMedia: last refresh that found it online), seconds since the epoch; absent when unknown.',
  },
  { name: 'signage_device_activated', help: '1 when the device is activated on the platform (AddReality activation_state), 0 when not; absent when unknown.' },
  { name: 'signage_device_player_status', help: 'AddReality player_status as a code: 0 idle, 1 playback, 2 error, 3 any other status; absent when unknown.' },
  { name: 'signage_device_info', help: 'Stable identity of a device (labels player_version, time_zone when given); always 1. State is never a label here.' },
  { name: 'signage_device_network_info', help: 'Network addresses of a CubicMedia player (labels ip, out_ip); always 1.' },
];
export const FAMILY_COUNT = families.length;

/** The uniform identifying labels of a device series (without braces). */
export function deviceLabels(platformId: string, account: string, keyLabel: KeyLabel, d: CachedDevice): string {
  let s = `platform_id="${escapeLabel(platformId)}",account="${escapeLabel(account)}",${keyLabel}="${escapeLabel(d.key)}"`;
  if (keyLabel !== 'mac' && d.mac !== undefined) s += `,mac="${escapeLabel(d.mac)}"`;
  return `${s},name="${escapeLabel(d.name)}"`;
}

const NAME = families.map((f) => Buffer.from(f.name, 'utf8'));
const ONE = Buffer.from('} 1\n');
const ZERO = Buffer.from('} 0\n');
const CODE = [0, 1, 2, 3].map((n) => Buffer.from(`} ${n}\n`));

function extraLabels(rec: Record<string, string>): string {
  let extra = '';
  for (const k in rec) extra += ',' + k + '="' + escapeLabel(rec[k]!) + '"';
  return extra;
}

/**
 * Renders one account's devices into one writer per family. Hot path at 100,000 devices: each
 * device's label set is encoded once into a scratch writer and copied as bytes into every
 * family. `take()` hands out what was rendered so far and starts again (slices: the caller
 * compresses each slice, so the whole identity body never sits in memory).
 */
export class AccountRenderer {
  private readonly out: ByteWriter[];
  private readonly label = new ByteWriter(4096);

  constructor(
    private readonly platformId: string,
    private readonly account: string,
    private readonly keyLabel: KeyLabel,
    sizeHint = 0,
  ) {
    this.out = families.map(() => new ByteWriter(sizeHint * 140));
  }

  add(d: CachedDevice): void {
    const [online, seen, activated, player, info, net] = this.out as [ByteWriter, ByteWriter, ByteWriter, ByteWriter, ByteWriter, ByteWriter];
    const l = this.label;
    l.reset();
    l.text('{' + deviceLabels(this.platformId, this.account, this.keyLabel, d));
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
    if (d.playerStatus !== undefined) {
      player.bytes(NAME[3]!);
      player.append(l);
      const code = CODE[d.playerStatus];
      if (code) player.bytes(code);
      else player.text('} ' + num(d.playerStatus) + '\n');
    }
    info.bytes(NAME[4]!);
    info.append(l);
    info.text(extraLabels(d.info) + '} 1\n');
    if (d.net !== undefined) {
      net.bytes(NAME[5]!);
      net.append(l);
      net.text(extraLabels(d.net) + '} 1\n');
    }
  }

  /** What was rendered since the last take(), one view per family; valid until the next add(). */
  take(): Buffer[] {
    const views = this.out.map((w) => w.view());
    for (const w of this.out) w.reset();
    return views;
  }

  /** Everything rendered, one exactly sized Buffer per family. */
  finish(): Buffer[] {
    return this.out.map((w) => w.done());
  }
}

/** Render one account's lines, one Buffer per family (tests and tools; the exporter compresses slices). */
export function renderAccountChunks(a: AccountDevices): Buffer[] {
  const devices = [...a.devices];
  const r = new AccountRenderer(a.platformId, a.account, a.keyLabel, devices.length);
  for (const d of devices) r.add(d);
  return r.finish();
}

/** `# HELP` and `# TYPE` of each family. */
export const HEADERS = families.map((f) => Buffer.from(`# HELP ${f.name} ${f.help}\n# TYPE ${f.name} gauge\n`, 'utf8'));

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
