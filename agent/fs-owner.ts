// `agent send` and `agent doctor` are often run as root, and they write into the service user's
// data directory (PIN refusal memory, concatenation-reference counter, inbound spool): give such
// a file to the directory's owner, or the service could not read it (a PIN refusal it cannot
// read would let it spend another of the SIM's tries). A no-op unless running as root.
import { chownSync, fchownSync, statSync } from 'node:fs';

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
