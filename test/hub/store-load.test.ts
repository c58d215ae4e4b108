// Validated store loads (issue 15): every document is checked against the model schemas at
// start; a bad one throws StoreLoadError naming the file, the record and the field, and the file
// is left byte for byte as it was (the hub exits 2: test/hub/process.int.test.ts).
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StoreLoadError } from '../../hub/store/schemas.js';
import { HubStore } from '../../hub/store/store.js';
import { tempDir } from './fixtures.js';
import { createWorld } from './world.js';

/** A store with one job, written to disk; returns its dir and the job id. */
async function storeWithJob(): Promise<{ dir: string; jobId: string }> {
  const w = await createWorld();
  const job = w.job('a');
  await w.store.putJob(job);
  await w.store.flush();
  return { dir: w.store.definitions.file.replace(/\/definitions\.json$/, ''), jobId: job.id };
}

async function refused(dir: string, file: string): Promise<StoreLoadError> {
  const before = readFileSync(join(dir, file));
  const err = await new HubStore(dir).load().then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StoreLoadError);
  // Never rewritten: the operator's file is what they left.
  expect(readFileSync(join(dir, file)).equals(before)).toBe(true);
  return err as StoreLoadError;
}

describe('store loads are validated (issue 15)', () => {
  it('a stored job with conditions: null names the file, the job and the field', async () => {
    const { dir, jobId } = await storeWithJob();
    const file = join(dir, 'definitions.json');
    const doc = JSON.parse(readFileSync(file, 'utf8'));
    doc.jobs[jobId].conditions = null;
    writeFileSync(file, JSON.stringify(doc));
    const err = await refused(dir, 'definitions.json');
    expect(err.file).toBe(file);
    expect(err.record).toBe(`jobs "${jobId}"`);
    expect(err.field).toBe('conditions');
    expect(err.message).toContain(file);
    expect(err.message).toContain(jobId);
    expect(err.message).toMatch(/conditions: .*array/i);
  });

  it('a [] root, a null root, invalid JSON: refused with the file named, never replaced by an empty store', async () => {
    const { dir } = await storeWithJob();
    for (const [name, text, why] of [
      ['definitions.json', '[]', /root must be a JSON object, not an array/],
      ['runtime.json', 'null', /root must be a JSON object, not null/],
      ['executions.json', '{"version": 2, "executions": {', /not valid JSON/],
    ] as const) {
      const good = existsSync(join(dir, name)) ? readFileSync(join(dir, name), 'utf8') : null;
      writeFileSync(join(dir, name), text);
      const err = await refused(dir, name);
      expect(err.file).toBe(join(dir, name));
      expect(err.message).toContain(join(dir, name));
      expect(err.message).toMatch(why);
      if (good === null) rmSync(join(dir, name));
      else writeFileSync(join(dir, name), good);
    }
    // Restored, the store loads again with its job.
    const store = new HubStore(dir);
    await store.load();
    expect(store.jobs()).toHaveLength(1);
  });

  it('bad records in the other documents: a runtime state, an execution message, a guardrail history', async () => {
    const { dir, jobId } = await storeWithJob();
    writeFileSync(join(dir, 'runtime.json'), JSON.stringify({ version: 1, jobs: { [jobId]: { state: 'exploded', since: 1, cond_since: null, data_at: null, last_fired_at: null, last_execution_id: null, nodata_fired: false } } }));
    expect(await refused(dir, 'runtime.json')).toMatchObject({ record: `jobs "${jobId}"`, field: 'state' });
    writeFileSync(join(dir, 'runtime.json'), JSON.stringify({ version: 1, jobs: {} }));
    writeFileSync(join(dir, 'executions.json'), JSON.stringify({ version: 2, executions: {}, inbound: [{ id: 'x' }] }));
    expect(await refused(dir, 'executions.json')).toMatchObject({ record: 'inbound [0]', field: 'platform_id' });
    writeFileSync(join(dir, 'executions.json'), JSON.stringify({ version: 2, executions: {}, inbound: [] }));
    writeFileSync(join(dir, 'remediation.json'), JSON.stringify({ version: 1, history: { 'a/device_id=1': ['yesterday'] }, budget: {}, correlation: { recent: {}, incidents: [] }, deliveries: [] }));
    expect(await refused(dir, 'remediation.json')).toMatchObject({ record: 'history "a/device_id=1"', field: '[0]' });
  });

  it('a data version newer than this hub is refused as such', async () => {
    const dir = tempDir('store-newer');
    writeFileSync(join(dir, 'runtime.json'), JSON.stringify({ version: 99, jobs: {} }));
    const err = await refused(dir, 'runtime.json');
    expect(err.field).toBe('version');
    expect(err.message).toMatch(/newer than this hub/);
  });
});
