// The set-up shared by the two-hub e2e files (failover, PostgreSQL restart): two hubs on one
// PostgreSQL over the e2e stack, a wire observer with a site's credentials and a /readyz
// sampler, started before the file's tests and stopped after them. Call inside `describe`.
import { afterAll, beforeAll } from 'vitest';
import { WireObserver } from './crash-hub.js';
import { LeaderSampler, startTwoHubs, type TwoHubs } from './multi-hub.js';

export interface TwoHubsSuite {
  readonly world: TwoHubs;
  readonly observer: WireObserver;
  readonly sampler: LeaderSampler;
  /** SMS with this text received by the pty modem so far. */
  sms(text: string): number;
}

export function twoHubsSuite(pollIntervalS: number): TwoHubsSuite {
  const s = {} as { world: TwoHubs; observer: WireObserver; sampler: LeaderSampler };
  beforeAll(async () => {
    s.world = await startTwoHubs({ pollIntervalS, scrapeIntervalS: 1, exporterRefreshS: 1, devices: 40, statusReportMs: 100 });
    s.observer = await WireObserver.start(s.world.stack);
    s.sampler = new LeaderSampler(s.world.hubs);
  }, 180_000);
  afterAll(async () => {
    await s.sampler?.stop();
    await s.observer?.close();
    await s.world?.stop();
  }, 60_000);
  return {
    get world() {
      return s.world;
    },
    get observer() {
      return s.observer;
    },
    get sampler() {
      return s.sampler;
    },
    sms: (text) => s.world.stack.modem.sms().filter((m) => m.text === text).length,
  };
}
