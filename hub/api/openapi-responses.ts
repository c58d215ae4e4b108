// Response schemas of /api/v1 for the OpenAPI document (issue 21): every answer has one. Views
// built from stored records reuse the zod schemas (output side); views assembled by handlers are
// written here. test/hub/openapi.test.ts calls every route for real and validates the answers.
import { z } from 'zod';
import { executionViewSchema } from '../model/execution.js';
import { controlDevice } from '../model/entities.js';
import { job, jobState } from '../model/job.js';
import { remediationSettings } from '../model/remediation.js';
import { playbook } from '../model/steps.js';

type Schema = Record<string, unknown>;

const out = (s: z.ZodType): Schema => z.toJSONSchema(s, { io: 'output', unrepresentable: 'any' }) as Schema;
const str: Schema = { type: 'string' };
const time: Schema = { type: 'string', format: 'date-time' };
const int: Schema = { type: 'integer' };
const num: Schema = { type: 'number' };
const bool: Schema = { type: 'boolean' };
const nul = (s: Schema): Schema => ({ anyOf: [s, { type: 'null' }] });
const arr = (items: Schema): Schema => ({ type: 'array', items });
const map = (values: Schema): Schema => ({ type: 'object', additionalProperties: values });
/** An object with exactly these properties, all required unless named in `optional`. */
const obj = (properties: Record<string, Schema>, optional: readonly string[] = []): Schema => ({
  type: 'object',
  properties,
  required: Object.keys(properties).filter((k) => !optional.includes(k)),
  additionalProperties: false,
});
const items = (s: Schema): Schema => obj({ items: arr(s) });
const page = (s: Schema): Schema => obj({ total: int, items: arr(s) });

/** A stored record with its version (the ETag's value). */
const versioned = (s: Schema): Schema => ({ ...s, properties: { ...(s.properties as object), version: int }, required: [...((s.required as string[] | undefined) ?? []), 'version'] });

const platformView = obj({
  version: int,
  id: str,
  name: str,
  prometheus: obj({ url: str, headers: arr(str), max_sample_age_s: nul(int) }),
  tokens: arr(obj({ id: str, label: str, created_at: time })),
  events_username: str,
  created_at: time,
});
const siteView = obj({ id: str, platform_id: str, name: str, mqtt_username: str, created_at: time, version: int, online: bool, status: nul({ type: 'object' }), status_received_at: nul(time) });
const jobView = ((): Schema => {
  const base = versioned(out(job)) as { properties: Record<string, Schema>; required: string[] };
  const status = obj({ state: { enum: [...jobState.options, 'disabled'] }, since: nul(time), values: nul(map(nul(num))), values_at: nul(time), last_fired_at: nul(time), last_execution: nul(obj({ id: str, state: str, created_at: time })) });
  return { ...base, properties: { ...base.properties, auto_names: obj({ ru: str, en: str }), status }, required: [...base.required, 'auto_names', 'status'] };
})();
const executionView = out(executionViewSchema);
const webhookView = obj({ id: str, platform_id: str, url: str, enabled: bool, created_at: time, version: int });
const controlDeviceView = versioned(out(controlDevice));
const settingsView = versioned(out(remediationSettings));
/** A field error: English message, code and params (hub/api/issue-codes.ts). */
export const issueSchema = obj({ field: str, message: str, code: str, params: { type: 'object' } });
const bulkAnswer = obj({
  atomic: bool,
  created: int,
  items: arr(obj({ index: int, id: str, name: str, version: int })),
  errors: arr(obj({ index: int, issues: arr(issueSchema) })),
});
const reason = obj({ code: str, params: { type: 'object' }, text: obj({ ru: str, en: str }) });
const dryRunJob = {
  type: 'object',
  properties: { values: map(nul(num)), conditions_hold: nul(bool), in_window: bool, state: str, next_state: str, would_fire: bool, reason: str, reason_detail: reason, source_stale: bool, sms: nul({ type: 'object' }) },
  required: ['values', 'would_fire', 'reason', 'reason_detail'],
};
const dryRunPlaybook = obj({
  decision: { enum: ['act', 'escalate', 'hold'] },
  reason: nul(str),
  steps: arr({ type: 'object', properties: { index: int, type: str, messages: arr({ type: 'object', properties: { channel: str, to: str, text: str }, required: ['channel'] }), errors: arr({ type: 'object' }) }, required: ['index', 'type', 'messages', 'errors'] }),
  errors: arr(obj({ field: str, message: str })),
});
const heldTrip = obj({ execution_id: str, device_key: str, at: time });
const incidentView = obj(
  {
    id: str,
    platform_id: str,
    opened_at: time,
    held: arr(heldTrip),
    fleet: int,
    rule: str,
    status: { enum: ['open', 'released', 'expired'] },
    released_at: nul(time),
    released_by: nul(str),
    last_trip_at: nul(time),
    expired_at: nul(time),
    expired_reason: nul(str),
    notified: arr(str),
    devices: int,
  },
  [],
);
const outcomeStats = { remediations: int, recovered: int, not_recovered: int, unknown: int, escalations: int, recovered_share: nul(num), median_ttr_s: nul(num) };
const catalogEntry = obj({ model: str, vendor: str, kind: str, commands: int });
const command = { type: 'object', properties: { id: str, category: str, name_ru: str, name_en: str, template: str, params: { type: 'object' }, required: arr(str) }, required: ['id', 'template', 'params'] };
const executionAnswer = obj({ execution_id: nul(str), note: nul(str) });

