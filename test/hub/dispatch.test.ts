// Dispatch and executions with a recording publisher: agent updates ordered by seq, re-send when
// the site comes back, expiry, site status, inbound SMS matched to the execution it answers.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dispatchState, executionView } from '../../hub/model/execution-view.js';
import type { Execution } from '../../hub/model/execution.js';
import type { ExecutionUpdate } from '../../hub/common/contract/index.js';
import { silentLogger } from '../../hub/common/log.js';
import { InboundHandler, samePhone } from '../../hub/dispatch/inbound.js';
import { createWorld, fireJob, type World } from './world.js';

function update(w: World, id: string, state: ExecutionUpdate['state'], seq: number, over: Partial<ExecutionUpdate> = {}): ExecutionUpdate {
  return { v: 1, type: 'update', execution_id: id, job_id: 'j', platform_id: 'a', site_id: 's1', state, at: new Date(w.clock.t).toISOString(), attempt: 1, seq, ...over };
}

function status(platform: string, site: string, state: 'online' | 'offline') {
  return Buffer.from(JSON.stringify({ v: 1, type: 'status', platform_id: platform, site_id: site, state, at: '2026-11-23T10:00:00.000Z', modem: { state: 'up', signal_dbm: -71 }, outbox: { depth: 2 } }));
}


describe('dispatcher', () => {
  it('writes the execution to disk before the job message leaves', async () => {
    const w = await createWorld();
    const onDisk: boolean[] = [];
    const file = w.store.executions.file;
    const publish = w.pub.publish.bind(w.pub);
    w.pub.publish = async (topic, payload, opts) => {
      if (topic.endsWith('/job')) {
        const id = (JSON.parse(payload) as { execution_id: string }).execution_id;
        onDisk.push(readFileSync(file, 'utf8').includes(id));
      }
      return publish(topic, payload, opts);
    };
    await fireJob(w);
    expect(onDisk).toEqual([true]);
  });

  it('follows agent updates in seq order and drops stale or foreign ones', async () => {
    const w = await createWorld();
    const id = await fireJob(w);
    expect(await w.dispatcher.handleUpdate(update(w, id, 'accepted', 0))).toBe(true);
    expect(await w.dispatcher.handleUpdate(update(w, id, 'sent', 2, { message_refs: [17], parts: 1 }))).toBe(true);
    expect(await w.dispatcher.handleUpdate(update(w, id, 'sending', 1))).toBe(false); // stale
    expect(await w.dispatcher.handleUpdate(update(w, id, 'sent', 2))).toBe(false); // repeated
    expect(await w.dispatcher.handleUpdate(update(w, id, 'failed', 3, { platform_id: 'b' }))).toBe(false); // other tenant
    expect(await w.dispatcher.handleUpdate(update(w, id, 'failed', 3, { site_id: 's2' }))).toBe(false); // other site
    expect(await w.dispatcher.handleUpdate(update(w, id, 'delivered', 3, { delivery: { status: 0 } }))).toBe(true);
    await w.publisher.idle();
    const e = w.store.execution(id);
    expect(e && dispatchState(e)).toBe('delivered');
    expect(e?.messages[0]?.message_refs).toEqual([17]);
    // The playbook's own entries (started, finished) sit between the message's states.
    expect(e?.timeline.map((t) => t.state)).toEqual(['created', 'started', 'dispatched', 'accepted', 'sent', 'finished', 'delivered']);
    expect(e && executionView(e)).toMatchObject({ phase: 'done', outcome: null, escalated: false });
    const events = w.pub.on('/events/a/execution');
    expect(events.filter((ev) => !ev.step_state).map((ev) => ev.state)).toEqual(['created', 'dispatched', 'accepted', 'sent', 'delivered']);
    expect(events.map((ev) => ev.seq)).toEqual(events.map((_, i) => i)); // every event of the execution, playbook steps too, in order
    expect(w.pub.on('/events/b/execution')).toHaveLength(0);
  });

  it('re-sends an unacknowledged job with attempt + 1 when its site comes online, and not after acceptance', async () => {
    const w = await createWorld();
    const id = await fireJob(w);
    await w.sites.handleStatus({ platform_id: 'a', site_id: 's1' }, status('a', 's1', 'online'));
    await w.publisher.idle();
    let jobs = w.pub.on('/a/s1/job');
    expect(jobs.map((j) => j.attempt)).toEqual([1, 2]);
    await w.dispatcher.handleUpdate(update(w, id, 'accepted', 0, { attempt: 2 }));
    await w.sites.handleStatus({ platform_id: 'a', site_id: 's1' }, status('a', 's1', 'offline'));
    await w.sites.handleStatus({ platform_id: 'a', site_id: 's1' }, status('a', 's1', 'online'));
    w.clock.advance(120_000);
    await w.dispatcher.resendPending();
    await w.publisher.idle();
    jobs = w.pub.on('/a/s1/job');
    expect(jobs).toHaveLength(2);
  });

  it('periodic sweep re-sends to an online site after resend_after and gives up at expiry', async () => {
    const w = await createWorld();
    await w.sites.handleStatus({ platform_id: 'a', site_id: 's1' }, status('a', 's1', 'online'));
    const id = await fireJob(w);
    w.clock.advance(30_000);
    expect(await w.dispatcher.resendPending()).toBe(0);
    w.clock.advance(40_000);
    expect(await w.dispatcher.resendPending()).toBe(1);
    w.clock.advance(900_000);
    await w.dispatcher.resendPending();
    await w.publisher.idle();
    const e = w.store.execution(id);
    expect(e && dispatchState(e)).toBe('unacknowledged');
    expect(e?.messages[0]?.reason?.code).toBe('unacknowledged');
    expect(w.pub.on('/a/s1/job').map((j) => j.attempt)).toEqual([1, 2]);
  });

  it('an action that cannot be rendered fails the execution with a reason instead of sending', async () => {
    const w = await createWorld();
    const job = w.job('a', { steps: [{ type: 'send', site_id: 's1', control_device_id: 'cd-b', command: { kind: 'text', text: 'x' }, expires_s: 900 }] });
    const id = await w.remediation.fire(job, 'condition', {});
    await w.publisher.idle();
    expect(executionView(w.store.execution(id ?? '') as Execution)).toMatchObject({ state: 'failed', messages: [{ reason: { code: 'invalid_action' } }] });
    expect(w.pub.on('/job')).toHaveLength(0);
  });

  it('site status is kept and republished retained on the platform event topic; foreign status refused', async () => {
    const w = await createWorld();
    await w.sites.handleStatus({ platform_id: 'a', site_id: 's1' }, status('a', 's1', 'online'));
    expect(w.sites.get('a', 's1')?.status.modem?.signal_dbm).toBe(-71);
    const ev = w.pub.messages.find((m) => m.topic === 'gsmjobs/v1/events/a/site/s1');
    expect(ev?.retain).toBe(true);
    expect(ev?.payload).toMatchObject({ type: 'site', state: 'online', outbox: { depth: 2 } });
    await w.sites.handleStatus({ platform_id: 'a', site_id: 's1' }, status('b', 's1', 'offline'));
    await w.sites.handleStatus({ platform_id: 'a', site_id: 'nope' }, status('a', 'nope', 'online'));
    expect(w.sites.rejected).toBe(2);
    expect(w.sites.isOnline('a', 's1')).toBe(true);
  });
});

