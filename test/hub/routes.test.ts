// Backup routes (issue 19) at hub level: the pure rules (hub/dispatch/routes.ts), the site
// monitor's `sendable` (status v1 and v2), and the engine's moves with a recording publisher:
// accept_by on dispatch, the move only after accept_by + skew, the hop, the cancel to the old
// site, late updates of an old site (cancelled again, or recorded as a double send), a failed
// site left at once, and the uncertain rule (a message that may have gone out never moves).
import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import type { ExecutionUpdate } from '../../hub/common/contract/index.js';
import { ACCEPT_SKEW_MS, acceptByFor, dueFailover, laterSites, mayLeave, nextSite, startSite } from '../../hub/dispatch/routes.js';
import type { MessageRun } from '../../hub/model/execution.js';
import { caller, jobBody } from './api-helpers.js';
import { createWorld, fireJob, TOKENS, type World } from './world.js';

const T0 = Date.parse('2026-11-23T10:00:00Z');

function update(w: World, id: string, site: string, state: ExecutionUpdate['state'], seq: number, over: Partial<ExecutionUpdate> = {}): ExecutionUpdate {
  return { v: 1, type: 'update', execution_id: id, job_id: 'j', platform_id: 'a', site_id: site, state, at: new Date(w.clock.t).toISOString(), attempt: 1, seq, ...over };
}

type ModemState = 'up' | 'init' | 'down';
function status(site: string, state: 'online' | 'offline', modems?: ModemState[] | ModemState) {
  const base = { type: 'status', platform_id: 'a', site_id: site, state, at: '2026-11-23T10:00:00.000Z' };
  const body =
    modems === undefined
      ? { v: 1, ...base }
      : Array.isArray(modems)
        ? { v: 2, ...base, modem: { state: modems.includes('up') ? 'up' : 'down' }, modems: modems.map((m, i) => ({ id: `m${i + 1}`, state: m, priority: i })) }
        : { v: 1, ...base, modem: { state: modems } };
  return Buffer.from(JSON.stringify(body));
}

/** Platform a gets sites s2 and s3, its socket the route `route`, failover after `after` s. */
async function routed(route: string[], after: number | null = 30): Promise<World> {
  const w = await createWorld();
  const at = new Date(w.clock.t).toISOString();
  for (const id of ['s2', 's3']) await w.store.putSite({ id, platform_id: 'a', name: id, mqtt_password: 'x', created_at: at });
  const cd = w.store.controlDevice('cd-a');
  if (!cd) throw new Error('no cd-a');
  await w.store.putControlDevice({ ...cd, site_ids: route });
  await w.store.putRemediationSettings('a', { ...w.store.remediationSettings('a', w.deps.remediationConfig.defaults), failover_after_s: after });
  return w;
}


function message(w: World, id: string): MessageRun {
  const m = w.store.execution(id)?.messages[0];
  if (!m) throw new Error('no message');
  return m;
}

async function sweep(w: World): Promise<number> {
  const n = await w.dispatcher.failover();
  await w.publisher.idle();
  return n;
}

