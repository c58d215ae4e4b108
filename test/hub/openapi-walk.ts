// Calls every documented operation of /api/v1 once, for real, on a world with data (used by
// openapi.test.ts to validate each answer against the OpenAPI document).
import { type Caller, caller, jobBody } from './api-helpers.js';
import { ADMIN_TOKEN, createWorld, TOKENS, type World } from './world.js';

export interface Call {
  method: string;
  /** The documented path, e.g. /api/v1/jobs/{id}. */
  doc: string;
  status: number;
  body: unknown;
  contentType: string;
}

const POWER_CYCLE = { model: 'SIMPAL_D210', site_id: 's1', control_device_id: 'cd-a', off_min: 1, long_off_min: 5, boot_s: 300, notify: { sms: { site_id: 's1', to: 'on_call' }, webhooks: [] } };

export async function walk(): Promise<{ w: World; calls: Call[] }> {
  const w = await createWorld();
  const calls: Call[] = [];
  const a = caller(w, TOKENS.a);
  const admin = caller(w, ADMIN_TOKEN);
  const call = async (api: Caller, method: string, doc: string, path: string, body?: unknown) => {
    const r = await api(method, path, body);
    calls.push({ method, doc: `/api/v1${doc}`, status: r.status, body: r.body, contentType: typeof r.body === 'string' ? 'text/csv' : 'application/json' });
    return r.body;
  };
  // Platforms
  await call(admin, 'GET', '/platforms', '/api/v1/platforms');
  await call(admin, 'POST', '/platforms', '/api/v1/platforms', { id: 'c', name: 'C', prometheus: { url: 'http://prom-c.invalid:9090', headers: { 'X-Scope-OrgID': 'c' } } });
  await call(admin, 'GET', '/platforms/{id}', '/api/v1/platforms/c');
  await call(admin, 'PUT', '/platforms/{id}', '/api/v1/platforms/c', { name: 'C2', prometheus: { url: 'http://prom-c.invalid:9090', max_sample_age_s: 600 } });
  const tok = (await call(admin, 'POST', '/platforms/{id}/tokens', '/api/v1/platforms/c/tokens', { label: 'ci' })) as { id: string };
  await call(admin, 'DELETE', '/platforms/{id}/tokens/{token_id}', `/api/v1/platforms/c/tokens/${tok.id}`);
  await call(admin, 'POST', '/platforms/{id}/events-password', '/api/v1/platforms/c/events-password', {});
  // Sites, control devices, catalogs
  await call(a, 'GET', '/sites', '/api/v1/sites');
  await call(a, 'POST', '/sites', '/api/v1/sites', { id: 's9', name: 'S9' });
  await call(a, 'GET', '/sites/{id}', '/api/v1/sites/s9');
  await call(a, 'POST', '/sites/{id}/password', '/api/v1/sites/s9/password', {});
  await call(a, 'DELETE', '/sites/{id}', '/api/v1/sites/s9');
  await call(a, 'GET', '/control-devices', '/api/v1/control-devices');
  const cd = (await call(a, 'POST', '/control-devices', '/api/v1/control-devices', { name: 'Socket 2', phone: '+79160000002', model: 'SIMPAL_D210', site_ids: ['s1'] })) as { id: string };
  await call(a, 'GET', '/control-devices/{id}', `/api/v1/control-devices/${cd.id}`);
  await call(a, 'PUT', '/control-devices/{id}', `/api/v1/control-devices/${cd.id}`, { name: 'Socket 2b', phone: '+79160000002', model: 'SIMPAL_D210', site_ids: ['s1'] });
  await call(a, 'DELETE', '/control-devices/{id}', `/api/v1/control-devices/${cd.id}`);
  await call(a, 'GET', '/catalogs', '/api/v1/catalogs');
  await call(a, 'GET', '/catalogs/{model}', '/api/v1/catalogs/SIMPAL_D210');
  // Devices (from the fake Prometheus)
  w.prom.set('signage_device_online', { platform_id: 'a', device_id: 'dev-a-1', name: 'Player a' }, 0);
  await call(a, 'GET', '/devices', '/api/v1/devices');
  await call(a, 'GET', '/devices/metric-names', '/api/v1/devices/metric-names');
  await call(a, 'GET', '/devices/{key_type}/{key}/metrics', '/api/v1/devices/device_id/dev-a-1/metrics');
  // Jobs
  const tpl = (await call(a, 'POST', '/playbooks/templates/power-cycle', '/api/v1/playbooks/templates/power-cycle', POWER_CYCLE)) as { steps: unknown[] };
  await call(a, 'POST', '/jobs/validate', '/api/v1/jobs/validate', jobBody());
  await call(a, 'POST', '/jobs/dry-run', '/api/v1/jobs/dry-run', jobBody());
  const job = (await call(a, 'POST', '/jobs', '/api/v1/jobs', jobBody({ steps: tpl.steps }))) as { id: string };
  await call(a, 'GET', '/jobs', '/api/v1/jobs');
  await call(a, 'GET', '/jobs/{id}', `/api/v1/jobs/${job.id}`);
  await call(a, 'PUT', '/jobs/{id}', `/api/v1/jobs/${job.id}`, jobBody({ steps: tpl.steps, for_s: 0 }));
  await call(a, 'POST', '/jobs/{id}/disable', `/api/v1/jobs/${job.id}/disable`);
  await call(a, 'POST', '/jobs/{id}/enable', `/api/v1/jobs/${job.id}/enable`);
  await call(a, 'POST', '/jobs/{id}/dry-run', `/api/v1/jobs/${job.id}/dry-run`);
  await call(a, 'POST', '/playbooks/dry-run', '/api/v1/playbooks/dry-run', { job_id: job.id });
  const trig = (await call(a, 'POST', '/jobs/{id}/trigger', `/api/v1/jobs/${job.id}/trigger`)) as { id?: string; execution_id?: string };
  await w.publisher.idle();
  // Executions
  const list = (await call(a, 'GET', '/executions', '/api/v1/executions')) as { items: Array<{ id: string }> };
  const execId = trig.execution_id ?? trig.id ?? list.items[0]?.id ?? '';
  await call(a, 'GET', '/executions/{id}', `/api/v1/executions/${execId}`);
  await call(a, 'GET', '/executions/inbound', '/api/v1/executions/inbound');
  await call(a, 'POST', '/executions/{id}/cancel', `/api/v1/executions/${execId}/cancel`);
  // Remediation
  await call(a, 'GET', '/remediation/settings', '/api/v1/remediation/settings');
  await call(a, 'PUT', '/remediation/settings', '/api/v1/remediation/settings', { on_call: [{ name: 'Duty', phone: '+79990000001' }], notify_site_id: 's1' });
  const wh = (await call(a, 'POST', '/webhooks', '/api/v1/webhooks', { url: 'https://example.org/hook' })) as { id: string };
  await call(a, 'GET', '/webhooks', '/api/v1/webhooks');
  await call(a, 'GET', '/webhooks/{id}', `/api/v1/webhooks/${wh.id}`);
  await call(a, 'PATCH', '/webhooks/{id}', `/api/v1/webhooks/${wh.id}`, { enabled: false });
  await call(a, 'GET', '/webhooks/{id}/deliveries', `/api/v1/webhooks/${wh.id}/deliveries`);
  await call(a, 'DELETE', '/webhooks/{id}', `/api/v1/webhooks/${wh.id}`);
  // An incident: five devices seen healthy, then failing together.
  const burst = Array.from({ length: 10 }, (_, i) => w.job('a', { device: { key_type: 'device_id', key: `x${i}`, name: `X${i}` } }));
  await w.store.putJobs(burst);
  for (const j of burst) w.prom.set('signage_device_online', { platform_id: 'a', device_id: j.device.key }, 1);
  await w.poller.cycle();
  for (const j of burst) w.prom.set('signage_device_online', { platform_id: 'a', device_id: j.device.key }, 0);
  w.clock.advance(30_000);
  await w.poller.cycle();
  await w.publisher.idle();
  const inc = (await call(a, 'GET', '/incidents', '/api/v1/incidents')) as { items: Array<{ id: string }> };
  await call(a, 'POST', '/incidents/{id}/release', `/api/v1/incidents/${inc.items[0]?.id ?? 'none'}/release`);
  await w.publisher.idle();
  await call(a, 'GET', '/sms-queue', '/api/v1/sms-queue');
  for (const r of ['devices', 'jobs', 'sites', 'daily', 'fleet', 'carriers']) {
    await call(a, 'GET', `/reports/${r}`, `/api/v1/reports/${r}`);
    await call(a, 'GET', `/reports/${r}`, `/api/v1/reports/${r}?format=csv`);
  }
  await call(a, 'DELETE', '/jobs/{id}', `/api/v1/jobs/${job.id}`);
  // Bulk import: all valid (201), and one invalid item without atomicity (200 with errors).
  await call(a, 'POST', '/jobs:bulk', '/api/v1/jobs:bulk', { jobs: [jobBody({ name: 'bulk 1' }), jobBody({ name: 'bulk 2' })] });
  await call(a, 'POST', '/jobs/bulk', '/api/v1/jobs/bulk?atomic=false', { jobs: [jobBody({ name: 'bulk 3' }), { device: {} }] });
  return { w, calls };
}
