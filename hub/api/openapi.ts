// The OpenAPI 3.1 document of /api/v1, with request bodies and queries from the same zod schemas
// the handlers validate with (z.toJSONSchema), so it cannot drift from them, and a response
// schema for every answer (openapi-responses.ts), checked against real answers by
// test/hub/openapi.test.ts.
import { remediationSettingsInput, webhookInput, webhookPatch } from '../model/remediation.js';
import { z } from 'zod';
import { executionListQuery } from '../model/execution.js';
import { controlDeviceInput, platformInput, siteInput, tokenInput } from '../model/entities.js';
import { jobInput, jobListQuery } from '../model/job.js';
import { deviceListQuery } from './devices.js';
import { CSV_ROUTES, RESPONSES } from './openapi-responses.js';
import { platformPut } from './platforms.js';
import { deliveriesQuery, incidentListQuery, playbookDryRunInput, powerCycleInput, rangeQuery } from './remediation.js';

const langQuery = z.object({ lang: z.enum(['ru', 'en']).optional().describe('language of automatic names and reasons (else Accept-Language, else ru)') });
const eventsPasswordInput = z.object({ password: z.string().min(12).max(200).optional().describe('omitted: a random one is generated and returned once') }).strict();

/** A full job body (POST /jobs, PUT /jobs/{id}): a two-condition job with a power-cycle playbook. */
export const JOB_EXAMPLE = {
  name: 'Касса 3: плеер оффлайн / Till 3 player offline',
  enabled: true,
  device: { key_type: 'device_id', key: '30785', name: 'Касса 3' },
  conditions: [
    { metric: 'signage_device_online', op: '==', value: 0 },
    { metric: 'signage_device_last_seen_age_seconds', op: '>', value: 300 },
  ],
  combine: 'and',
  for_s: 120,
  no_data: { mode: 'fire', after_s: 600 },
  windows: { tz: 'Europe/Moscow', ranges: [{ days: [1, 2, 3, 4, 5, 6, 7], from: '08:00', to: '23:00' }] },
  cooldown_s: 1800,
  steps: [
    { type: 'send', site_id: 'moscow-1', control_device_id: 'cd-kassa-3', command: { kind: 'catalog', command_id: '12_0_minutes_1', params: { minutes: 1 } }, expires_s: 900 },
    { type: 'wait', duration_s: 60 },
    { type: 'verify', conditions: [{ metric: 'signage_device_online', op: '==', value: 1 }], combine: 'and', within_s: 300, hold_s: 0, on_unknown: 'notify_only' },
    { type: 'notify', sms: { site_id: 'moscow-1', to: 'on_call' }, webhooks: [], text: '{job}: {device} {outcome}' },
  ],
};

type Op = { summary: string; body?: z.ZodType; query?: z.ZodObject; admin?: boolean; ok?: number; example?: unknown };

