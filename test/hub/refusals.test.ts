// Every refusal of a site payload reaches onRejected with its reason (issue 15): the dispatcher
// (updates: unknown execution, another site's, stale or repeated), the site monitor and the
// inbound handler (unknown site, mismatch, malformed, schema, too large). The metric over a real
// broker: rejected.int.test.ts.
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../hub/common/log.js';
import { exampleInbound, exampleStatus } from '../../hub/common/contract/examples.js';
import { Dispatcher } from '../../hub/dispatch/dispatcher.js';
import { InboundHandler } from '../../hub/dispatch/inbound.js';
import { decodeReason, type RejectReason } from '../../hub/dispatch/refusals.js';
import { SiteMonitor } from '../../hub/dispatch/sites.js';
import { createWorld } from './world.js';

describe('refusal reasons', () => {
  it('updates: unknown execution, another site, stale and repeated', async () => {
    const w = await createWorld();
    const seen: string[] = [];
    const d = new Dispatcher({ store: w.store, sink: w.engine, clock: w.clock, log: silentLogger, isSiteOnline: () => true, resendAfterMs: 60_000, onRejected: (ref, kind, reason) => seen.push(`${ref.platform_id}/${ref.site_id} ${kind} ${reason}`) });
    const id = (await w.remediation.fire(w.job('a'), 'manual', {})) as string;
    await w.publisher.idle();
    const u = (over: Record<string, unknown>) => ({ v: 1 as const, type: 'update' as const, execution_id: id, job_id: 'j', platform_id: 'a', site_id: 's1', state: 'accepted' as const, at: new Date(w.clock.now()).toISOString(), attempt: 1, seq: 0, ...over });
    expect(await d.handleUpdate(u({ execution_id: 'unknown' }))).toBe(false);
    expect(await d.handleUpdate(u({ site_id: 's2' }))).toBe(false);
    expect(await d.handleUpdate(u({}))).toBe(true);
    expect(await d.handleUpdate(u({}))).toBe(false);
    expect(seen).toEqual(['a/s1 update unknown_execution', 'a/s2 update site_mismatch', 'a/s1 update stale']);
    expect(d.rejectedUpdates).toBe(3);
  });

  it('status and inbound: unknown site, mismatch, malformed, schema, too large', async () => {
    const w = await createWorld();
    const seen: Array<[string, RejectReason]> = [];
    const onRejected = (_ref: unknown, kind: string, reason: RejectReason) => seen.push([kind, reason]);
    const sites = new SiteMonitor({ store: w.store, mqtt: w.pub, log: silentLogger, now: w.clock.now, onRejected });
    const inbound = new InboundHandler({ store: w.store, sink: w.engine, mqtt: w.pub, log: silentLogger, now: w.clock.now, maxPerPlatform: 100, onRejected });
    const ref = { platform_id: 'a', site_id: 's1' };
    const status = (over: Record<string, unknown>) => Buffer.from(JSON.stringify({ ...exampleStatus, platform_id: 'a', site_id: 's1', ...over }));
    await sites.handleStatus({ platform_id: 'a', site_id: 'gone' }, status({ site_id: 'gone' }));
    await sites.handleStatus(ref, status({ site_id: 's9' }));
    await sites.handleStatus(ref, Buffer.from('{'));
    await sites.handleStatus(ref, status({ state: 'sideways' }));
    await sites.handleStatus(ref, status({}));
    await inbound.handle(ref, Buffer.from('x'.repeat(70_000)));
    await inbound.handle({ platform_id: 'a', site_id: 'gone' }, Buffer.from(JSON.stringify({ ...exampleInbound, platform_id: 'a', site_id: 'gone' })));
    await inbound.handle(ref, Buffer.from(JSON.stringify({ ...exampleInbound, platform_id: 'a', site_id: 's1' })));
    expect(seen).toEqual([
      ['status', 'unknown_site'],
      ['status', 'site_mismatch'],
      ['status', 'malformed'],
      ['status', 'schema'],
      ['inbound', 'too_large'],
      ['inbound', 'unknown_site'],
    ]);
    expect(sites.isOnline('a', 's1')).toBe(true);
    expect(w.store.inbound('a')).toHaveLength(1);
    expect(decodeReason('steps[0]: expected string')).toBe('schema');
  });
});
