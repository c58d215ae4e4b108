// Issue 20, one execution record with one writer: the dispatcher and the inbound matcher only
// report to the engine (they cannot write), a message is found by its own id (no parsing of the
// execution id out of it), the engine writes before it publishes, and the site messages are
// routed and decoded outside the composition root (hub/dispatch/site-messages.ts).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ExecutionUpdate } from '../../hub/common/contract/index.js';
import { silentLogger } from '../../hub/common/log.js';
import { Dispatcher } from '../../hub/dispatch/dispatcher.js';
import type { Report, ReportResult } from '../../hub/dispatch/reports.js';
import { siteMessageHandler } from '../../hub/dispatch/site-messages.js';
import { dispatchState, executionView } from '../../hub/model/execution-view.js';
import type { Execution } from '../../hub/model/execution.js';
import { remediationSettings } from '../../hub/model/remediation.js';
import { createWorld, type World } from './world.js';

function update(w: World, id: string, state: ExecutionUpdate['state'], seq: number, over: Partial<ExecutionUpdate> = {}): ExecutionUpdate {
  return { v: 1, type: 'update', execution_id: id, job_id: 'j', platform_id: 'a', site_id: 's1', state, at: new Date(w.clock.t).toISOString(), attempt: 1, seq, ...over };
}

async function firedAs(w: World, executionId: string): Promise<string> {
  const job = w.job('a');
  await w.store.putJob(job);
  const [id] = await w.remediation.fireMany([{ job, reason: 'condition', values: { signage_device_online: 0 }, execution_id: executionId }]);
  await w.publisher.idle();
  if (!id) throw new Error('not fired');
  return id;
}

