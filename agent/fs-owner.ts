// Files of the data directory written durably by the agent, `agent send` and `agent doctor`.
// The last two are often run as root, and they write into the service user's
// data directory (PIN refusal memory, concatenation-reference counter, inbound spool): give such
// a file to the directory's owner, or the service could not read it (a PIN refusal it cannot
// read would let it spend another of the SIM's tries). A no-op unless running as root.
import { chownSync, closeSync, fchownSync, fsyncSync, mkdirSync, openSync, renameSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export function sameOwnerAsDir(fd: number, dir: string): void {
  if (process.getuid?.() !== 0) return;
  try {
    const st = statSync(dir);
    fchownSync(fd, st.uid, st.gid);
  } catch {
    // best effort: the file stays root's
  }
}

/** The same for a file written by another module (the send journal), by path. */
export function givePathToDirOwner(path: string, dir: string): void {
  if (process.getuid?.() !== 0) return;
  try {
    const st = statSync(dir);
    chownSync(path, st.uid, st.gid);
  } catch {
    // best effort
  }
}

/**
 * Write a small file of the data directory durably (0600 temp file, fsync, owner as the
 * directory's, rename, directory fsync) or append one line durably (`append`): it is on disk
 * when this returns.
 */
export function writeDataFile(file: string, text: string, how: 'replace' | 'append' = 'replace'): void {
  const dir = dirname(file);
  mkdirSync(dir, { recursive: true });
  const target = how === 'replace' ? `${file}.tmp` : file;
  const fd = openSync(target, how === 'replace' ? 'w' : 'a', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
    sameOwnerAsDir(fd, dir);
  } finally {
    closeSync(fd);
  }
  if (how === 'append') return;
  renameSync(target, file);
  try {
    const dfd = openSync(dir, 'r');
    fsyncSync(dfd);
    closeSync(dfd);
  } catch {
    // directory fsync is best effort on some filesystems
  }
}
