// Incidents as an operator lives with them (issue 21), on the hub's real poller, engine and store
// (fake Prometheus, recording MQTT, manual clock): bulk-loading jobs on devices that already fail
// opens none; an incident expires after a quiet window (held runs of still-failing devices stay
// held and releasable) or once the failures fall back below the rule (held runs of recovered
// devices are cancelled); a run whose command is already out is not held; someone is always told.
import { describe, expect, it } from 'vitest';
import { executionView } from '../../../hub/model/execution.js';
import type { Job } from '../../../hub/model/job.js';
import { remediationSettings } from '../../../hub/model/remediation.js';
import { correlationConfig, type Incident } from '../../../hub/remediation/correlation.js';
import { expireIncident, expiryDue } from '../../../hub/remediation/incident-expiry.js';
import { caller } from '../api-helpers.js';
import { createWorld, TOKENS, type World } from '../world.js';

const ONLINE = 'signage_device_online';
const SEND = { type: 'send' as const, site_id: 's1', control_device_id: 'cd-a', command: { kind: 'catalog' as const, command_id: '12_0_minutes_1', params: { minutes: 1 } }, expires_s: 900 };
const ON_CALL = '+79995550001';
const RULE = { window_s: 300, min_count: 5, min_share: null, share_min_count: 3, expire_after_s: 1800 };

const online = (w: World, device: string, v: number) => w.prom.set(ONLINE, { platform_id: 'a', device_id: device }, v);
const jobsOf = (w: World, prefix: string, n: number): Job[] =>
  Array.from({ length: n }, (_, i) => w.job('a', { device: { key_type: 'device_id', key: `${prefix}${i}`, name: `${prefix}${i}` }, steps: [SEND], cooldown_s: 0 }));

async function cycle(w: World, advanceMs = 0): Promise<void> {
  w.clock.advance(advanceMs);
  await w.poller.cycle();
  await w.remediation.expireIncidents();
  await w.publisher.idle();
}

async function withOnCall(w: World, correlation = RULE): Promise<void> {
  await w.store.putRemediationSettings('a', remediationSettings.parse({ on_call: [{ name: 'Duty', phone: ON_CALL }], notify_site_id: 's1', correlation }));
}

/** n devices seen healthy, then failing together: one incident. */
async function burst(w: World, n: number): Promise<{ jobs: Job[]; incident: Incident }> {
  const jobs = jobsOf(w, 'd', n);
  await w.store.putJobs(jobs);
  for (const j of jobs) online(w, j.device.key, 1);
  await cycle(w);
  for (const j of jobs) online(w, j.device.key, 0);
  await cycle(w, 30_000);
  const incident = w.store.correlation.incidents[0];
  if (!incident) throw new Error('no incident');
  return { jobs, incident };
}

const commands = (w: World) => w.pub.on('/a/s1/job').filter((j) => j.to === '+79160000001');
const toOnCall = (w: World) => w.pub.on('/a/s1/job').filter((j) => j.to === ON_CALL).map((j) => String(j.text));
const runOf = (w: World, job: Job) => {
  const e = w.store.executionList('a').find((x) => x.job_id === job.id);
  return e && executionView(e);
};