describe('one execution record, one writer', () => {
  it('an execution id with dashes: its message is found by its own id, never by a prefix', async () => {
    const w = await createWorld();
    // A decoy whose id is the prefix the old parsing (`executionIdOf`) would have looked up.
    await firedAs(w, 'ep');
    const id = await firedAs(w, 'ep-2-x');
    expect(w.pub.on('/a/s1/job').map((j) => j.execution_id)).toEqual(['ep', 'ep-2-x']);
    expect(await w.dispatcher.handleUpdate(update(w, 'ep-2-x', 'delivered', 0))).toBe(true);
    expect(dispatchState(w.store.execution(id) as Execution)).toBe('delivered');
    expect(dispatchState(w.store.execution('ep') as Execution)).toBe('dispatched');
    expect(await w.dispatcher.handleUpdate(update(w, 'ep-2', 'failed', 1))).toBe(false);
  });

  it('the dispatcher only reads the store and reports; the engine decides', async () => {
    const w = await createWorld();
    const id = await firedAs(w, 'e1');
    const reports: Report[] = [];
    const answers: ReportResult[] = [{ ok: false, reason: 'stale' }, { ok: true }];
    const seen: string[] = [];
    // Any store method but executionList throws: the dispatcher must not touch the record.
    const readOnly = new Proxy(w.store, {
      get(target, prop) {
        if (prop !== 'executionList') throw new Error(`dispatcher used store.${String(prop)}`);
        return target.executionList.bind(target);
      },
    });
    const d = new Dispatcher({
      store: readOnly,
      sink: { report: async (r) => (reports.push(r), answers.shift() ?? { ok: true }) },
      clock: w.clock,
      log: silentLogger,
      isSiteOnline: () => true,
      resendAfterMs: 1000,
      onRejected: (ref, kind, reason) => seen.push(`${ref.site_id} ${kind} ${reason}`),
    });
    const before = JSON.stringify(w.store.execution(id));
    expect(await d.handleUpdate(update(w, id, 'accepted', 0, { message_refs: [3] }))).toBe(false);
    expect(seen).toEqual(['s1 update stale']);
    expect(d.rejectedUpdates).toBe(1);
    w.clock.advance(5000);
    expect(await d.resendPending('a', 's1')).toBe(1);
    expect(reports).toEqual([
      { type: 'message', message_id: id, platform_id: 'a', site_id: 's1', state: 'accepted', seq: 0, attempt: 1, message_refs: [3] },
      { type: 'resend', message_id: id },
    ]);
    // Nothing changed: the sink here is not the engine, so nothing applied them.
    expect(JSON.stringify(w.store.execution(id))).toBe(before);
  });

  it('the engine writes an agent update before its public event leaves; a re-send is written before it is published', async () => {
    const w = await createWorld();
    const id = await firedAs(w, 'e1');
    const file = w.store.executions.file;
    const onDisk: string[] = [];
    const publish = w.pub.publish.bind(w.pub);
    w.pub.publish = async (topic, payload, opts) => {
      const stored = (JSON.parse(readFileSync(file, 'utf8')) as { executions: Record<string, Execution> }).executions[id];
      const m = stored?.messages[0];
      if (topic.endsWith('/execution')) onDisk.push(`event ${(JSON.parse(payload) as { state: string }).state}: disk ${m?.state}`);
      if (topic.endsWith('/job')) onDisk.push(`job attempt ${(JSON.parse(payload) as { attempt: number }).attempt}: disk ${m?.attempt}`);
      return publish(topic, payload, opts);
    };
    w.clock.advance(120_000);
    // The site comes online: its unacknowledged job is re-sent (attempt 2).
    const online = { v: 1, type: 'status', platform_id: 'a', site_id: 's1', state: 'online', at: new Date(w.clock.t).toISOString(), modem: { state: 'up' }, outbox: { depth: 0 } };
    await w.sites.handleStatus({ platform_id: 'a', site_id: 's1' }, Buffer.from(JSON.stringify(online)));
    await w.publisher.idle();
    expect(await w.dispatcher.handleUpdate(update(w, id, 'sent', 0, { attempt: 2 }))).toBe(true);
    await w.publisher.idle();
    expect(onDisk.slice(0, 3)).toEqual(['event dispatched: disk dispatched', 'job attempt 2: disk 2', 'event sent: disk sent']);
    // Every later event too (the playbook's `finished`) finds its state on disk.
    for (const line of onDisk.slice(3)) expect(line).toBe('event sent: disk sent');
    const e = executionView(w.store.execution(id) as Execution);
    expect(e).toMatchObject({ state: 'sent', phase: 'done', outcome: null });
    expect(e.messages[0]).toMatchObject({ attempt: 2, agent_seq: 0 });
  });

  it('a burst of agent updates handled at once is applied together and written once (group commit)', async () => {
    const w = await createWorld();
    // Guardrails opened wide: 20 devices fire, each gets its command.
    await w.store.putRemediationSettings('a', remediationSettings.parse({ device_limit: { max: 1000, window_s: 3600 }, correlation: { min_count: null, min_share: null } }));
    const jobs = Array.from({ length: 20 }, (_, i) => w.job('a', { device: { key_type: 'device_id', key: `dev-${i}`, name: '' } }));
    await w.store.putJobs(jobs);
    const ids = (await w.remediation.fireMany(jobs.map((job, i) => ({ job, reason: 'condition' as const, values: {}, execution_id: `b${i}` })))) as string[];
    await w.publisher.idle();
    expect(w.pub.on('/a/s1/job')).toHaveLength(20);
    let saves = 0;
    const save = w.store.executions.save.bind(w.store.executions);
    w.store.executions.save = async () => {
      saves++;
      return save();
    };
    const results = await Promise.all(ids.map((id) => w.dispatcher.handleUpdate(update(w, id, 'accepted', 0))));
    expect(results).toEqual(ids.map(() => true));
    expect(ids.map((id) => dispatchState(w.store.execution(id) as Execution))).toEqual(ids.map(() => 'accepted'));
    expect(saves).toBeGreaterThanOrEqual(1);
    expect(saves).toBeLessThanOrEqual(2);
  });

  it("an agent update that overtakes the broker's acknowledgement: dispatched first, once", async () => {
    const w = await createWorld();
    const job = w.job('a');
    await w.store.putJob(job);
    let puback: () => void = () => undefined;
    const publish = w.pub.publish.bind(w.pub);
    w.pub.publish = async (topic, payload, opts) => {
      await publish(topic, payload, opts);
      if (topic.endsWith('/job')) await new Promise<void>((r) => (puback = r));
    };
    const id = (await w.remediation.fire(job, 'condition', {})) as string;
    await new Promise((r) => setTimeout(r, 20));
    expect(w.pub.on('/a/s1/job')).toHaveLength(1);
    expect(await w.dispatcher.handleUpdate(update(w, id, 'accepted', 0))).toBe(true);
    puback();
    await w.publisher.idle();
    const states = (w.store.execution(id) as Execution).timeline.map((t) => t.state);
    expect(states.filter((x) => x === 'dispatched' || x === 'accepted')).toEqual(['dispatched', 'accepted']);
    expect(dispatchState(w.store.execution(id) as Execution)).toBe('accepted');
  });

  it('site messages: retained and foreign updates are refused before the dispatcher; a good one reaches it', async () => {
    const w = await createWorld();
    const id = await firedAs(w, 'e1');
    const seen: string[] = [];
    const handle = siteMessageHandler({
      sites: w.sites,
      inbound: { handle: async () => void seen.push('inbound') },
      dispatcher: w.dispatcher,
      onRejected: (ref, kind, reason) => seen.push(`${ref.site_id} ${kind} ${reason}`),
      log: silentLogger,
    });
    const ref = { platform_id: 'a', site_id: 's1' };
    const body = (u: ExecutionUpdate) => Buffer.from(JSON.stringify(u));
    await handle({ ref, kind: 'update', payload: body(update(w, id, 'accepted', 0)), retained: true });
    await handle({ ref, kind: 'update', payload: body(update(w, id, 'accepted', 0, { site_id: 's2' })), retained: false });
    await handle({ ref, kind: 'update', payload: Buffer.from('{'), retained: false });
    await handle({ ref, kind: 'inbound', payload: Buffer.from('{}'), retained: true });
    await handle({ ref, kind: 'inbound', payload: Buffer.from('{}'), retained: false });
    expect(dispatchState(w.store.execution(id) as Execution)).toBe('dispatched');
    await handle({ ref, kind: 'update', payload: body(update(w, id, 'accepted', 0)), retained: false });
    expect(seen).toEqual(['s1 update retained', 's1 update site_mismatch', 's1 update malformed', 's1 inbound retained', 'inbound']);
    expect(w.dispatcher.rejectedUpdates).toBe(2);
    expect(dispatchState(w.store.execution(id) as Execution)).toBe('accepted');
  });
});
