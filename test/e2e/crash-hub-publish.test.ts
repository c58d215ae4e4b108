// Hub crash matrix, second half (issue 15): the real hub SIGKILLs itself with the message
// recorded but not yet published, and right after the broker acknowledged it (the `dispatched`
// state never written), 10 episodes each; and after publishing while the agent is offline, so
// the hub dies with the job still waiting at the broker (between publish and the agent's
// acknowledgement). Each episode's SMS must reach the modem exactly once, under one wire id.
// The first half: crash-hub-store.test.ts. Helpers and the artifact: support/crash-hub.ts.
import { describe, expect, it } from 'vitest';
import { crashMatrixSuite, expectExactlyOnce } from './support/crash-hub.js';

const EPISODES = Number(process.env.CRASH_EPISODES ?? 10);
const OFFLINE_EPISODES = Number(process.env.CRASH_OFFLINE_EPISODES ?? 3);
const devices = (from: number, n = EPISODES) => Array.from({ length: n }, (_, i) => String(from + i));

describe('hub crash matrix: before_publish, after_publish, after_publish with the agent offline', () => {
  const suite = crashMatrixSuite();

  for (const [n, point] of ['before_publish', 'after_publish'].entries()) {
    it(`${point}: ${EPISODES} episodes, killed there, lost 0, duplicated 0`, async () => {
      expectExactlyOnce(await suite.run(point, devices(30010 + n * 15)), EPISODES);
    }, 60_000 + EPISODES * 40_000);
  }

  it(`after_publish with the agent offline: ${OFFLINE_EPISODES} episodes, the job waits at the broker, lost 0, duplicated 0`, async () => {
    const row = await suite.run('after_publish', devices(30040, OFFLINE_EPISODES), true);
    expectExactlyOnce(row, OFFLINE_EPISODES);
    // The hub re-sent under the same wire id (or the broker redelivered): the agent dropped the repeat.
    expect(row.publishes).toBeGreaterThanOrEqual(OFFLINE_EPISODES);
  }, 60_000 + OFFLINE_EPISODES * 60_000);
});