const ROUTES: Record<string, Record<string, Op>> = {
  '/platforms': { get: { summary: 'List platforms visible to the caller' }, post: { summary: 'Create a platform', body: platformInput, admin: true, ok: 201 } },
  '/platforms/{id}': { get: { summary: 'Read a platform' }, put: { summary: 'Update a platform: replaces what it names; prometheus.headers omitted keeps the stored ones ({} removes them), stale_when omitted keeps the rule', body: platformPut, admin: true } },
  '/platforms/{id}/tokens': { post: { summary: 'Create an API token (returned once)', body: tokenInput, admin: true, ok: 201 } },
  '/platforms/{id}/tokens/{token_id}': { delete: { summary: 'Revoke an API token', admin: true, ok: 204 } },
  '/platforms/{id}/events-password': { post: { summary: 'Set the MQTT password of the platform event listener (returned once)', body: eventsPasswordInput, admin: true, ok: 201 } },
  '/sites': { get: { summary: 'List sites with live status' }, post: { summary: 'Create a site (returns its MQTT password once)', body: siteInput, ok: 201 } },
  '/sites/{id}/password': { post: { summary: 'Rotate the site agent MQTT password (returned once)', body: siteInput.pick({ mqtt_password: true }) } },
  '/sites/{id}': { get: { summary: 'Read a site' }, delete: { summary: 'Delete an unused site', ok: 204 } },
  '/control-devices': { get: { summary: 'List control devices' }, post: { summary: 'Register a control device', body: controlDeviceInput, ok: 201 } },
  '/control-devices/{id}': { get: { summary: 'Read' }, put: { summary: 'Replace', body: controlDeviceInput }, delete: { summary: 'Delete an unused control device', ok: 204 } },
  '/catalogs': { get: { summary: 'List command catalogs' } },
  '/catalogs/{model}': { get: { summary: 'Commands of a model with typed parameters' } },
  '/jobs': { get: { summary: 'List jobs with filters', query: jobListQuery }, post: { summary: 'Create a job', body: jobInput, query: langQuery, ok: 201, example: JOB_EXAMPLE } },
  '/jobs/validate': { post: { summary: 'Validate a job as create would (schema and references), without storing it; ?lang=ru|en or Accept-Language picks the automatic name', body: jobInput, query: langQuery, example: JOB_EXAMPLE } },
  '/jobs/dry-run': { post: { summary: 'Evaluate an unsaved job now; reason in ?lang= / Accept-Language, reason_detail with code and ru/en', body: jobInput, query: langQuery, example: JOB_EXAMPLE } },
  '/jobs/{id}': { get: { summary: 'Read a job with its state (status.state)' }, put: { summary: 'Replace a job', body: jobInput, query: langQuery, example: JOB_EXAMPLE }, delete: { summary: 'Delete a job', ok: 204 } },
  '/jobs/{id}/enable': { post: { summary: 'Enable' } },
  '/jobs/{id}/disable': { post: { summary: 'Disable' } },
  '/jobs/{id}/dry-run': { post: { summary: 'Evaluate the job now against live data, without firing', query: langQuery } },
  '/jobs/{id}/trigger': { post: { summary: 'Run the action now (manual execution)', ok: 202 } },
  '/executions': { get: { summary: 'List executions with filters', query: executionListQuery } },
  '/executions/inbound': { get: { summary: 'Inbound SMS log' } },
  '/executions/{id}': { get: { summary: 'One execution with its playbook, messages, outcome and timeline' } },
  '/executions/{id}/cancel': { post: { summary: 'Cancel a running execution (nothing more is sent)' } },
  '/remediation/settings': { get: { summary: 'On-call list, notify site, device limit, SMS budget, correlation rule' }, put: { summary: 'Change any of the settings', body: remediationSettingsInput } },
  '/webhooks': { get: { summary: 'Webhook endpoints (never the secret)' }, post: { summary: 'Add an endpoint (the secret is returned once)', body: webhookInput, ok: 201 } },
  '/webhooks/{id}': { get: { summary: 'Read an endpoint' }, patch: { summary: 'Change URL, secret or enabled', body: webhookPatch }, delete: { summary: 'Delete an unused endpoint', ok: 204 } },
  '/webhooks/{id}/deliveries': { get: { summary: 'Delivery log of an endpoint, newest first', query: deliveriesQuery } },
  '/playbooks/dry-run': { post: { summary: 'What a playbook ({job} or {job_id}) would send to whom, without sending', body: playbookDryRunInput } },
  '/playbooks/templates/power-cycle': { post: { summary: 'The "power-cycle and verify" playbook for SimPal D210 / D410 (off off_min minutes, verify within boot_s; off long_off_min minutes, verify; then notify); waits are whole minutes', body: powerCycleInput } },
  '/incidents': { get: { summary: 'Correlated-failure incidents (open, released, expired)', query: incidentListQuery } },
  '/incidents/{id}/release': { post: { summary: 'Release an incident (open or expired): its held executions resume' } },
  '/sms-queue': { get: { summary: 'Per site: SMS budget, use in the last hour and the queue' } },
  '/reports/devices': { get: { summary: 'Per device: remediations, recovered share, median TTR, escalations (?format=csv)', query: rangeQuery } },
  '/reports/jobs': { get: { summary: 'Per job: remediations, recovered share, median TTR, escalations (?format=csv)', query: rangeQuery } },
  '/reports/sites': { get: { summary: 'Per site: SMS sent, parts, failures (?format=csv)', query: rangeQuery } },
  '/reports/daily': { get: { summary: 'Outcomes per day (?format=csv)', query: rangeQuery } },
  '/reports/fleet': { get: { summary: 'The platform as a whole (?format=csv)', query: rangeQuery } },
  '/devices': { get: { summary: 'Devices of the platform from Prometheus, with their online state (signage_device_online)', query: deviceListQuery } },
  '/devices/metric-names': { get: { summary: 'Metric names carrying device labels' } },
  '/devices/{key_type}/{key}/metrics': { get: { summary: 'Metrics of a device with current values' } },
};

function success(method: string, path: string): Record<string, unknown> {
  const key = `${method.toUpperCase()} ${path}`;
  if (!(key in RESPONSES)) throw new Error(`openapi: no response schema for ${key}`);
  const body = RESPONSES[key];
  if (body === null || body === undefined) return { description: 'no content' };
  const content: Record<string, unknown> = { 'application/json': { schema: body } };
  if (CSV_ROUTES.has(path)) content['text/csv'] = { schema: { type: 'string' } };
  return { description: 'success', content };
}

function schema(s: z.ZodType): unknown {
  return z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' });
}

export function openApiDocument(): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  for (const [path, ops] of Object.entries(ROUTES)) {
    const item: Record<string, unknown> = {};
    for (const [method, op] of Object.entries(ops)) {
      const params = [...path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
      const tenant = !path.startsWith('/platforms') && !path.startsWith('/catalogs');
      if (tenant) params.push({ name: 'platform_id', in: 'query', required: false, schema: { type: 'string' }, description: 'required with the admin token' } as never);
      if (op.query) {
        for (const [name, s] of Object.entries(op.query.shape)) params.push({ name, in: 'query', required: false, schema: schema(s as z.ZodType) } as never);
      }
      item[method] = {
        summary: op.summary + (op.admin ? ' (admin token)' : ''),
        parameters: params,
        ...(op.body ? { requestBody: { required: true, content: { 'application/json': { schema: schema(op.body), ...(op.example ? { example: op.example } : {}) } } } } : {}),
        responses: {
          [String(op.ok ?? 200)]: success(method, path),
          '400': { description: 'invalid input; error.field names the field', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
          '401': { description: 'missing or unknown token' },
          '404': { description: 'not found (or belongs to another platform)' },
        },
      };
    }
    paths[`/api/v1${path}`] = item;
  }
  return {
    openapi: '3.1.0',
    info: { title: 'gsmjobs hub API', version: '1' },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: {
        Error: {
          type: 'object',
          properties: { error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' }, field: { type: 'string' }, issues: { type: 'array' } } } },
        },
      },
    },
    security: [{ bearer: [] }],
    paths,
  };
}
