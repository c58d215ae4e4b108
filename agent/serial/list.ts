// Serial port listing that never crashes: SerialPort.list() shells out to udevadm and takes the
// process down where it is missing, so the agent reads /dev itself. Stable names under
// /dev/serial/by-id first (what a technician should put in the config), then the raw devices.
import { readdirSync, readlinkSync, realpathSync } from 'node:fs';
import { join } from 'node:path';

export interface ListedPort {
  path: string;
  /** The device it points to, for by-id links. */
  target?: string;
  kind: 'by-id' | 'usb' | 'acm' | 'uart' | 'serial';
}

export interface ListFs {
  readdir(path: string): string[];
  realpath(path: string): string;
}

const realFs: ListFs = {
  readdir: (p) => readdirSync(p),
  realpath: (p) => {
    try {
      return realpathSync(p);
    } catch {
      return readlinkSync(p);
    }
  },
};

function safe<T>(fn: () => T, fallback: T): T {
  try {
    return fn();
  } catch {
    return fallback;
  }
}

export function listSerialPorts(fs: ListFs = realFs, dev = '/dev'): ListedPort[] {
  const out: ListedPort[] = [];
  const byId = join(dev, 'serial', 'by-id');
  for (const name of safe(() => fs.readdir(byId), []).sort()) {
    const path = join(byId, name);
    out.push({ path, target: safe(() => fs.realpath(path), ''), kind: 'by-id' });
  }
  const names = safe(() => fs.readdir(dev), []);
  const pick = (re: RegExp, kind: ListedPort['kind']) =>
    names
      .filter((n) => re.test(n))
      .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
      .forEach((n) => out.push({ path: join(dev, n), kind }));
  pick(/^ttyUSB\d+$/, 'usb');
  pick(/^ttyACM\d+$/, 'acm');
  pick(/^(ttyAMA\d+|serial\d+)$/, 'uart');
  pick(/^ttyS[0-3]$/, 'serial');
  return out;
}
