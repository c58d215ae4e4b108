// The OpenAPI 3.1 document of /api/v1, with request bodies from the same zod schemas the
// handlers validate with (z.toJSONSchema), so it cannot drift from them.
import { remediationSettingsInput, webhookInput, webhookPatch } from '../model/remediation.js';
import { z } from 'zod';
import { executionListQuery } from '../model/execution.js';
import { controlDeviceInput, platformInput, siteInput, tokenInput } from '../model/entities.js';
import { jobInput, jobListQuery } from '../model/job.js';
import { deviceListQuery } from './devices.js';

type Op = { summary: string; body?: z.ZodType; query?: z.ZodObject; admin?: boolean; ok?: number };

const ROUTES: Record<string, Record<string, Op>> = {
  '/platforms': { get: { summary: 'List platforms visible to the caller' }, post: { summary: 'Create a platform', body: platformInput, admin: true, ok: 201 } },
  '/platforms/{id}': { get: { summary: 'Read a platform' }, put: { summary: 'Update a platform', body: platformInput.omit({ id: true }), admin: true } },
  '/platforms/{id}/tokens': { post: { summary: 'Create an API token (returned once)', body: tokenInput, admin: true, ok: 201 } },
  '/platforms/{id}/tokens/{token_id}': { delete: { summary: 'Revoke an API token', admin: true, ok: 204 } },
  '/platforms/{id}/events-password': { post: { summary: 'Set the MQTT password of the platform event listener', admin: true, ok: 201 } },
  '/sites': { get: { summary: 'List sites with live status' }, post: { summary: 'Create a site (returns its MQTT password once)', body: siteInput, ok: 201 } },
  '/sites/{id}/password': { post: { summary: 'Rotate the site agent MQTT password (returned once)', body: siteInput.pick({ mqtt_password: true }) } },
  '/sites/{id}': { get: { summary: 'Read a site' }, delete: { summary: 'Delete an unused site', ok: 204 } },
  '/control-devices': { get: { summary: 'List control devices' }, post: { summary: 'Register a control device', body: controlDeviceInput, ok: 201 } },
  '/control-devices/{id}': { get: { summary: 'Read' }, put: { summary: 'Replace', body: controlDeviceInput }, delete: { summary: 'Delete an unused control device', ok: 204 } },
  '/catalogs': { get: { summary: 'List command catalogs' } },
  '/catalogs/{model}': { get: { summary: 'Commands of a model with typed parameters' } },
  '/jobs': { get: { summary: 'List jobs with filters', query: jobListQuery }, post: { summary: 'Create a job', body: jobInput, ok: 201 } },
  '/jobs/validate': { post: { summary: 'Validate a job as create would (schema and references), without storing it; ?lang=ru|en or Accept-Language picks the automatic name', body: jobInput } },
  '/jobs/dry-run': { post: { summary: 'Evaluate an unsaved job now; reason in ?lang= / Accept-Language, reason_detail with code and ru/en', body: jobInput } },
  '/jobs/{id}': { get: { summary: 'Read a job with its state' }, put: { summary: 'Replace a job', body: jobInput }, delete: { summary: 'Delete a job', ok: 204 } },
  '/jobs/{id}/enable': { post: { summary: 'Enable' } },
  '/jobs/{id}/disable': { post: { summary: 'Disable' } },
  '/jobs/{id}/dry-run': { post: { summary: 'Evaluate the job now against live data, without firing' } },
  '/jobs/{id}/trigger': { post: { summary: 'Run the action now (manual execution)', ok: 202 } },
  '/executions': { get: { summary: 'List executions with filters', query: executionListQuery } },
  '/executions/inbound': { get: { summary: 'Inbound SMS log' } },
  '/executions/{id}': { get: { summary: 'One execution with its playbook, messages, outcome and timeline' } },
  '/executions/{id}/cancel': { post: { summary: 'Cancel a running execution (nothing more is sent)' } },
  '/remediation/settings': { get: { summary: 'On-call list, notify site, device limit, SMS budget, correlation rule' }, put: { summary: 'Change any of the settings', body: remediationSettingsInput } },
  '/webhooks': { get: { summary: 'Webhook endpoints (never the secret)' }, post: { summary: 'Add an endpoint (the secret is returned once)', body: webhookInput, ok: 201 } },
  '/webhooks/{id}': { get: { summary: 'Read an endpoint' }, patch: { summary: 'Change URL, secret or enabled', body: webhookPatch }, delete: { summary: 'Delete an unused endpoint', ok: 204 } },
  '/webhooks/{id}/deliveries': { get: { summary: 'Delivery log of an endpoint, newest first' } },
  '/playbooks/dry-run': { post: { summary: 'What a playbook ({job} or {job_id}) would send to whom, without sending' } },
  '/playbooks/templates/power-cycle': { post: { summary: 'The "power-cycle and verify" playbook for SimPal D210 / D410' } },
  '/incidents': { get: { summary: 'Correlated-failure incidents (?status=open|released)' } },
  '/incidents/{id}/release': { post: { summary: 'Release an incident: its held executions resume' } },
  '/sms-queue': { get: { summary: 'Per site: SMS budget, use in the last hour and the queue' } },
  '/reports/devices': { get: { summary: 'Per device: remediations, recovered share, median TTR, escalations (?format=csv)' } },
  '/reports/jobs': { get: { summary: 'Per job: remediations, recovered share, median TTR, escalations (?format=csv)' } },
  '/reports/sites': { get: { summary: 'Per site: SMS sent, parts, failures (?format=csv)' } },
  '/reports/daily': { get: { summary: 'Outcomes per day (?format=csv)' } },
  '/reports/fleet': { get: { summary: 'The platform as a whole (?format=csv)' } },
  '/devices': { get: { summary: 'Devices of the platform from Prometheus, with their online state (signage_device_online)', query: deviceListQuery } },
  '/devices/metric-names': { get: { summary: 'Metric names carrying device labels' } },
  '/devices/{key_type}/{key}/metrics': { get: { summary: 'Metrics of a device with current values' } },
};

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
        ...(op.body ? { requestBody: { required: true, content: { 'application/json': { schema: schema(op.body) } } } } : {}),
        responses: {
          [String(op.ok ?? 200)]: { description: 'success' },
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
