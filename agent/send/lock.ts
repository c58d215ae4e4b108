// Who holds the modem: the service writes its pid to <data_dir>/agent.pid at start and removes
// it at stop; `agent send` refuses to run while that service is alive (the serial port is
// exclusive, and both would draw from one concatenation-reference counter). The service never
// refuses to start because of this file: a remote site must come back by itself, even after a
// stale file from before a reboot.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const bootId = (): string => {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return '';
  }
};

export function pidFile(dataDir: string): string {
  return join(dataDir, 'agent.pid');
}

/** The service is starting: note its pid (and the boot, so a file from before a reboot is ignored). */
export function writeServicePid(dataDir: string, pid = process.pid): void {
  writeFileSync(pidFile(dataDir), `${JSON.stringify({ pid, boot: bootId(), started: startTicks(pid === process.pid ? 'self' : pid) })}\n`, { mode: 0o644 });
}

function readLock(dataDir: string): { pid: number; boot?: string; started?: string } | undefined {
  try {
    const r = JSON.parse(readFileSync(pidFile(dataDir), 'utf8')) as { pid?: unknown; boot?: unknown; started?: unknown };
    return typeof r.pid === 'number' ? { pid: r.pid, ...(typeof r.boot === 'string' ? { boot: r.boot } : {}), ...(typeof r.started === 'string' ? { started: r.started } : {}) } : undefined;
  } catch {
    return undefined;
  }
}

export function removeServicePid(dataDir: string, pid = process.pid): void {
  if (readLock(dataDir)?.pid === pid) rmSync(pidFile(dataDir), { force: true });
}

/** Start time of a process in clock ticks since boot (/proc/<pid>/stat field 22), if readable. */
function startTicks(pid: number | 'self'): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function alive(pid: number, started?: string): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: it exists but belongs to another user (the service user).
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  // A pid reused by another program since an unclean stop is not the service.
  const now = startTicks(pid);
  return !started || !now || now === started;
}

/** The pid of a running service on this data directory, if any. */
export function runningService(dataDir: string): number | undefined {
  const r = readLock(dataDir);
  if (!r || r.pid === process.pid) return undefined;
  if (r.boot && r.boot !== bootId()) return undefined;
  return alive(r.pid, r.started) ? r.pid : undefined;
}
