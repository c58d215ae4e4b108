// An agent's update for a message the leader's working copy does not hold yet (another hub wrote
// the execution and the change feed has not caught up, issue 20): the engine reads it from the
// store by the message's wire id (LeaderStore.executionByMessage) instead of refusing it as
// unknown. Where the working copy is the whole store (lowdb) there is no such read.
import { describe, expect, it } from 'vitest';
import type { ExecutionUpdate } from '../../hub/common/contract/index.js';
import type { Execution } from '../../hub/model/execution.js';
import { createWorld, fireJob, type World } from './world.js';

async function fired(w: World): Promise<Execution> {
  const e = w.store.execution(await fireJob(w));
  if (!e) throw new Error('not fired');
  return e;
}

/** An execution written behind the engine's back (as another hub would), with its own message id. */
async function writtenElsewhere(w: World, like: Execution): Promise<{ exec: Execution; wire: string }> {
  const wire = `${like.messages[0]?.wire_id ?? 'x'}-other`;
  const exec: Execution = structuredClone({ ...like, id: `${like.id}-other`, messages: like.messages.map((m) => ({ ...m, wire_id: wire })) });
  await w.store.putExecution(exec);
  return { exec, wire };
}

const update = (w: World, wire: string, seq: number, state: ExecutionUpdate['state']): ExecutionUpdate => ({
  v: 1, type: 'update', execution_id: wire, job_id: 'j', platform_id: 'a', site_id: 's1', state, at: new Date(w.clock.t).toISOString(), attempt: 1, seq,
});

describe('engine: a message not in the working copy', () => {
  it('is read from the store by its wire id and applied', async () => {
    const w = await createWorld();
    const first = await fired(w); // the engine's message index is built now
    const { exec, wire } = await writtenElsewhere(w, first);
    const reads: string[] = [];
    // What WorkingSet.executionByMessage does over PostgreSQL, here over the lowdb store.
    Object.assign(w.store, {
      executionByMessage: async (platformId: string, wireId: string) => {
        reads.push(`${platformId}/${wireId}`);
        return w.store.executionList(platformId).find((e) => e.messages.some((m) => m.wire_id === wireId));
      },
    });
    expect(await w.dispatcher.handleUpdate(update(w, wire, 0, 'accepted'))).toBe(true);
    expect(reads).toEqual([`a/${wire}`]);
    expect(w.store.execution(exec.id)?.messages[0]?.state).toBe('accepted');
    // Found once, it is indexed: the next update needs no read.
    expect(await w.dispatcher.handleUpdate(update(w, wire, 1, 'sending'))).toBe(true);
    expect(reads).toHaveLength(1);
    expect(w.store.execution(exec.id)?.messages[0]?.state).toBe('sending');
    // Another platform's update for that id finds nothing there.
    expect(await w.dispatcher.handleUpdate({ ...update(w, wire, 2, 'sent'), platform_id: 'b' })).toBe(false);
  });

  it('without the read (lowdb: the working copy is the store) it stays unknown', async () => {
    const w = await createWorld();
    const first = await fired(w);
    const { wire } = await writtenElsewhere(w, first);
    expect(await w.dispatcher.handleUpdate(update(w, wire, 0, 'accepted'))).toBe(false);
  });
});
