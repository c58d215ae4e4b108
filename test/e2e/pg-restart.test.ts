// PostgreSQL restarted under two hubs (issue 20), over real processes (see failover.test.ts):
// the database stops (pg_ctl stop -m fast) for 10 s. Both hubs report `degraded` with the store
// down on /readyz and keep answering /healthz; the leader's lease is gone, so nothing fires
// while the store cannot record it. Devices that go offline during the outage are acted on once
// the database is back: exactly one SMS, one wire id, one execution each; the episode fired
// before the outage does not fire again; a hub leads again under a higher epoch.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { twoHubsSuite } from './support/two-hubs-suite.js';
import { ROOT, sleep, until } from './support/child.js';
import { episodeJob, readyz } from './support/multi-hub.js';

const POLL_S = 2;
const DOWN_MS = 10_000;

describe('two hubs on PostgreSQL: the database restarts', () => {
  const suite = twoHubsSuite(POLL_S);

  it('hubs report degraded, nothing fires twice, they recover and fire again', async () => {
    const { stack, hubs } = suite.world;
    const leadBefore = await suite.sampler.leaderSince('hub-a', 0, 30_000);
    const before = { job_id: await episodeJob(stack, '30002', 'pg-restart before'), device: '30002', text: 'pg-restart before' };
    const during = await Promise.all(['30003', '30004'].map(async (device, i) => ({ job_id: await episodeJob(stack, device, `pg-restart during ${i + 1}`), device, text: `pg-restart during ${i + 1}` })));
    await sleep(500);
    await stack.sim.setOnline(before.device, false);
    await until(() => suite.sms(before.text) > 0, 60_000, 'the SMS fired before the outage', 250);

    const stoppedAt = Date.now();
    await suite.world.pg.stop();
    // Devices fail while the store is away: nothing can be recorded, so nothing may be sent yet.
    await Promise.all(during.map((e) => stack.sim.setOnline(e.device, false)));
    const degraded = await until(
      async () => {
        const r = await Promise.all(hubs.map((h) => readyz(h.url)));
        return r.every((x) => x?.status === 503 && x.store === 'down' && x.degraded.includes('store')) ? r : null;
      },
      DOWN_MS - 1000,
      'both hubs degraded: store',
      200,
    );
    const degradedAfterMs = Date.now() - stoppedAt;
    const healthz = await Promise.all(hubs.map(async (h) => (await fetch(`${h.url}/healthz`)).status));
    await sleep(Math.max(0, DOWN_MS - (Date.now() - stoppedAt)));
    const sentDuringOutage = during.map((e) => suite.sms(e.text));
    const publishedDuringOutage = during.map((e) => suite.observer.byJob.get(e.job_id)?.publishes ?? 0);
    await suite.world.pg.start();
    const startedAt = Date.now();

    await until(async () => (await Promise.all(hubs.map((h) => readyz(h.url)))).every((x) => x?.store === 'up'), 60_000, 'both hubs see the store again', 200);
    const recoveredAfterMs = Date.now() - startedAt;
    const leadAfter = await until(() => suite.sampler.samples.find((s) => s.at >= startedAt && (s.a?.leader || s.b?.leader)), 60_000, 'a leader after the restart', 100);
    await until(() => during.every((e) => suite.sms(e.text) > 0), 90_000, 'the SMS of the devices that failed during the outage', 250);
    const firedAfterMs = Date.now() - startedAt;
    await sleep(4 * POLL_S * 1000);

    const db = new pg.Client({ connectionString: suite.world.pg.urlOf('gsmjobs') });
    await db.connect();
    const counts = new Map((await db.query<{ job_id: string; n: string }>('SELECT job_id, count(*) AS n FROM executions GROUP BY job_id')).rows.map((r) => [r.job_id, Number(r.n)]));
    await db.end();
    const episodes = [before, ...during].map((e) => ({ ...e, sms: suite.sms(e.text), wire_ids: suite.observer.byJob.get(e.job_id)?.ids.size ?? 0, executions: counts.get(e.job_id) ?? 0 }));
    const epochBefore = leadBefore.a?.epoch ?? -1;
    const epochAfter = (leadAfter.a?.leader ? leadAfter.a.epoch : leadAfter.b?.epoch) ?? -1;
    const dir = join(ROOT, 'test-artifacts');
    mkdirSync(dir, { recursive: true });
    const report = { generated_at: new Date().toISOString(), down_ms: DOWN_MS, degraded_after_ms: degradedAfterMs, store_seen_again_ms: recoveredAfterMs, fired_after_restart_ms: firedAfterMs, epoch_before: epochBefore, epoch_after: epochAfter, leader_epochs: suite.sampler.leaderEpochs(), two_leaders_samples: suite.sampler.bothLeading().length, healthz_during: healthz, episodes };
    writeFileSync(join(dir, 'pg-restart.json'), `${JSON.stringify(report, null, 2)}\n`);
    console.log(`store down ${DOWN_MS} ms: degraded after ${degradedAfterMs} ms, store seen again ${recoveredAfterMs} ms after the start, fired ${firedAfterMs} ms after; epoch ${epochBefore} -> ${epochAfter}`);

    expect(degraded.every((r) => r?.leader === false)).toBe(true);
    expect(healthz).toEqual([200, 200]);
    expect(sentDuringOutage).toEqual([0, 0]);
    expect(publishedDuringOutage).toEqual([0, 0]);
    expect(epochAfter).toBeGreaterThan(epochBefore);
    expect(suite.sampler.bothLeading()).toEqual([]);
    expect(episodes.map((e) => [e.text, e.sms, e.wire_ids, e.executions])).toEqual(episodes.map((e) => [e.text, 1, 1, 1]));
  }, 300_000);
});