describe('backup routes: the rules', () => {
  const msg = (over: Partial<MessageRun> = {}): MessageRun => ({
    wire_id: 'e1', step: 0, kind: 'command', site_id: 'a', control_device_id: 'cd', to: '+7', text: 'x', state: 'dispatched', attempt: 1, agent_seq: -1,
    expires_at: new Date(T0 + 900_000).toISOString(), dispatched_at: new Date(T0).toISOString(), accept_by: new Date(T0 + 30_000).toISOString(), ...over,
  });

  it('the route is site_ids in order; accept_by only when a later site exists and failover is on', () => {
    const dev = { site_ids: ['a', 'b', 'c'] };
    expect(laterSites(dev, 'a')).toEqual(['b', 'c']);
    expect(laterSites(dev, 'c')).toEqual([]);
    expect(laterSites(dev, 'x')).toEqual([]);
    expect(acceptByFor(dev, 'a', 30, T0)).toBe(new Date(T0 + 30_000 - ACCEPT_SKEW_MS).toISOString());
    expect(acceptByFor(dev, 'c', 30, T0)).toBeUndefined();
    expect(acceptByFor(dev, 'a', null, T0)).toBeUndefined();
    // Skip a later site that cannot send when another can; none can: the next one.
    expect(nextSite(dev, 'a', (s) => (s === 'b' ? { ok: false, reason: 'offline', since: T0 } : { ok: true }))).toBe('c');
    expect(nextSite(dev, 'a', () => ({ ok: false, reason: 'modems_down', since: T0 }))).toBe('b');
    expect(nextSite(dev, 'c', () => ({ ok: true }))).toBeNull();
  });

  it('moves only after accept_by + skew, only what the site never acknowledged or said failed/expired; never uncertain', () => {
    const due = T0 + 30_000 + ACCEPT_SKEW_MS;
    expect(dueFailover(msg(), due - 1, { ok: true })).toBeNull();
    expect(dueFailover(msg(), due, { ok: true })).toBe('not_accepted');
    expect(dueFailover(msg(), due, { ok: false, reason: 'offline', since: T0 })).toBe('offline');
    expect(dueFailover(msg(), due, { ok: false, reason: 'modems_down', since: T0 })).toBe('modems_down');
    expect(dueFailover(msg({ accept_by: undefined }), due, { ok: true })).toBeNull();
    expect(dueFailover(msg({ agent_seq: 0, state: 'accepted' }), due, { ok: false, reason: 'offline', since: T0 })).toBeNull();
    expect(dueFailover(msg({ state: 'queued' }), due, { ok: true })).toBeNull();
    expect(dueFailover(msg({ kind: 'notify' }), due, { ok: true })).toBeNull();
    expect(dueFailover(msg({ expires_at: new Date(due).toISOString() }), due, { ok: true })).toBeNull();
    expect(mayLeave(msg({ agent_seq: 2, state: 'failed' }), T0)).toBe(true);
    expect(mayLeave(msg({ agent_seq: 2, state: 'expired' }), T0)).toBe(true);
    expect(mayLeave(msg({ agent_seq: 2, state: 'failed', message_refs: [7] }), T0)).toBe(false); // a part left: the socket may have half of it
    for (const state of ['uncertain', 'accepted', 'sending', 'sent', 'delivered'] as const) expect(mayLeave(msg({ agent_seq: 2, state }), due + 3600_000)).toBe(false);
  });

  it('a new command skips a site of its route that has not been able to send for failover_after_s, if a later one can', () => {
    const dev = { site_ids: ['a', 'b', 'c'] };
    const down = (since: number) => ({ ok: false as const, reason: 'offline' as const, since });
    expect(startSite(dev, 'a', 30, T0 + 30_000, (s) => (s === 'a' ? down(T0) : { ok: true }))).toEqual({ site: 'b', skipped: [{ site_id: 'a', reason: 'offline', since: T0 }] });
    expect(startSite(dev, 'a', 30, T0 + 29_999, (s) => (s === 'a' ? down(T0) : { ok: true })).site).toBe('a'); // not down long enough
    expect(startSite(dev, 'a', 30, T0 + 60_000, () => down(T0)).site).toBe('a'); // nobody can send: stay home
    expect(startSite(dev, 'a', null, T0 + 60_000, (s) => (s === 'a' ? down(T0) : { ok: true })).site).toBe('a'); // failover off
    expect(startSite(dev, 'a', 30, T0 + 60_000, (s) => (s === 'c' ? { ok: true } : down(T0))).site).toBe('c');
    expect(startSite(dev, 'b', 30, T0 + 60_000, (s) => (s === 'b' ? down(T0) : { ok: true })).site).toBe('c'); // the route goes on from the step's site
  });

  it('a site is sendable when online with a modem up (status v1 or v2); else offline or modems_down since it became so', async () => {
    const w = await createWorld();
    const ref = { platform_id: 'a', site_id: 's1' };
    expect(w.sites.sendable('a', 's1')).toEqual({ ok: false, reason: 'offline', since: T0 });
    await w.sites.handleStatus(ref, status('s1', 'online', 'up'));
    expect(w.sites.sendable('a', 's1')).toEqual({ ok: true });
    w.clock.advance(1000);
    await w.sites.handleStatus(ref, status('s1', 'online', 'down'));
    w.clock.advance(1000);
    await w.sites.handleStatus(ref, status('s1', 'online', ['down', 'init']));
    expect(w.sites.sendable('a', 's1')).toEqual({ ok: false, reason: 'modems_down', since: T0 + 1000 });
    await w.sites.handleStatus(ref, status('s1', 'online', ['down', 'up']));
    expect(w.sites.sendable('a', 's1')).toEqual({ ok: true });
    w.clock.advance(1000);
    await w.sites.handleStatus(ref, status('s1', 'offline'));
    expect(w.sites.sendable('a', 's1')).toEqual({ ok: false, reason: 'offline', since: T0 + 3000 });
    await w.sites.handleStatus(ref, status('s1', 'online'));
    expect(w.sites.sendable('a', 's1')).toEqual({ ok: true }); // no modem reported: not known to be down
  });
});

