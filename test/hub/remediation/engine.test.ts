// The playbook engine wired into the hub's real poller, dispatcher and store (fake Prometheus,
// recording MQTT publisher, manual clock): recovered with its time to recovery, not recovered ->
// on-call SMS + webhook delivery row, device limit -> escalation without a command, a burst ->
// one incident with nothing sent until release, SMS budget queue, cancel, restart mid-verify.
import { describe, expect, it } from 'vitest';
import type { ExecutionUpdate } from '../../../hub/common/contract/index.js';
import { silentLogger } from '../../../hub/common/log.js';
import { JobPublisher } from '../../../hub/dispatch/publisher.js';
import { newId } from '../../../hub/model/ids.js';
import { executionView, type ExecutionView } from '../../../hub/model/execution.js';
import type { Job } from '../../../hub/model/job.js';
import { remediationSettings } from '../../../hub/model/remediation.js';
import { Poller } from '../../../hub/poller/poller.js';
import { PlaybookEngine } from '../../../hub/remediation/engine.js';
import { RemediationService } from '../../../hub/remediation/service.js';
import { HubStore } from '../../../hub/store/store.js';
import { loadCatalogs } from '../../../hub/catalog/catalog.js';
import { createWorld, type World } from '../world.js';

const ONLINE = 'signage_device_online';
const SEND = { type: 'send' as const, site_id: 's1', control_device_id: 'cd-a', command: { kind: 'catalog' as const, command_id: '12_0_minutes_1', params: { minutes: 1 } }, expires_s: 900 };
const VERIFY = { type: 'verify' as const, conditions: [{ metric: ONLINE, op: '==' as const, value: 1 }], combine: 'and' as const, within_s: 300, hold_s: 0, on_unknown: 'notify_only' as const };
const NOTIFY = { type: 'notify' as const, sms: { site_id: 's1', to: 'on_call' as const }, webhooks: [] as string[], text: '{job}: {device} {outcome}' };

function playbookJob(w: World, device: string, steps: Job['steps'], over: Partial<Job> = {}): Job {
  return w.job('a', { device: { key_type: 'device_id', key: device, name: `Player ${device}` }, steps, cooldown_s: 0, ...over });
}

function online(w: World, device: string, v: number): void {
  w.prom.set(ONLINE, { platform_id: 'a', device_id: device }, v);
}

let seq = 0;
async function agent(w: World, wireId: string, state: ExecutionUpdate['state']): Promise<void> {
  const ok = await w.dispatcher.handleUpdate({ v: 1, type: 'update', execution_id: wireId, job_id: 'j', platform_id: 'a', site_id: 's1', state, at: new Date(w.clock.t).toISOString(), attempt: 1, seq: ++seq });
  expect(ok).toBe(true);
}

async function cycle(w: World, advanceMs = 0): Promise<void> {
  w.clock.advance(advanceMs);
  await w.poller.cycle();
  await w.publisher.idle();
}

/** The execution of a job as the API shows it (phase, step, outcome ... derived from its run). */
const exec = (w: World, jobId: string): ExecutionView => {
  const e = w.store.executionList('a').find((x) => x.job_id === jobId);
  if (!e) throw new Error(`no execution of ${jobId}`);
  return executionView(e);
};

/** Seen online first, a minute later: their trips are new failures, not ones that predate the job. */
async function seenOnline(w: World, jobs: readonly Job[], poller: Poller = w.poller): Promise<void> {
  for (const j of jobs) online(w, j.device.key, 1);
  await poller.cycle();
  w.clock.advance(61_000);
}

async function settings(w: World, over: Partial<ReturnType<typeof remediationSettings.parse>>): Promise<void> {
  await w.store.putRemediationSettings('a', remediationSettings.parse({ ...over }));
}

