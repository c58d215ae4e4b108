// The working set finds an execution by a message's wire id even when its memory does not hold
// it yet (created by another leader before the change feed caught up): read from the store by
// the wire id (PostgreSQL: the executions_wire_ids index) and kept for the engine's next write.
import { describe, expect, it } from 'vitest';
import { LowdbStore } from '../../hub/store/lowdb-adapter.js';
import { scopeOf } from '../../hub/store/port.js';
import { HubStore } from '../../hub/store/store.js';
import { WorkingSet } from '../../hub/store/working-set.js';
import { tempDir } from './fixtures.js';
import { execution } from './store-contract-fixtures.js';

describe('working set: execution by message', () => {
  it('reads a missing execution by wire id from the store and keeps it; another platform never matches', async () => {
    const dir = tempDir('ws-by-message');
    const store = new HubStore(dir);
    await store.load();
    const port = await LowdbStore.open(store, dir);
    const ws = new WorkingSet(port);
    // Loaded without following the feed: what is written afterwards is unknown to its memory.
    await ws.reload();
    const e = execution('alpha', 'late');
    await port.executions.commitFiring(scopeOf('alpha'), [e], new Map());
    expect(ws.execution('late')).toBeUndefined();
    expect(await ws.executionByMessage('beta', 'late')).toBeUndefined();
    const found = await ws.executionByMessage('alpha', 'late');
    expect(found).toMatchObject({ id: 'late', platform_id: 'alpha' });
    expect(found).not.toHaveProperty('version');
    expect(ws.execution('late')).toBe(found);
    expect(await ws.executionByMessage('alpha', 'late')).toBe(found);
    expect(await ws.executionByMessage('alpha', 'nobody')).toBeUndefined();
    await ws.close();
  });
});