describe('inbound SMS', () => {
  it('matches phone numbers in national and international form', () => {
    expect(samePhone('+79160000001', '89160000001')).toBe(true);
    expect(samePhone('+79160000001', '+79160000002')).toBe(false);
    expect(samePhone('MTS', '+79160000001')).toBe(false);
  });

  it('attaches a reply to the execution it answers, publishes it, and drops a duplicate', async () => {
    const w = await createWorld();
    const id = await fireJob(w);
    const inbound = new InboundHandler({ store: w.store, sink: w.engine, mqtt: w.pub, log: silentLogger, now: w.clock.now, maxPerPlatform: 100 });
    const sms = (from: string, smsId: string, platform = 'a') =>
      Buffer.from(JSON.stringify({ v: 1, type: 'inbound', id: smsId, platform_id: platform, site_id: 's1', from, text: 'Power off 1 min OK', received_at: '2026-11-23T10:00:05.000Z', parts: 1 }));
    await inbound.handle({ platform_id: 'a', site_id: 's1' }, sms('89160000001', 'm1'));
    await inbound.handle({ platform_id: 'a', site_id: 's1' }, sms('89160000001', 'm1'));
    await inbound.handle({ platform_id: 'a', site_id: 's1' }, sms('+70000000000', 'm2'));
    // Platform b's socket number arriving at platform a's site is not matched to b's device.
    await inbound.handle({ platform_id: 'a', site_id: 's1' }, sms('+79160000002', 'm3'));
    expect(w.store.execution(id)?.replies.map((r) => r.id)).toEqual(['m1']);
    const events = w.pub.on('/events/a/sms');
    expect(events.map((e) => [e.id, e.control_device_id ?? null, e.execution_id ?? null])).toEqual([
      ['m1', 'cd-a', id],
      ['m2', null, null],
      ['m3', null, null],
    ]);
    expect(w.store.inbound('a')).toHaveLength(3);
    await inbound.handle({ platform_id: 'a', site_id: 's1' }, sms('89160000001', 'm4', 'b'));
    expect(inbound.rejected).toBe(1);
  });
});
