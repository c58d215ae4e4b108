// Store files are readable by their owner only (issue 18): definitions.json holds webhook
// secrets and Prometheus Authorization headers. Written 0600 whatever the umask, also over a
// file or a stale temp file left 0644 by an older hub.
import { chmodSync, existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HubStore } from '../../hub/store/store.js';
import { PrivateJsonFile } from '../../hub/store/private-file.js';
import { tempDir } from './fixtures.js';

const mode = (f: string) => statSync(f).mode & 0o777;

describe('store file modes', () => {
  it('every document the hub writes is 0600', async () => {
    const dir = tempDir('store-mode');
    const store = new HubStore(dir);
    await store.load();
    await store.putPlatform({ id: 'p', name: 'P', prometheus: { url: 'http://127.0.0.1:9', headers: { Authorization: 'Bearer secret' } }, tokens: [], events_password: null, created_at: new Date().toISOString() });
    const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
    expect(files).toContain('definitions.json');
    for (const f of files) expect(mode(join(dir, f)), f).toBe(0o600);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('an existing 0644 document and a stale 0644 temp file end up 0600 after a write', async () => {
    const dir = tempDir('store-mode-old');
    const file = join(dir, 'doc.json');
    writeFileSync(file, '{"version":1}');
    chmodSync(file, 0o644);
    writeFileSync(join(dir, '.doc.json.tmp'), 'half a write');
    chmodSync(join(dir, '.doc.json.tmp'), 0o644);
    const doc = new PrivateJsonFile<{ version: number; secret: string }>(file);
    expect(await doc.read()).toEqual({ version: 1 });
    await doc.write({ version: 1, secret: 's' });
    expect(mode(file)).toBe(0o600);
    expect(existsSync(join(dir, '.doc.json.tmp'))).toBe(false);
    expect(await doc.read()).toEqual({ version: 1, secret: 's' });
    expect(await new PrivateJsonFile(join(dir, 'missing.json')).read()).toBeNull();
  });
});
