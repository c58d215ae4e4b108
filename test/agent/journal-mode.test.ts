// The journal holds phone numbers and message texts: it is created 0600, and a journal left
// 0644 by an older agent is tightened when opened (issue 18); compaction keeps the mode.
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Journal } from '../../agent/outbox/journal.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const mode = (p: string) => statSync(p).mode & 0o777;

describe('journal file mode', () => {
  it('creates the journal 0600 and tightens an existing 0644 one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gsmjobs-mode-'));
    dirs.push(dir);
    const fresh = join(dir, 'fresh.jsonl');
    const j1 = new Journal<{ t: string }>(fresh);
    await j1.open();
    await j1.append([{ t: 'x' }]);
    expect(mode(fresh)).toBe(0o600);
    await j1.compact([{ t: 'y' }]);
    expect(mode(fresh)).toBe(0o600);
    await j1.close();

    const old = join(dir, 'old.jsonl');
    writeFileSync(old, '{"t":"x"}\n');
    chmodSync(old, 0o644);
    const j2 = new Journal<{ t: string }>(old);
    expect(await j2.open()).toEqual([{ t: 'x' }]);
    expect(mode(old)).toBe(0o600);
    await j2.close();
  });
});