describe('backup routes: the engine moves a command', () => {
  it('dispatches with accept_by, moves after it (+ skew) with a hop and a cancel, written before either is published', async () => {
    const w = await routed(['s1', 's2']);
    const onDisk: Array<[string, boolean]> = [];
    const publish = w.pub.publish.bind(w.pub);
    w.pub.publish = async (topic, payload, opts) => {
      if (topic.endsWith('/s2/job') || topic.endsWith('/cancel')) onDisk.push([topic, readFileSync(w.store.executions.file, 'utf8').includes('"left_because"')]);
      return publish(topic, payload, opts);
    };
    await w.sites.handleStatus({ platform_id: 'a', site_id: 's2' }, status('s2', 'online', ['up']));
    const id = await fireJob(w);
    // The move falls failover_after_s after the dispatch, the agent's deadline the skew margin before.
    expect(w.pub.on('/a/s1/job')).toMatchObject([{ attempt: 1, accept_by: new Date(T0 + 30_000 - ACCEPT_SKEW_MS).toISOString() }]);
    w.clock.advance(30_000 - 1);
    expect(await sweep(w)).toBe(0);
    w.clock.advance(1);
    expect(await sweep(w)).toBe(1);
    expect(await sweep(w)).toBe(0); // moved once
    const jobs = w.pub.on('/a/s2/job');
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ execution_id: id, site_id: 's2', attempt: 2 });
    expect(jobs[0]?.accept_by).toBeUndefined(); // the last site of the route holds it until it expires
    expect(w.pub.on('/a/s1/cancel')).toMatchObject([{ type: 'cancel', execution_id: id, site_id: 's1', attempt: 1 }]);
    expect(onDisk.map(([, written]) => written)).toEqual([true, true]);
    const m = message(w, id);
    expect(m).toMatchObject({ site_id: 's2', attempt: 2, agent_seq: -1, state: 'dispatched' });
    expect(m.hops).toEqual([{ site_id: 's1', first_attempt: 1, last_attempt: 1, state: 'dispatched', left_because: 'offline', left_at: new Date(T0 + 30_000).toISOString() }]);
    expect(w.routeEvents).toEqual([
      { type: 'failover', platform_id: 'a', reason: 'offline' },
      { type: 'cancel', platform_id: 'a', reason: 'moved' },
    ]);
    // Site s2's modem m2 sends it: the timeline names the site and the modem; the send step is answered.
    expect(await w.dispatcher.handleUpdate(update(w, id, 's2', 'accepted', 0, { attempt: 2 }))).toBe(true);
    expect(await w.dispatcher.handleUpdate(update(w, id, 's2', 'sent', 1, { attempt: 2, modem: 'm2', message_refs: [5], parts: 1 }))).toBe(true);
    const e = w.store.execution(id);
    expect(message(w, id)).toMatchObject({ state: 'sent', modem: 'm2' });
    expect(e?.timeline.find((t) => t.state === 'sent')?.detail).toContain('site s2, modem m2');
    expect(e?.timeline.some((t) => t.detail?.includes('moved from site s1 to site s2'))).toBe(true);
    expect(e?.run.phase).toBe('done'); // the send step was answered
  });

  it('sweeps by itself when the earliest acceptance deadline (+ skew) passes, not up to a poll interval later', async () => {
    const w = await routed(['s1', 's2']);
    const timers: Array<{ fn: () => void; ms: number }> = [];
    w.clock.setTimeout = (fn: () => void, ms: number) => {
      timers.push({ fn, ms });
      return { unref: () => undefined } as unknown as ReturnType<typeof setTimeout>;
    };
    w.clock.clearTimeout = () => undefined;
    await w.sites.handleStatus({ platform_id: 'a', site_id: 's2' }, status('s2', 'online', ['up']));
    const id = await fireJob(w);
    expect(await sweep(w)).toBe(0); // nothing due yet: arms the deadline
    const armed = timers.filter((t) => t.ms > 29_000 && t.ms < 31_000);
    expect(armed).toHaveLength(1);
    expect(armed[0]?.ms).toBe(30_000 + 20);
    expect(await sweep(w)).toBe(0);
    expect(timers.filter((t) => t.ms > 20_000)).toHaveLength(1); // the same deadline is not armed twice
    w.clock.advance(armed[0]?.ms ?? 0);
    armed[0]?.fn();
    await vi.waitFor(() => expect(message(w, id).site_id).toBe('s2'));
    await w.publisher.idle();
    expect(w.pub.on('/a/s2/job')).toMatchObject([{ execution_id: id, attempt: 2 }]);
    w.dispatcher.stop();
  });

  it('a late acceptance at the old site is cancelled again; a send there after all is recorded and counted once', async () => {
    const w = await routed(['s1', 's2']);
    await w.sites.handleStatus({ platform_id: 'a', site_id: 's1' }, status('s1', 'online', ['up']));
    const id = await fireJob(w);
    w.clock.advance(35_000);
    expect(await sweep(w)).toBe(1);
    expect(message(w, id).hops?.[0]?.left_because).toBe('not_accepted');
    expect(await w.dispatcher.handleUpdate(update(w, id, 's1', 'accepted', 0))).toBe(true);
    await w.publisher.idle();
    expect(w.pub.on('/a/s1/cancel')).toHaveLength(2);
    expect(await w.dispatcher.handleUpdate(update(w, id, 's1', 'sent', 1, { modem: 'm1' }))).toBe(true);
    expect(await w.dispatcher.handleUpdate(update(w, id, 's1', 'delivered', 2, { modem: 'm1' }))).toBe(true);
    expect(await w.dispatcher.handleUpdate(update(w, id, 's1', 'sent', 3, { attempt: 2 }))).toBe(false); // s1 never got attempt 2
    expect(message(w, id).hops?.[0]).toMatchObject({ site_id: 's1', state: 'delivered', modem: 'm1' });
    expect(message(w, id)).toMatchObject({ site_id: 's2', state: 'dispatched' }); // the current site's state is its own
    const doubles = w.store.execution(id)?.timeline.filter((t) => t.state === 'double_send') ?? [];
    expect(doubles).toHaveLength(1);
    expect(doubles[0]?.detail).toContain('sent by site s1, modem m1');
    expect(w.routeEvents.filter((r) => r.type === 'double_send')).toHaveLength(1);
    expect(w.routeEvents.filter((r) => r.type === 'cancel').map((r) => (r as { reason: string }).reason)).toEqual(['moved', 'late_accept']);
  });

  it('a site that reports failed is left at once (the send step waits for the next site); skips a backup that cannot send', async () => {
    const w = await routed(['s1', 's2', 's3']);
    await w.sites.handleStatus({ platform_id: 'a', site_id: 's2' }, status('s2', 'online', ['down', 'down']));
    await w.sites.handleStatus({ platform_id: 'a', site_id: 's3' }, status('s3', 'online', 'up'));
    const id = await fireJob(w);
    await w.dispatcher.handleUpdate(update(w, id, 's1', 'accepted', 0));
    await w.dispatcher.handleUpdate(update(w, id, 's1', 'failed', 1, { modem: 'm1', reason: { code: 'modem_error', message: 'no modem answers' } }));
    await w.publisher.idle();
    const m = message(w, id);
    expect(m).toMatchObject({ site_id: 's3', attempt: 2, state: 'dispatched' });
    expect(m.hops).toMatchObject([{ site_id: 's1', state: 'failed', modem: 'm1', left_because: 'failed' }]);
    expect(w.store.execution(id)?.run.phase).toBe('running'); // not answered yet
    expect(w.pub.on('/a/s3/job')).toMatchObject([{ attempt: 2 }]);
    expect(w.pub.on('/a/s2/job')).toHaveLength(0);
    // The last site fails too: now the send step is answered (failed).
    await w.dispatcher.handleUpdate(update(w, id, 's3', 'failed', 0, { attempt: 2 }));
    expect(message(w, id)).toMatchObject({ site_id: 's3', state: 'failed' });
    expect(w.store.execution(id)?.run.phase).toBe('done');
  });

  it('the uncertain rule: a message that may have gone out is never moved, however long its site stays down', async () => {
    const w = await routed(['s1', 's2']);
    await w.sites.handleStatus({ platform_id: 'a', site_id: 's2' }, status('s2', 'online', 'up'));
    const id = await fireJob(w);
    await w.dispatcher.handleUpdate(update(w, id, 's1', 'accepted', 0));
    await w.dispatcher.handleUpdate(update(w, id, 's1', 'sending', 1));
    await w.dispatcher.handleUpdate(update(w, id, 's1', 'uncertain', 2, { reason: { code: 'uncertain', message: 'modem stopped answering after the PDU' } }));
    await w.sites.handleStatus({ platform_id: 'a', site_id: 's1' }, status('s1', 'offline'));
    for (const step of [35_000, 120_000, 600_000]) {
      w.clock.advance(step);
      expect(await sweep(w)).toBe(0);
    }
    expect(message(w, id)).toMatchObject({ site_id: 's1', state: 'uncertain' });
    expect(message(w, id).hops).toBeUndefined();
    expect(w.pub.on('/a/s2/job')).toHaveLength(0);
    expect(w.pub.on('/cancel')).toHaveLength(0);
    // Accepted and then silent (agent gone): also never moved.
    const w2 = await routed(['s1', 's2']);
    const id2 = await fireJob(w2);
    await w2.dispatcher.handleUpdate(update(w2, id2, 's1', 'accepted', 0));
    w2.clock.advance(120_000);
    expect(await sweep(w2)).toBe(0);
    expect(w2.pub.on('/a/s2/job')).toHaveLength(0);
  });

  it('failover off (null) or a device with one site: no accept_by, nothing moves', async () => {
    for (const w of [await routed(['s1', 's2'], null), await routed(['s1'])]) {
      const id = await fireJob(w);
      expect(w.pub.on('/a/s1/job')[0]?.accept_by).toBeUndefined();
      w.clock.advance(600_000);
      expect(await sweep(w)).toBe(0);
      await w.dispatcher.handleUpdate(update(w, id, 's1', 'failed', 0));
      expect(message(w, id)).toMatchObject({ site_id: 's1', state: 'failed' });
      expect(w.pub.on('/a/s2/job')).toHaveLength(0);
    }
  });
});

