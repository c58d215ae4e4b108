// Issue 10 routes through app.request(): settings, webhooks (secret once, URL policy), playbook
// jobs and their validation, template, dry run, incidents with release, SMS queue, reports
// (JSON and CSV), cancel, and tenancy (platform b sees nothing of a).
import { describe, expect, it } from 'vitest';
import { remediationSettings } from '../../../hub/model/remediation.js';
import { caller, jobBody } from '../api-helpers.js';
import { createWorld, TOKENS, type World } from '../world.js';

const VERIFY = { type: 'verify', conditions: [{ metric: 'signage_device_online', op: '==', value: 1 }], within_s: 120 };

async function burst(w: World, n: number): Promise<void> {
  await w.store.putRemediationSettings('a', remediationSettings.parse({ correlation: { window_s: 300, min_count: 5, min_share: null, share_min_count: 3 } }));
  const jobs = Array.from({ length: n }, (_, i) => w.job('a', { device: { key_type: 'device_id', key: `x${i}`, name: `X${i}` } }));
  await w.store.putJobs(jobs);
  // Seen online first: trips of devices failing before their job existed open no incident.
  for (const j of jobs) w.prom.set('signage_device_online', { platform_id: 'a', device_id: j.device.key }, 1);
  await w.poller.cycle();
  w.clock.advance(61_000);
  for (const j of jobs) w.prom.set('signage_device_online', { platform_id: 'a', device_id: j.device.key }, 0);
  await w.poller.cycle();
  await w.publisher.idle();
}