describe('playbook engine in the hub', () => {
  it('send -> wait -> verify: the device comes back, the execution ends recovered with its time to recovery', async () => {
    const w = await createWorld();
    const job = playbookJob(w, 'p1', [SEND, { type: 'wait', duration_s: 60 }, VERIFY]);
    await w.store.putJob(job);
    online(w, 'p1', 0);
    await cycle(w);
    const sent = w.pub.on('/a/s1/job');
    expect(sent).toHaveLength(1);
    const e0 = exec(w, job.id);
    expect(sent[0]).toMatchObject({ execution_id: e0.id, to: '+79160000001', text: '#12#0#1#1#' });
    await agent(w, e0.id, 'sent');
    expect(exec(w, job.id)).toMatchObject({ phase: 'running', step: 1 });
    // Still waiting: the verify step has not begun, the device stays offline.
    await cycle(w, 30_000);
    expect(exec(w, job.id).step).toBe(1);
    await cycle(w, 31_000);
    expect(exec(w, job.id)).toMatchObject({ step: 2, outcome: null });
    // Its metric is queried for the verify step (with the job's own).
    online(w, 'p1', 1);
    await cycle(w, 20_000);
    const e = exec(w, job.id);
    expect(e).toMatchObject({ phase: 'done', outcome: 'recovered', escalated: false });
    // From the command's dispatch to the first good sample: 30 + 31 + 20 s.
    expect(e.ttr_ms).toBe(81_000);
    const states = e.timeline.map((t) => t.state);
    expect(states).toEqual(expect.arrayContaining(['started', 'waited', 'recovered', 'finished']));
    const events = w.pub.on('/events/a/execution').filter((ev) => ev.execution_id === e.id);
    expect(events.find((ev) => ev.step_state === 'recovered')).toMatchObject({ step: 2, step_type: 'verify', outcome: 'recovered', ttr_s: 81 });
    expect(w.pub.on('/a/s1/job')).toHaveLength(1);
  });

  it('not recovered: the next steps run, then the on-call list gets an SMS and the webhook a delivery row; escalated', async () => {
    const w = await createWorld();
    await settings(w, { on_call: [{ name: 'Duty', phone: '+79995550001' }, { name: 'Boss', phone: '+79995550002' }] });
    await w.store.putWebhook({ id: 'wh1', platform_id: 'a', url: 'https://example.org/hook', secret: 'secret-secret-secret', enabled: true, created_at: new Date(0).toISOString() });
    const job = playbookJob(w, 'p2', [SEND, VERIFY, { ...NOTIFY, webhooks: ['wh1'] }]);
    await w.store.putJob(job);
    online(w, 'p2', 0);
    await cycle(w);
    await agent(w, exec(w, job.id).id, 'delivered');
    await cycle(w, 100_000);
    await cycle(w, 100_000);
    await cycle(w, 101_000);
    const e = exec(w, job.id);
    expect(e).toMatchObject({ phase: 'done', outcome: 'not_recovered', escalated: true });
    const notify = e.messages.filter((m) => m.kind === 'notify');
    expect(notify.map((m) => m.to)).toEqual(['+79995550001', '+79995550002']);
    expect(notify[0]?.text).toBe(`${job.name}: Player p2 not_recovered`);
    const jobs = w.pub.on('/a/s1/job');
    expect(jobs.map((j) => j.to)).toEqual(['+79160000001', '+79995550001', '+79995550002']);
    const deliveries = w.store.deliveries('a');
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]).toMatchObject({ endpoint_id: 'wh1', event_type: 'execution.escalated', status: 'pending' });
    expect(JSON.parse(deliveries[0]?.body ?? '{}')).toMatchObject({ execution_id: e.id, outcome: 'not_recovered', device: { key: 'p2' } });
  });

  it('a notify step with nobody to tell (empty on-call list, deleted webhook) says so on the timeline and the run still ends', async () => {
    const w = await createWorld();
    const job = playbookJob(w, 'n1', [SEND, VERIFY, { ...NOTIFY, webhooks: ['gone'] }]);
    await w.store.putJob(job);
    online(w, 'n1', 0);
    await cycle(w);
    await agent(w, exec(w, job.id).id, 'sent');
    await cycle(w, 301_000);
    const e = exec(w, job.id);
    expect(e).toMatchObject({ phase: 'done', outcome: 'not_recovered', escalated: true });
    expect(e.timeline).toEqual(expect.arrayContaining([expect.objectContaining({ state: 'notify_failed', detail: 'the on-call list is empty' }), expect.objectContaining({ state: 'webhook_skipped', detail: 'endpoint gone not found' })]));
    expect(e.messages.filter((m) => m.kind === 'notify')).toEqual([]);
    expect(w.store.deliveries('a')).toEqual([]);
  });

  it('device limit: past the rolling limit the run escalates without sending the command', async () => {
    const w = await createWorld();
    await settings(w, { on_call: [{ name: '', phone: '+79995550001' }], device_limit: { max: 1, window_s: 3600 } });
    const job = playbookJob(w, 'p3', [SEND, NOTIFY]);
    await w.store.putJob(job);
    online(w, 'p3', 0);
    await cycle(w);
    online(w, 'p3', 1);
    await cycle(w, 10_000);
    online(w, 'p3', 0);
    await cycle(w, 10_000);
    const runs = w.store.executionList('a').filter((x) => x.job_id === job.id).sort((a, b) => a.created_at.localeCompare(b.created_at));
    expect(runs).toHaveLength(2);
    expect(runs[0]?.messages.filter((m) => m.kind === 'command')).toHaveLength(1);
    expect(runs[1] && executionView(runs[1])).toMatchObject({ escalated: true, escalation_reason: expect.stringContaining('device limit') });
    expect(runs[1]?.messages.map((m) => [m.kind, m.to])).toEqual([['notify', '+79995550001']]);
  });

  it('a burst of 12 devices: one incident, everything held, no command sent; release sends them', async () => {
    const w = await createWorld();
    await settings(w, { on_call: [{ name: '', phone: '+79995550001' }], notify_site_id: 's1', correlation: { window_s: 300, min_count: 10, min_share: null, share_min_count: 3, expire_after_s: 1800 } });
    const jobs = Array.from({ length: 12 }, (_, i) => playbookJob(w, `b${i}`, [SEND, VERIFY]));
    await w.store.putJobs(jobs);
    await seenOnline(w, jobs);
    for (const j of jobs) online(w, j.device.key, 0);
    await cycle(w);
    const incidents = w.store.correlation.incidents;
    expect(incidents).toHaveLength(1);
    const held = w.store.executionList('a').filter((e) => e.trigger.reason !== 'incident');
    expect(held).toHaveLength(12);
    expect(held.every((e) => e.run.phase === 'held' && e.run.incident_id === incidents[0]?.id)).toBe(true);
    // The only SMS is the incident notification to the on-call number.
    const sent = w.pub.on('/a/s1/job');
    expect(sent.map((j) => j.to)).toEqual(['+79995550001']);
    expect(String(sent[0]?.text)).toContain('12 of 12');
    // Still nothing after more cycles.
    await cycle(w, 60_000);
    expect(w.pub.on('/a/s1/job')).toHaveLength(1);
    const r = await w.remediation.release('a', incidents[0]?.id ?? '', 'test');
    expect(r).toEqual({ ok: true, resumed: 12 });
    await w.publisher.idle();
    expect(w.pub.on('/a/s1/job').filter((j) => j.to === '+79160000001')).toHaveLength(12);
    expect(await w.remediation.release('a', incidents[0]?.id ?? '', 'test')).toMatchObject({ ok: false, status: 409 });
  });

  it('with a settle delay, fired runs wait, but the incident notification goes out at once', async () => {
    const w = await createWorld();
    await settings(w, { on_call: [{ name: '', phone: '+79995550001' }], notify_site_id: 's1', correlation: { window_s: 300, min_count: 3, min_share: null, share_min_count: 3, expire_after_s: 1800 } });
    const settled = new RemediationService({ store: w.store, engine: w.engine, clock: w.clock, log: silentLogger, settings: (p) => w.store.remediationSettings(p, remediationSettings.parse({})), newId: () => newId(w.clock.now()), settleMs: 60_000, lang: 'en' });
    const poller = new Poller({ store: w.store, query: w.prom.query, clock: w.clock, firer: settled, verify: w.engine, log: silentLogger });
    const first = [0, 1].map((i) => playbookJob(w, `s${i}`, [SEND]));
    const more = [2].map((i) => playbookJob(w, `s${i}`, [SEND]));
    await w.store.putJobs([...first, ...more]);
    await seenOnline(w, [...first, ...more], poller);
    for (const j of first) online(w, j.device.key, 0);
    await poller.cycle();
    await w.publisher.idle();
    // Two devices in one cycle: more than one trip in the window, so both settle.
    for (const j of first) expect(exec(w, j.id)).toMatchObject({ phase: 'running', step: 0 });
    expect(w.pub.on('/a/s1/job')).toHaveLength(0); // settling
    for (const j of more) online(w, j.device.key, 0);
    w.clock.advance(10_000);
    await poller.cycle();
    await w.publisher.idle();
    expect(w.pub.on('/a/s1/job').map((j) => j.to)).toEqual(['+79995550001']);
    expect(w.store.executionList('a').filter((e) => e.trigger.reason !== 'incident').every((e) => e.run.phase === 'held')).toBe(true);
  });

  it('settle only when it matters: a lone trip acts at once, a second trip in the window settles', async () => {
    const w = await createWorld();
    await settings(w, { correlation: { window_s: 300, min_count: 10, min_share: null, share_min_count: 3, expire_after_s: 1800 } });
    const settled = new RemediationService({ store: w.store, engine: w.engine, clock: w.clock, log: silentLogger, settings: (p) => w.store.remediationSettings(p, remediationSettings.parse({})), newId: () => newId(w.clock.now()), settleMs: 60_000, lang: 'en' });
    const poller = new Poller({ store: w.store, query: w.prom.query, clock: w.clock, firer: settled, verify: w.engine, log: silentLogger });
    const lone = playbookJob(w, 'l0', [SEND]);
    const second = playbookJob(w, 'l1', [SEND]);
    await w.store.putJobs([lone, second]);
    await seenOnline(w, [lone, second], poller);
    online(w, 'l0', 0);
    await poller.cycle();
    await w.publisher.idle();
    // The only trip of its platform in the window: no settle delay, the command is out.
    expect(w.pub.on('/a/s1/job')).toHaveLength(1);
    online(w, 'l1', 0);
    w.clock.advance(10_000);
    await poller.cycle();
    await w.publisher.idle();
    // Another device tripped 10 s earlier: this one waits for the settle delay.
    expect(w.pub.on('/a/s1/job')).toHaveLength(1);
    await cycle(w, 61_000);
    expect(w.pub.on('/a/s1/job')).toHaveLength(2);
  });

  it('SMS budget per site: over the hourly budget messages queue and go out when it frees up', async () => {
    const w = await createWorld();
    await settings(w, { sms_budget: { per_hour: 2, sites: {} }, correlation: { window_s: 300, min_count: null, min_share: null, share_min_count: 3, expire_after_s: 1800 } });
    const jobs = Array.from({ length: 3 }, (_, i) => playbookJob(w, `q${i}`, [SEND]));
    await w.store.putJobs(jobs);
    for (const j of jobs) online(w, j.device.key, 0);
    await cycle(w);
    expect(w.pub.on('/a/s1/job')).toHaveLength(2);
    const queued = w.store.executionList('a').flatMap((e) => e.messages).filter((m) => m.state === 'queued');
    expect(queued).toHaveLength(1);
    expect(w.store.budget('a').queue).toHaveLength(1);
    await cycle(w, 3601_000);
    expect(w.pub.on('/a/s1/job')).toHaveLength(3);
    expect(w.store.budget('a').queue).toHaveLength(0);
  });

  it('cancel ends a running execution; nothing more is sent', async () => {
    const w = await createWorld();
    const job = playbookJob(w, 'c1', [SEND, { type: 'wait', duration_s: 60 }, SEND]);
    await w.store.putJob(job);
    online(w, 'c1', 0);
    await cycle(w);
    await agent(w, exec(w, job.id).id, 'sent');
    expect(await w.remediation.cancel(exec(w, job.id), 'op')).toBe(true);
    await cycle(w, 120_000);
    expect(exec(w, job.id)).toMatchObject({ phase: 'done', outcome: null });
    expect(w.pub.on('/a/s1/job')).toHaveLength(1);
    expect(await w.remediation.cancel(exec(w, job.id), 'op')).toBe(false);
  });

  it('a restart in the middle of a verify step continues it: recovered, and the command is not sent again', async () => {
    const w = await createWorld();
    const job = playbookJob(w, 'r1', [SEND, VERIFY]);
    await w.store.putJob(job);
    online(w, 'r1', 0);
    await cycle(w);
    await agent(w, exec(w, job.id).id, 'sent');
    await cycle(w, 10_000);
    expect(exec(w, job.id)).toMatchObject({ step: 1, phase: 'running' });
    await w.engine.stop();
    await w.store.flush();

    // A second hub process over the same data directory.
    const store = new HubStore(w.store.executions.file.replace(/executions\.json$/, ''));
    await store.load();
    const published: string[] = [];
    const pub = { up: true, publish: async (topic: string) => void published.push(topic) };
    const publisher = new JobPublisher({ mqtt: pub, clock: w.clock, log: silentLogger });
    const settingsOf = (p: string) => store.remediationSettings(p, remediationSettings.parse({}));
    const engine = new PlaybookEngine({ store, publisher, catalogs: loadCatalogs(), clock: w.clock, log: silentLogger, settings: settingsOf, newId: () => newId(w.clock.now()) });
    const service = new RemediationService({ store, engine, clock: w.clock, log: silentLogger, settings: settingsOf, newId: () => newId(w.clock.now()), settleMs: 0, lang: 'en' });
    const poller = new Poller({ store, query: w.prom.query, clock: w.clock, firer: service, verify: engine, log: silentLogger });
    engine.start();
    expect(await engine.restart()).toBe(1);
    online(w, 'r1', 1);
    w.clock.advance(10_000);
    await poller.cycle();
    await publisher.idle();
    const e = store.executionList('a').find((x) => x.job_id === job.id);
    expect(e && executionView(e)).toMatchObject({ phase: 'done', outcome: 'recovered', ttr_ms: 20_000 });
    expect(e?.timeline.map((t) => t.state)).toContain('resumed');
    expect(published.filter((t) => t.endsWith('/job'))).toHaveLength(0);
    await engine.stop();
  });
});
