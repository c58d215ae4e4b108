// Hub crash matrix, first half (issue 15): the real hub SIGKILLs itself right after deciding to
// fire (nothing recorded) and right after recording the firing (nothing started or published),
// 10 episodes each; the restarted hub must deliver each episode's SMS exactly once.
// The other points: crash-hub-publish.test.ts. Helpers and the artifact: support/crash-hub.ts.
import { describe, it } from 'vitest';
import { crashMatrixSuite, expectExactlyOnce } from './support/crash-hub.js';

const EPISODES = Number(process.env.CRASH_EPISODES ?? 10);
const devices = (from: number) => Array.from({ length: EPISODES }, (_, i) => String(from + i));

describe('hub crash matrix: after_decide, after_store', () => {
  const suite = crashMatrixSuite();

  for (const [n, point] of ['after_decide', 'after_store'].entries()) {
    it(`${point}: ${EPISODES} episodes, killed there, lost 0, duplicated 0`, async () => {
      expectExactlyOnce(await suite.run(point, devices(30010 + n * 20)), EPISODES);
    }, 60_000 + EPISODES * 40_000);
  }
});