describe('remediation API', () => {
  it('settings: defaults, partial update, field errors, unknown notify site', async () => {
    const w = await createWorld();
    const api = caller(w, TOKENS.a);
    const got = await api('GET', '/api/v1/remediation/settings');
    expect(got.body).toMatchObject({ on_call: [], notify_site_id: null, device_limit: { max: 3, window_s: 86400 }, sms_budget: { per_hour: 60 }, correlation: { min_count: 10 } });
    const put = await api('PUT', '/api/v1/remediation/settings', { on_call: [{ name: 'Duty', phone: '+79990000001' }], notify_site_id: 's1' });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ on_call: [{ name: 'Duty', phone: '+79990000001' }], notify_site_id: 's1', device_limit: { max: 3 } });
    const bad = await api('PUT', '/api/v1/remediation/settings', { on_call: [{ phone: '8 999 000' }], device_limit: { max: 0 } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues.map((i: { field: string }) => i.field)).toEqual(expect.arrayContaining(['on_call[0].phone', 'device_limit.max']));
    expect((await api('PUT', '/api/v1/remediation/settings', { notify_site_id: 'nope' })).body.error.issues[0].field).toBe('notify_site_id');
    // Nothing of a is b's.
    expect((await caller(w, TOKENS.b)('GET', '/api/v1/remediation/settings')).body.on_call).toEqual([]);
  });

  it('webhooks: the secret is returned once; loopback refused by default; deliveries; in-use delete refused; tenancy', async () => {
    const w = await createWorld();
    const api = caller(w, TOKENS.a);
    const refused = await api('POST', '/api/v1/webhooks', { url: 'http://127.0.0.1:9/hook' });
    expect(refused.status).toBe(400);
    expect(refused.body.error.issues[0]).toMatchObject({ field: 'url', message: expect.stringContaining('loopback') });
    expect((await api('POST', '/api/v1/webhooks', { url: 'ftp://example.org/x' })).status).toBe(400);
    expect((await api('POST', '/api/v1/webhooks', { url: 'https://example.org/x', secret: 'short' })).body.error.issues[0].field).toBe('secret');
    const created = await api('POST', '/api/v1/webhooks', { url: 'https://example.org/hook' });
    expect(created.status).toBe(201);
    expect(created.body.secret).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const id = created.body.id as string;
    const list = await api('GET', '/api/v1/webhooks');
    expect(list.body.items).toEqual([{ id, platform_id: 'a', url: 'https://example.org/hook', enabled: true, created_at: expect.any(String) }]);
    expect(JSON.stringify(list.body)).not.toContain(created.body.secret);
    expect((await api('PATCH', `/api/v1/webhooks/${id}`, { enabled: false })).body.enabled).toBe(false);
    expect((await api('GET', `/api/v1/webhooks/${id}/deliveries`)).body.items).toEqual([]);
    expect((await caller(w, TOKENS.b)('GET', `/api/v1/webhooks/${id}`)).status).toBe(404);
    const job = await api('POST', '/api/v1/jobs', jobBody({ steps: [{ type: 'notify', sms: null, webhooks: [id] }] }));
    expect(job.status).toBe(201);
    expect((await api('DELETE', `/api/v1/webhooks/${id}`)).status).toBe(409);
    // A job of b cannot name a's endpoint.
    const other = await caller(w, TOKENS.b)('POST', '/api/v1/jobs', jobBody({ device: { key_type: 'device_id', key: 'dev-b-1', name: 'B' }, steps: [{ type: 'notify', sms: null, webhooks: [id] }] }));
    expect(other.status).toBe(400);
    expect(other.body.error.issues[0].field).toBe('steps[0].webhooks[0]');
  });

  it('playbook jobs: template, validation naming the step, dry run says what would be sent to whom', async () => {
    const w = await createWorld();
    const api = caller(w, TOKENS.a);
    await api('PUT', '/api/v1/remediation/settings', { on_call: [{ name: 'Duty', phone: '+79990000001' }] });
    const tpl = await api('POST', '/api/v1/playbooks/templates/power-cycle', { model: 'SIMPAL_D210', site_id: 's1', control_device_id: 'cd-a', notify: { sms: { site_id: 's1', to: 'on_call' }, webhooks: [] } });
    expect(tpl.status).toBe(200);
    expect(tpl.body.steps.map((s: { type: string }) => s.type)).toEqual(['send', 'wait', 'verify', 'send', 'wait', 'verify', 'notify']);
    const bad = await api('POST', '/api/v1/jobs', jobBody({ steps: [VERIFY] }));
    expect(bad.status).toBe(400);
    const created = await api('POST', '/api/v1/jobs', jobBody({ steps: tpl.body.steps }));
    expect(created.status).toBe(201);
    const dry = await api('POST', '/api/v1/playbooks/dry-run', { job_id: created.body.id });
    expect(dry.status).toBe(200);
    expect(dry.body.decision).toBe('act');
    expect(dry.body.steps[0].messages[0]).toMatchObject({ channel: 'sms', to: '+79160000001', text: '#12#0#1#1#' });
    expect(dry.body.steps[3].messages[0]).toMatchObject({ text: '#12#0#5#1#' });
    expect(dry.body.steps[6].messages[0]).toMatchObject({ channel: 'sms', to: '+79990000001', site_id: 's1' });
    expect(w.store.executionList()).toHaveLength(0);
    const unsaved = await api('POST', '/api/v1/playbooks/dry-run', { job: jobBody({ steps: [{ ...tpl.body.steps[0], control_device_id: 'cd-b' }] }) });
    expect(unsaved.status).toBe(400);
    expect(unsaved.body.error.issues[0].field).toBe('job.steps[0].control_device_id');
  });

  it('incidents: a burst opens one, listed with its devices; release resumes the executions once', async () => {
    const w = await createWorld();
    await burst(w, 6);
    const api = caller(w, TOKENS.a);
    const list = await api('GET', '/api/v1/incidents?status=open');
    expect(list.body.items).toHaveLength(1);
    expect(list.body.items[0]).toMatchObject({ platform_id: 'a', status: 'open', devices: 6, fleet: 6 });
    const held = await api('GET', `/api/v1/executions?phase=held&incident_id=${list.body.items[0].id}`);
    expect(held.body.total).toBe(6);
    expect((await caller(w, TOKENS.b)('GET', '/api/v1/incidents')).body.items).toEqual([]);
    expect((await caller(w, TOKENS.b)('POST', `/api/v1/incidents/${list.body.items[0].id}/release`)).status).toBe(404);
    const rel = await api('POST', `/api/v1/incidents/${list.body.items[0].id}/release`);
    expect(rel.status).toBe(200);
    expect(rel.body).toMatchObject({ resumed: 6, incident: { status: 'released', released_by: 'platform token' } });
    expect((await api('POST', `/api/v1/incidents/${list.body.items[0].id}/release`)).status).toBe(409);
    await w.publisher.idle();
    expect(w.pub.on('/a/s1/job')).toHaveLength(6);
  });

  it('SMS queue, reports as JSON and CSV, cancel', async () => {
    const w = await createWorld();
    const api = caller(w, TOKENS.a);
    await api('PUT', '/api/v1/remediation/settings', { sms_budget: { per_hour: 1, sites: {} } });
    const jobs = [0, 1].map((i) => w.job('a', { device: { key_type: 'device_id', key: `y${i}`, name: `Y${i}` }, steps: [jobBody().steps[0] as never, { type: 'wait', duration_s: 600 } as never] }));
    await w.store.putJobs(jobs);
    for (const j of jobs) w.prom.set('signage_device_online', { platform_id: 'a', device_id: j.device.key }, 0);
    await w.poller.cycle();
    await w.publisher.idle();
    const q = await api('GET', '/api/v1/sms-queue');
    expect(q.body.sites).toEqual([expect.objectContaining({ site_id: 's1', budget_per_hour: 1, sent_last_hour: 1, queued: 1, next_slot_at: expect.any(String) })]);
    const execs = (await api('GET', '/api/v1/executions')).body.items as Array<{ id: string; phase: string }>;
    const cancelled = await api('POST', `/api/v1/executions/${execs[0]?.id}/cancel`);
    expect(cancelled.body.phase).toBe('done');
    expect((await api('POST', `/api/v1/executions/${execs[0]?.id}/cancel`)).status).toBe(409);
    // Reports count finished executions only: the cancelled one, not the one still waiting.
    const devices = await api('GET', '/api/v1/reports/devices');
    expect(devices.body.items.map((d: { device_key: string }) => d.device_key)).toEqual([cancelled.body.device.key]);
    const fleet = await api('GET', '/api/v1/reports/fleet');
    expect(fleet.body.stats).toMatchObject({ remediations: 1, recovered: 0 });
    const day = await api('GET', '/api/v1/reports/daily');
    expect(day.body.items).toEqual([expect.objectContaining({ cancelled: 1, recovered: 0 })]);
    const sites = await api('GET', '/api/v1/reports/sites');
    expect(sites.body.items[0]).toMatchObject({ site_id: 's1', sms_sent: 1, commands: 1 });
    const csv = await caller(w, TOKENS.a)('GET', '/api/v1/reports/jobs?format=csv');
    expect(String(csv.body).split('\r\n')[0]).toBe('platform_id,job_id,job_name,remediations,recovered,not_recovered,unknown,escalations,recovered_share,median_ttr_s');
    expect(String(csv.body).trim().split('\r\n')).toHaveLength(2); // RFC 4180 line ends
    expect((await api('GET', '/api/v1/reports/devices?since=yesterday')).status).toBe(400);
  });
});

