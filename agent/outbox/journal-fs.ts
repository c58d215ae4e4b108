// The few file operations the journal needs, as an injected layer: node:fs/promises in
// production; in tests a wrapper that makes writes short or fail with ENOSPC / EIO on demand.
import { copyFile, mkdir, open, rename, unlink } from 'node:fs/promises';

export interface JournalFile {
  /** May write fewer bytes than asked (a short write); the journal writes the rest. */
  write(buffer: Uint8Array, offset: number, length: number): Promise<{ bytesWritten: number }>;
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  datasync(): Promise<void>;
  sync(): Promise<void>;
  truncate(length: number): Promise<void>;
  stat(): Promise<{ size: number }>;
  close(): Promise<void>;
}

export interface JournalFs {
  open(path: string, flags: 'a' | 'w' | 'r'): Promise<JournalFile>;
  rename(from: string, to: string): Promise<void>;
  mkdir(path: string): Promise<void>;
  copyFile(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
}

/** Mode of every journal file (owner read/write only). */
export const JOURNAL_MODE = 0o600;

export const nodeJournalFs: JournalFs = {
  // Journals hold phone numbers and message texts: created 0600, and an older file made with
  // another mode is tightened when opened for writing (issue 18).
  open: async (path, flags) => {
    const fh = await open(path, flags, JOURNAL_MODE);
    if (flags !== 'r') await fh.chmod(JOURNAL_MODE);
    return fh;
  },
  rename: (from, to) => rename(from, to),
  mkdir: async (path) => void (await mkdir(path, { recursive: true })),
  copyFile: (from, to) => copyFile(from, to),
  unlink: (path) => unlink(path),
};