describe('backup routes: the API', () => {
  it('settings carry failover_after_s (10..86400 s or null), refused out of range with the field and an issue code', async () => {
    const w = await routed(['s1', 's2']);
    const api = caller(w, TOKENS.a);
    expect((await api('GET', '/api/v1/remediation/settings')).body.failover_after_s).toBe(30);
    for (const bad of [5, 0, 86401, 12.5, '30']) {
      const r = await api('PUT', '/api/v1/remediation/settings', { failover_after_s: bad });
      expect(r.status, String(bad)).toBe(400);
      const issue = (r.body.error.issues as Array<{ field: string; code: string }>).find((i) => i.field === 'failover_after_s');
      expect(issue?.code, JSON.stringify(r.body)).toMatch(/^(too_small|too_big|out_of_range|not_integer|invalid_type)$/);
    }
    expect((await api('PUT', '/api/v1/remediation/settings', { failover_after_s: null })).body.failover_after_s).toBeNull();
    expect((await api('PUT', '/api/v1/remediation/settings', { failover_after_s: 600 })).body.failover_after_s).toBe(600);
  });

  it('a send step may name any site of the device route (home or backup), and the dry run accepts it; not a site off the route', async () => {
    const w = await routed(['s1', 's2']);
    const api = caller(w, TOKENS.a);
    const step = (site: string) => ({ steps: [{ type: 'send', site_id: site, control_device_id: 'cd-a', command: { kind: 'catalog', command_id: '12_0_minutes_1', params: { minutes: 1 } } }] });
    expect((await api('POST', '/api/v1/jobs', jobBody(step('s2')))).status).toBe(201);
    expect((await api('POST', '/api/v1/playbooks/dry-run', step('s2'))).body.errors ?? []).toEqual([]);
    expect((await api('POST', '/api/v1/jobs', jobBody(step('s3')))).status).toBe(400);
  });
});