describe('modem uptime in the sites report', () => {
  it('counts the share of the range the agent was online with its modem up', async () => {
    const w = await createWorld();
    const status = (state: 'online' | 'offline', modem: 'up' | 'down') => Buffer.from(JSON.stringify({ v: 1, type: 'status', platform_id: 'a', site_id: 's1', state, at: new Date(w.clock.t).toISOString(), modem: { state: modem } }));
    const t0 = w.clock.now();
    await w.sites.handleStatus({ platform_id: 'a', site_id: 's1' }, status('online', 'up'));
    w.clock.advance(3 * 3600_000);
    await w.sites.handleStatus({ platform_id: 'a', site_id: 's1' }, status('online', 'down'));
    w.clock.advance(3600_000);
    await w.sites.handleStatus({ platform_id: 'a', site_id: 's1' }, status('offline', 'down'));
    w.clock.advance(3600_000);
    await w.sites.handleStatus({ platform_id: 'a', site_id: 's1' }, status('online', 'up'));
    w.clock.advance(3 * 3600_000);
    const since = new Date(t0).toISOString();
    const r = await caller(w, TOKENS.a)('GET', `/api/v1/reports/sites?since=${encodeURIComponent(since)}`);
    expect(r.body.items).toEqual([expect.objectContaining({ site_id: 's1', sms_sent: 0, modem_uptime_share: 0.75 })]);
    expect((await caller(w, TOKENS.b)('GET', '/api/v1/reports/sites')).body.items[0].modem_uptime_share).toBeNull();
  });
});
