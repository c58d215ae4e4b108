// Stale-epoch refusals are counted wherever the refused write came from (issue 20 leftover): the
// working set reports every write refused by fencing (the engine's executions, the webhook
// sender's deliveries, not only the poller's cycle), and the leader role counts each refusal once
// even when the writer's caller reports the same error again.
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../hub/common/log.js';
import { LeaderRole } from '../../hub/leader/role.js';
import { LowdbStore } from '../../hub/store/lowdb-adapter.js';
import { StaleEpochError } from '../../hub/store/port.js';
import { HubStore } from '../../hub/store/store.js';
import { WorkingSet } from '../../hub/store/working-set.js';
import { tempDir } from './fixtures.js';
import { delivery, execution } from './store-contract-fixtures.js';

describe('stale-epoch refusals', () => {
  it('the working set reports each fenced write refused, whoever wrote it', async () => {
    const dir = tempDir('stale-epoch');
    const store = new HubStore(dir);
    await store.load();
    const port = await LowdbStore.open(store, dir);
    const ws = new WorkingSet(port);
    await ws.load();
    const heard: unknown[] = [];
    ws.onStaleEpoch = (err) => heard.push(err);
    const a = port.leadership('a');
    const first = await a.tryAcquire();
    ws.setEpoch(first?.epoch ?? -1);
    // Still the leader: writes pass, nothing reported.
    await ws.putDelivery(delivery('alpha', 'd1', 'pending', 1000));
    expect(heard).toEqual([]);
    await a.release();
    expect(await port.leadership('b').tryAcquire()).not.toBeNull();
    // The engine's and the webhook sender's writes are now refused, and each refusal is reported.
    await expect(ws.putExecution(execution('alpha', 'e1'))).rejects.toBeInstanceOf(StaleEpochError);
    await expect(ws.putDelivery(delivery('alpha', 'd2', 'pending', 1000))).rejects.toBeInstanceOf(StaleEpochError);
    await ws.settled();
    await Promise.resolve();
    expect(heard).toHaveLength(2);
    expect(heard.every((e) => e instanceof StaleEpochError)).toBe(true);
    await ws.close();
  });

  it('the leader role counts a refusal once, however many report it', () => {
    let refusals = 0;
    const idle = { start: () => undefined, stop: async () => undefined };
    const role = new LeaderRole({
      hubId: 'hub-t',
      log: silentLogger,
      now: () => 0,
      engine: { ...idle, restart: async () => 0 },
      remediation: { resumeArmed: async () => 0 },
      webhooks: idle,
      pollTask: idle,
      housekeeping: idle,
      mqtt: { lead: async () => undefined, follow: async () => undefined },
      workingSet: null,
      metrics: { leadershipChanges: { inc: () => undefined }, staleEpochRefusals: { inc: () => void refusals++ } },
    });
    const err = new StaleEpochError(1, 2);
    expect(role.staleEpoch(err)).toBe(true);
    expect(role.staleEpoch(err)).toBe(true);
    expect(role.staleEpoch(new Error('cycle failed', { cause: err }))).toBe(true);
    expect(refusals).toBe(1);
    expect(role.staleEpoch(new StaleEpochError(1, 3))).toBe(true);
    expect(refusals).toBe(2);
    expect(role.staleEpoch(new Error('disk full'))).toBe(false);
    expect(refusals).toBe(2);
  });
});