describe('backup routes: restarts and long outages', () => {
  it('a home site down for longer than failover_after_s is skipped at dispatch: the command starts at the backup', async () => {
    const w = await routed(['s1', 's2']);
    await w.sites.handleStatus({ platform_id: 'a', site_id: 's1' }, status('s1', 'offline'));
    await w.sites.handleStatus({ platform_id: 'a', site_id: 's2' }, status('s2', 'online', 'up'));
    w.clock.advance(30_000);
    const id = await fireJob(w);
    expect(w.pub.on('/a/s1/job')).toHaveLength(0);
    const jobs = w.pub.on('/a/s2/job');
    expect(jobs).toMatchObject([{ execution_id: id, attempt: 1 }]);
    expect(jobs[0]?.accept_by).toBeUndefined();
    expect(message(w, id)).toMatchObject({ site_id: 's2', attempt: 1 });
    expect(message(w, id).hops).toBeUndefined();
    expect(w.store.execution(id)?.timeline.find((t) => t.state === 'route_skip')?.detail).toContain('site s1 skipped: its agent is offline');
    expect(w.routeEvents).toEqual([{ type: 'failover', platform_id: 'a', reason: 'offline' }]);
  });

  it('a hub that dies after the move is written and before it is published: the new hub re-sends to the new site only', async () => {
    const w = await routed(['s1', 's2']);
    const id = await fireJob(w);
    // The move is written, but its job and cancel never reach the broker (the process dies).
    w.pub.publish = async () => {
      throw new Error('killed');
    };
    w.clock.advance(30_000);
    expect(await sweep(w)).toBe(1);
    await w.engine.stop();
    const again = await createWorld(w.dir);
    again.clock.t = w.clock.t;
    expect(message(again, id)).toMatchObject({ site_id: 's2', attempt: 2, state: 'dispatched' });
    expect(message(again, id).hops).toMatchObject([{ site_id: 's1', last_attempt: 1 }]);
    await again.engine.restart();
    await again.sites.handleStatus({ platform_id: 'a', site_id: 's1' }, status('s1', 'online', 'up'));
    await again.sites.handleStatus({ platform_id: 'a', site_id: 's2' }, status('s2', 'online', 'up'));
    await again.publisher.idle();
    expect(again.pub.on('/a/s1/job')).toHaveLength(0);
    expect(again.pub.on('/a/s2/job')).toMatchObject([{ execution_id: id, attempt: 3 }]);
    // The lost cancel is not needed: the old site's agent refuses attempt 1 after its accept_by.
    expect(Date.parse(message(again, id).hops?.[0]?.left_at ?? '')).toBeGreaterThanOrEqual(T0 + 30_000);
  });
});