describe('incidents', () => {
  it('bulk-loading jobs on a platform where ten devices already fail opens no incident', async () => {
    const w = await createWorld();
    await withOnCall(w);
    const jobs = jobsOf(w, 'old', 10);
    await w.store.putJobs(jobs);
    for (const j of jobs) online(w, j.device.key, 0);
    for (let i = 0; i < 3; i++) await cycle(w, 30_000);
    expect(w.store.correlation.incidents).toEqual([]);
    // They were failing before their jobs existed: each acts (within the device limit).
    expect(commands(w)).toHaveLength(10);
    expect(w.store.executionList('a').every((e) => e.run.phase !== 'held')).toBe(true);
    // A fresh burst of devices seen healthy first still opens one.
    await burst(w, 5);
    expect(w.store.correlation.incidents.filter((i) => i.status === 'open')).toHaveLength(1);
  });

  it('expires after the quiet window; runs of devices still failing stay held and can be released', async () => {
    const w = await createWorld();
    await withOnCall(w);
    const { jobs, incident } = await burst(w, 6);
    expect(incident.notified).toEqual(['sms:on_call']);
    expect(commands(w)).toHaveLength(0);
    // The failures stay at 6 of 6 (above the rule): it stays open until 30 min after the last trip.
    await cycle(w, 1700_000);
    expect(w.store.correlation.incidents[0]?.status).toBe('open');
    await cycle(w, 120_000);
    const ended = w.store.correlation.incidents[0];
    expect(ended).toMatchObject({ status: 'expired', expired_reason: 'no trip for 1800 s' });
    for (const j of jobs) expect(runOf(w, j)?.phase).toBe('held');
    expect(toOnCall(w)).toHaveLength(2);
    expect(toOnCall(w)[1]).toMatch(/ended \(no trip for 1800 s\)[\s\S]*still held: 6/);
    // A new trip after expiry is judged afresh: a lone one acts at once.
    const late = jobsOf(w, 'late', 1);
    await w.store.putJobs(late);
    online(w, 'late0', 1);
    await cycle(w, 10_000);
    online(w, 'late0', 0);
    await cycle(w, 10_000);
    expect(runOf(w, late[0]!)?.phase).not.toBe('held');
    expect(commands(w)).toHaveLength(1);
    // The expired incident's held runs can still be released.
    const rel = await caller(w, TOKENS.a)('POST', `/api/v1/incidents/${incident.id}/release`);
    expect(rel.status).toBe(200);
    expect(rel.body).toMatchObject({ resumed: 6 });
    await w.publisher.idle();
    expect(commands(w)).toHaveLength(7);
  });

  it('expires once the failures fall back below the rule; held runs of recovered devices are cancelled', async () => {
    const w = await createWorld();
    await withOnCall(w);
    const { jobs } = await burst(w, 6);
    // Five come back: 1 of 6 failing is below min_count 5; it ends after one window, not 30 min.
    for (const j of jobs.slice(1)) online(w, j.device.key, 1);
    await cycle(w, 60_000);
    expect(w.store.correlation.incidents[0]?.status).toBe('open');
    await cycle(w, 300_000);
    expect(w.store.correlation.incidents[0]).toMatchObject({ status: 'expired', expired_reason: '1 of 6 devices failing: below the rule' });
    for (const j of jobs.slice(1)) expect(runOf(w, j)).toMatchObject({ phase: 'done', outcome: null });
    expect(runOf(w, jobs[0]!)?.phase).toBe('held');
    expect(commands(w)).toHaveLength(0);
    expect(toOnCall(w).at(-1)).toMatch(/cancelled \(devices recovered\): 5; still held: 1/);
  });

  it('a run whose command is already out is not held when the incident opens: it is shown as sent', async () => {
    const w = await createWorld();
    await withOnCall(w);
    const jobs = jobsOf(w, 'e', 5);
    await w.store.putJobs(jobs);
    for (const j of jobs) online(w, j.device.key, 1);
    await cycle(w);
    online(w, 'e0', 0);
    await cycle(w, 30_000);
    // A lone trip acts at once.
    expect(commands(w)).toHaveLength(1);
    for (const j of jobs.slice(1)) online(w, j.device.key, 0);
    await cycle(w, 30_000);
    const inc = w.store.correlation.incidents[0];
    expect(inc?.status).toBe('open');
    const first = runOf(w, jobs[0]!);
    expect(first?.phase).not.toBe('held');
    expect(first?.incident_id).toBeNull();
    expect(first?.messages[0]?.dispatched_at).not.toBeNull();
    for (const j of jobs.slice(1)) expect(runOf(w, j)?.phase).toBe('held');
    expect(inc?.held.map((t) => t.device_key).sort()).toEqual(['device_id=e1', 'device_id=e2', 'device_id=e3', 'device_id=e4']);
    expect(toOnCall(w)[0]).toContain('4 of 5');
    expect(commands(w)).toHaveLength(1);
  });

  it('tells someone by default: every enabled webhook without an on-call list; a rule with nobody to tell is refused', async () => {
    const w = await createWorld();
    const api = caller(w, TOKENS.a);
    const refused = await api('PUT', '/api/v1/remediation/settings', { correlation: RULE });
    expect(refused.status).toBe(400);
    expect(refused.body.error.issues[0]).toMatchObject({ field: 'correlation.min_count', message: expect.stringContaining('must notify someone') });
    // Turning the rule off needs nobody.
    expect((await api('PUT', '/api/v1/remediation/settings', { correlation: { ...RULE, min_count: null } })).status).toBe(200);
    await w.store.putWebhook({ id: 'wh1', platform_id: 'a', url: 'https://example.org/hook', secret: 'secret-secret-secret', enabled: true, created_at: new Date(0).toISOString() });
    await w.store.putWebhook({ id: 'wh2', platform_id: 'a', url: 'https://example.org/off', secret: 'secret-secret-secret', enabled: false, created_at: new Date(0).toISOString() });
    expect((await api('PUT', '/api/v1/remediation/settings', { correlation: RULE })).status).toBe(200);
    const { incident } = await burst(w, 5);
    expect(w.store.correlation.incidents[0]?.notified).toEqual(['webhook:wh1']);
    const deliveries = w.store.deliveries('a');
    expect(deliveries.map((d) => d.endpoint_id)).toEqual(['wh1']);
    expect(deliveries[0]?.body).toContain(incident.id);
  });
});

