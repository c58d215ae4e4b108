// Hub crash matrix, first half (issue 15): the real hub SIGKILLs itself right after deciding to
// fire (nothing recorded) and right after recording the firing (nothing started or published),
// 10 episodes each; the restarted hub must deliver each episode's SMS exactly once.
// The other points: crash-hub-publish.test.ts. Helpers and the artifact: support/crash-hub.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CrashRow, crashRow, recordMatrix, WireObserver } from './support/crash-hub.js';
import { type Stack, startStack } from './stack.js';

const EPISODES = Number(process.env.CRASH_EPISODES ?? 10);
const devices = (from: number) => Array.from({ length: EPISODES }, (_, i) => String(from + i));

describe('hub crash matrix: after_decide, after_store', () => {
  let stack: Stack;
  let observer: WireObserver;
  const rows: CrashRow[] = [];
  beforeAll(async () => {
    stack = await startStack({ broker: 'mosquitto', pollIntervalS: 1, scrapeIntervalS: 1, exporterRefreshS: 1, devices: 60, statusReportMs: 100, bundledHub: true });
    observer = await WireObserver.start(stack);
  }, 120_000);
  afterAll(async () => {
    if (rows.length) recordMatrix(rows);
    await observer?.close();
    await stack?.stop();
  }, 60_000);

  for (const [n, point] of ['after_decide', 'after_store'].entries()) {
    it(`${point}: ${EPISODES} episodes, killed there, lost 0, duplicated 0`, async () => {
      const row = await crashRow(stack, observer, point, devices(30010 + n * 20));
      rows.push(row);
      expect(row.crashed).toBe(EPISODES);
      expect(row.detail.map((e) => e.sms)).toEqual(row.detail.map(() => 1));
      expect(row.detail.map((e) => e.wire_ids)).toEqual(row.detail.map(() => 1));
      expect(row.detail.map((e) => e.executions)).toEqual(row.detail.map(() => 1));
      expect(row.lost + row.duplicated).toBe(0);
    }, 60_000 + EPISODES * 40_000);
  }
});