/** Success answers by `METHOD path` (path as documented, without /api/v1). */
export const RESPONSES: Record<string, Schema | null> = {
  'GET /platforms': items(platformView),
  'POST /platforms': platformView,
  'GET /platforms/{id}': platformView,
  'PUT /platforms/{id}': platformView,
  'POST /platforms/{id}/tokens': obj({ id: str, label: str, token: str }),
  'DELETE /platforms/{id}/tokens/{token_id}': null,
  'POST /platforms/{id}/events-password': obj({ username: str, password: str }),
  'GET /sites': items(siteView),
  'POST /sites': { ...siteView, properties: { ...(siteView.properties as object), mqtt_password: str }, required: [...(siteView.required as string[]), 'mqtt_password'] },
  'GET /sites/{id}': siteView,
  'POST /sites/{id}/password': obj({ mqtt_username: str, mqtt_password: str }),
  'DELETE /sites/{id}': null,
  'GET /control-devices': items(controlDeviceView),
  'POST /control-devices': controlDeviceView,
  'GET /control-devices/{id}': controlDeviceView,
  'PUT /control-devices/{id}': controlDeviceView,
  'DELETE /control-devices/{id}': null,
  'GET /catalogs': items(catalogEntry),
  'GET /catalogs/{model}': obj({ model: str, vendor: str, kind: str, commands: arr(command) }),
  // total: exact up to 1000 matches (total_exact), else PostgreSQL's estimate; next_cursor: ?cursor= of the next page.
  'GET /jobs': obj({ total: int, total_exact: bool, next_cursor: nul(str), items: arr(jobView) }),
  'POST /jobs': jobView,
  'POST /jobs:bulk': bulkAnswer,
  'POST /jobs/bulk': bulkAnswer,
  'POST /jobs/validate': obj({ valid: { const: true }, name: str, name_auto: bool, auto_names: obj({ ru: str, en: str }) }),
  'POST /jobs/dry-run': dryRunJob,
  'GET /jobs/{id}': jobView,
  'PUT /jobs/{id}': jobView,
  'DELETE /jobs/{id}': null,
  'POST /jobs/{id}/enable': jobView,
  'POST /jobs/{id}/disable': jobView,
  'POST /jobs/{id}/dry-run': dryRunJob,
  'POST /jobs/{id}/trigger': executionAnswer,
  'GET /executions': page(executionView),
  'GET /executions/inbound': items({ type: 'object', properties: { id: str, from: str, text: str, at: time, site_id: str }, required: ['from', 'text'] }),
  'GET /executions/{id}': executionView,
  'POST /executions/{id}/cancel': executionView,
  'GET /remediation/settings': settingsView,
  'PUT /remediation/settings': settingsView,
  'GET /webhooks': items(webhookView),
  'POST /webhooks': { ...webhookView, properties: { ...(webhookView.properties as object), secret: str }, required: [...(webhookView.required as string[]), 'secret'] },
  'GET /webhooks/{id}': webhookView,
  'PATCH /webhooks/{id}': webhookView,
  'DELETE /webhooks/{id}': null,
  'GET /webhooks/{id}/deliveries': items({ type: 'object', properties: { id: str, endpoint_id: str, event_type: str, status: str, body: str, attempts: arr({ type: 'object' }) }, required: ['id', 'endpoint_id', 'event_type', 'status'] }),
  'POST /playbooks/dry-run': dryRunPlaybook,
  'POST /playbooks/templates/power-cycle': obj({ steps: out(playbook) }),
  'GET /incidents': items(incidentView),
  'POST /incidents/{id}/release': obj({ incident: incidentView, resumed: int }),
  'GET /sms-queue': obj({ sites: arr(obj({ site_id: str, budget_per_hour: int, sent_last_hour: int, queued: int, next_slot_at: nul(time), items: arr({ type: 'object' }) })) }),
  'GET /reports/devices': items(obj({ platform_id: str, device_key: str, ...outcomeStats })),
  'GET /reports/jobs': items(obj({ platform_id: str, job_id: str, job_name: str, ...outcomeStats })),
  'GET /reports/sites': items(obj({ platform_id: str, site_id: str, sms_sent: int, sms_parts: int, sms_failed: int, failure_share: nul(num), commands: int, notifications: int, modem_uptime_share: nul(num) })),
  'GET /reports/daily': items(obj({ day: str, recovered: int, not_recovered: int, unknown: int, escalated: int, cancelled: int })),
  'GET /reports/fleet': obj({ stats: obj(outcomeStats) }),
  'GET /reports/carriers': obj({
    items: arr(obj({ platform_id: str, site_id: str, days: num, parts: int, parts_today: nul(int), currency: nul(str), cost_today: nul(num), daily_cost_estimate: nul(num), modems: arr(obj({ modem: str, carrier: nul(str), state: nul(str), parts: int, parts_today: nul(int), cost_today: nul(num), currency: nul(str), price_per_part: nul(num), daily_cost_estimate: nul(num) })) })),
    platform: obj({ platform_id: str, parts: int, parts_today: int, currencies: arr(obj({ currency: str, parts_today: int, cost_today: num, daily_cost_estimate: num })) }),
  }),
  'GET /devices': page(obj({ platform_id: str, key_type: str, key: str, name: nul(str), metrics: int, online: nul(bool) })),
  'GET /devices/metric-names': items(str),
  'GET /devices/{key_type}/{key}/metrics': obj({ key_type: str, key: str, name: nul(str), items: arr(obj({ metric: str, value: num, labels: map(str) })) }),
};

/** Reports also answer CSV with ?format=csv. */
export const CSV_ROUTES = new Set(['/reports/devices', '/reports/jobs', '/reports/sites', '/reports/daily', '/reports/fleet', '/reports/carriers']);