describe('incident expiry (pure)', () => {
  const cfg = correlationConfig.parse({ window_s: 300, min_count: 5, min_share: 0.5, share_min_count: 3, expire_after_s: 600 });
  const T = 1_000_000_000_000;
  const inc: Incident = { id: 'i1', platform_id: 'a', opened_at: T, held: [{ execution_id: 'e1', device_key: 'k1', at: T }], fleet: 10, rule: 'r', status: 'open', released_at: null, released_by: null, last_trip_at: T + 100_000 };

  it('quiet window counts from the last trip; the fall-back waits one window; a stored incident without last_trip_at uses its trips', () => {
    expect(expiryDue(inc, T + 699_000, cfg, 9, 10)).toBeNull();
    expect(expiryDue(inc, T + 700_000, cfg, 9, 10)).toBe('no trip for 600 s');
    expect(expiryDue(inc, T + 299_000, cfg, 0, 10)).toBeNull();
    expect(expiryDue(inc, T + 300_000, cfg, 4, 10)).toBe('4 of 10 devices failing: below the rule');
    expect(expiryDue(inc, T + 300_000, cfg, 5, 10)).toBeNull();
    const old = { ...inc, last_trip_at: undefined, held: [{ execution_id: 'e1', device_key: 'k1', at: T + 50_000 }] };
    expect(expiryDue(old, T + 649_000, cfg, 9, 10)).toBeNull();
    expect(expiryDue(old, T + 650_000, cfg, 9, 10)).not.toBeNull();
    expect(expiryDue({ ...inc, status: 'released' }, T + 10_000_000, cfg, 0, 10)).toBeNull();
  });

  it('expiring forgets its trips so the same outage does not reopen it at once', () => {
    const state = { recent: { a: [{ execution_id: 'e1', device_key: 'k1', at: T }, { execution_id: 'e9', device_key: 'k9', at: T }] }, incidents: [inc] };
    const ex = expireIncident(state, 'a', T + 700_000, cfg, 9, 10);
    expect(ex?.incident).toMatchObject({ status: 'expired', expired_at: T + 700_000 });
    expect(ex?.state.recent.a?.map((t) => t.device_key)).toEqual(['k9']);
    expect(expireIncident(ex!.state, 'a', T + 800_000, cfg, 9, 10)).toBeNull();
  });
});
