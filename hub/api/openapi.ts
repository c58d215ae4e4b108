// The OpenAPI 3.1 document of /api/v1, with request bodies and queries from the same zod schemas
// the handlers validate with (z.toJSONSchema), so it cannot drift from them, and a response
// schema for every answer (openapi-responses.ts), checked against real answers by
// test/hub/openapi.test.ts. Headers of issue 17: `Idempotency-Key` on creating POSTs, `ETag` on
// every versioned resource's answer and `If-Match` on its writes (412 version_conflict).
import { remediationSettingsInput, webhookInput, webhookPatch } from '../model/remediation.js';
import { z } from 'zod';
import { executionListQuery } from '../model/execution.js';
import { controlDeviceInput, platformInput, siteInput, tokenInput } from '../model/entities.js';
import { jobInput, jobListQuery } from '../model/job.js';
import { deviceListQuery } from './devices.js';
import { CSV_ROUTES, issueSchema, RESPONSES } from './openapi-responses.js';
import { BULK_MAX_BYTES, BULK_MAX_JOBS, bulkBody, bulkQuery } from './jobs-bulk.js';
import { ISSUE_CODES } from './issue-codes.js';
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

type Op = {
  summary: string;
  body?: z.ZodType;
  query?: z.ZodObject;
  admin?: boolean;
  ok?: number;
  example?: unknown;
  /** Creates: honours Idempotency-Key. */
  create?: boolean;
  /** Answers with the resource's ETag; a write honours If-Match. */
  etag?: boolean;
  /** What a 409 means here. */
  conflict?: string;
  /** Other success statuses. */
  also?: number[];
};

const BULK_SUMMARY = `Create many jobs in one request (spreadsheet import): body {jobs: [...]}, at most ${BULK_MAX_JOBS} jobs and ${BULK_MAX_BYTES / 1024 / 1024} MiB; each validated as POST /jobs, errors per item {index, issues}. ?atomic=true (default): all or nothing, one transaction, 400 with error.items when any is invalid; ?atomic=false: the valid ones are written (200 with errors) `;

const ROUTES: Record<string, Record<string, Op>> = {
  '/platforms': { get: { summary: 'List platforms visible to the caller' }, post: { summary: 'Create a platform', body: platformInput, admin: true, ok: 201, create: true, etag: true, conflict: 'a platform with this id exists' } },
  '/platforms/{id}': { get: { summary: 'Read a platform', etag: true }, put: { summary: 'Update a platform: replaces what it names; prometheus.headers omitted keeps the stored ones ({} removes them), stale_when omitted keeps the rule', body: platformPut, admin: true, etag: true } },
  '/platforms/{id}/tokens': { post: { summary: 'Create an API token (returned once)', body: tokenInput, admin: true, ok: 201, create: true, etag: true } },
  '/platforms/{id}/tokens/{token_id}': { delete: { summary: 'Revoke an API token (If-Match: the platform version)', admin: true, ok: 204, etag: true } },
  '/platforms/{id}/events-password': { post: { summary: 'Set the MQTT password of the platform event listener (returned once; If-Match: the platform version)', body: eventsPasswordInput, admin: true, ok: 201, etag: true } },
  '/sites': { get: { summary: 'List sites with live status' }, post: { summary: 'Create a site (returns its MQTT password once)', body: siteInput, ok: 201, create: true, etag: true, conflict: 'a site with this id exists' } },
  '/sites/{id}/password': { post: { summary: 'Rotate the site agent MQTT password (returned once)', body: siteInput.pick({ mqtt_password: true }), etag: true } },
  '/sites/{id}': { get: { summary: 'Read a site', etag: true }, delete: { summary: 'Delete an unused site', ok: 204, etag: true, conflict: 'jobs use the site (in_use)' } },
  '/control-devices': { get: { summary: 'List control devices' }, post: { summary: 'Register a control device', body: controlDeviceInput, ok: 201, create: true, etag: true } },
  '/control-devices/{id}': { get: { summary: 'Read', etag: true }, put: { summary: 'Replace', body: controlDeviceInput, etag: true }, delete: { summary: 'Delete an unused control device', ok: 204, etag: true, conflict: 'jobs use the device (in_use)' } },
  '/catalogs': { get: { summary: 'List command catalogs' } },
  '/catalogs/{model}': { get: { summary: 'Commands of a model with typed parameters' } },
  '/jobs': { get: { summary: 'List jobs with filters', query: jobListQuery }, post: { summary: 'Create a job', body: jobInput, query: langQuery, ok: 201, example: JOB_EXAMPLE, create: true, etag: true } },
  '/jobs:bulk': { post: { summary: BULK_SUMMARY, body: bulkBody, query: bulkQuery.extend(langQuery.shape), ok: 201, also: [200], create: true } },
  '/jobs/bulk': { post: { summary: `${BULK_SUMMARY} (alias of /jobs:bulk for clients that cannot send a colon)`, body: bulkBody, query: bulkQuery.extend(langQuery.shape), ok: 201, also: [200], create: true } },
  '/jobs/validate': { post: { summary: 'Validate a job as create would (schema and references), without storing it; ?lang=ru|en or Accept-Language picks the automatic name', body: jobInput, query: langQuery, example: JOB_EXAMPLE } },
  '/jobs/dry-run': { post: { summary: 'Evaluate an unsaved job now; reason in ?lang= / Accept-Language, reason_detail with code and ru/en', body: jobInput, query: langQuery, example: JOB_EXAMPLE } },
  '/jobs/{id}': { get: { summary: 'Read a job with its state (status.state)', etag: true }, put: { summary: 'Replace a job', body: jobInput, query: langQuery, example: JOB_EXAMPLE, etag: true }, delete: { summary: 'Delete a job', ok: 204, etag: true } },
  '/jobs/{id}/enable': { post: { summary: 'Enable', etag: true } },
  '/jobs/{id}/disable': { post: { summary: 'Disable', etag: true } },
  '/jobs/{id}/dry-run': { post: { summary: 'Evaluate the job now against live data, without firing', query: langQuery } },
  '/jobs/{id}/trigger': { post: { summary: 'Run the action now (manual execution)', ok: 202, conflict: 'the job has no step to run (not_fired)' } },
  '/executions': { get: { summary: 'List executions with filters', query: executionListQuery } },
  '/executions/inbound': { get: { summary: 'Inbound SMS log' } },
  '/executions/{id}': { get: { summary: 'One execution with its playbook, messages, outcome and timeline', etag: true } },
  '/executions/{id}/cancel': { post: { summary: 'Cancel a running execution (nothing more is sent)', conflict: 'the execution has already ended' } },
  '/remediation/settings': { get: { summary: 'On-call list, notify site, device limit, SMS budget, correlation rule, failover, time_zone (the zone the web form shows the platform\'s times in; null: the server\'s); version (the ETag) is derived from the content and If-Match is checked inside the write', etag: true }, put: { summary: 'Change any of the settings', body: remediationSettingsInput, etag: true } },
  '/webhooks': { get: { summary: 'Webhook endpoints (never the secret)' }, post: { summary: 'Add an endpoint (the secret is returned once)', body: webhookInput, ok: 201, create: true, etag: true } },
  '/webhooks/{id}': { get: { summary: 'Read an endpoint', etag: true }, patch: { summary: 'Change URL, secret or enabled', body: webhookPatch, etag: true }, delete: { summary: 'Delete an unused endpoint', ok: 204, etag: true, conflict: 'jobs use the endpoint (in_use)' } },
  '/webhooks/{id}/deliveries': { get: { summary: 'Delivery log of an endpoint, newest first', query: deliveriesQuery } },
  '/playbooks/dry-run': { post: { summary: 'What a playbook ({job} or {job_id}) would send to whom, without sending', body: playbookDryRunInput } },
  '/playbooks/templates/power-cycle': { post: { summary: 'The "power-cycle and verify" playbook for SimPal D210 / D410 (off off_min minutes, verify within boot_s; off long_off_min minutes, verify; then notify); waits are whole minutes', body: powerCycleInput } },
  '/incidents': { get: { summary: 'Correlated-failure incidents (open, released, expired)', query: incidentListQuery } },
  '/incidents/{id}/release': { post: { summary: 'Release an incident (open or expired): its held executions resume', conflict: 'the incident is not open or expired' } },
  '/sms-queue': { get: { summary: 'Per site: SMS budget, use in the last hour and the queue' } },
  '/reports/devices': { get: { summary: 'Per device: remediations, recovered share, median TTR, escalations (?format=csv)', query: rangeQuery } },
  '/reports/jobs': { get: { summary: 'Per job: remediations, recovered share, median TTR, escalations (?format=csv)', query: rangeQuery } },
  '/reports/sites': { get: { summary: 'Per site: SMS sent, parts, failures (?format=csv)', query: rangeQuery } },
  '/reports/daily': { get: { summary: 'Outcomes per day (?format=csv)', query: rangeQuery } },
  '/reports/fleet': { get: { summary: 'The platform as a whole (?format=csv)', query: rangeQuery } },
  '/reports/carriers': { get: { summary: 'Per site: parts per modem, cost today and a daily cost estimate from the modems\' prices; sums per platform and currency (?format=csv: one row per modem)', query: rangeQuery } },
  '/devices': { get: { summary: 'Devices of the platform from Prometheus, with their online state (signage_device_online)', query: deviceListQuery } },
  '/devices/metric-names': { get: { summary: 'Metric names carrying device labels' } },
  '/devices/{key_type}/{key}/metrics': { get: { summary: 'Metrics of a device with current values' } },
};

const ETAG_HEADER = { ETag: { description: 'the version of the resource, "<version>"; send it back in If-Match', schema: { type: 'string' } } };
const errorContent = { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } };
const err = (description: string) => ({ description, content: errorContent });

function success(method: string, path: string, op: Op): Record<string, unknown> {
  const key = `${method.toUpperCase()} ${path}`;
  if (!(key in RESPONSES)) throw new Error(`openapi: no response schema for ${key}`);
  const body = RESPONSES[key];
  const headers = {
    ...(op.etag && method !== 'delete' ? ETAG_HEADER : {}),
    ...(op.create ? { 'Idempotent-Replayed': { description: '"true" when this is the stored answer to an earlier request with the same Idempotency-Key', schema: { type: 'string', enum: ['true'] } } } : {}),
  };
  const withHeaders = Object.keys(headers).length ? { headers } : {};
  if (body === null || body === undefined) return { description: 'no content', ...withHeaders };
  const content: Record<string, unknown> = { 'application/json': { schema: body } };
  if (CSV_ROUTES.has(path)) content['text/csv'] = { schema: { type: 'string' } };
  return { description: 'success', content, ...withHeaders };
}

/** The error answers an operation can give. */
function failures(method: string, op: Op): Record<string, unknown> {
  const write = method !== 'get';
  return {
    '400': err('invalid input; error.issues name each field with code and params (issue codes: see Issue)'),
    '401': { description: 'missing or unknown token' },
    '404': { description: 'not found (or belongs to another platform)' },
    ...(op.conflict ? { '409': err(op.conflict) } : {}),
    ...(op.etag && write ? { '412': err('If-Match names a version that is no longer current: error.code version_conflict, error.current_version and error.current (both null when the record was deleted meanwhile)') } : {}),
    ...(op.body ? { '413': err('body too large (256 KiB; the bulk import 8 MiB)') } : {}),
    ...(op.create ? { '422': err('Idempotency-Key already used within 24 h for another request (idempotency_key_reused)') } : {}),
    '429': err('too many wrong tokens from this address; Retry-After says when to retry'),
    '503': err('the store is unavailable or too many bodies are in flight; Retry-After says when to retry'),
  };
}

function headerParams(method: string, op: Op): unknown[] {
  const out: unknown[] = [];
  if (op.create) {
    out.push({
      name: 'Idempotency-Key',
      in: 'header',
      required: false,
      schema: { type: 'string', minLength: 1, maxLength: 255 },
      description: 'a unique key per intended create (a UUID): the same key within 24 h replays the first successful answer with Idempotent-Replayed: true; the same key with another request is 422',
    });
  }
  if (op.etag && method !== 'get' && !op.create) {
    out.push({ name: 'If-Match', in: 'header', required: false, schema: { type: 'string' }, description: 'the ETag read ("N", W/"N" or *): the write happens only if the resource is still at that version, else 412; omitted: unconditional' });
  }
  return out;
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
        parameters: [...params, ...headerParams(method, op)],
        ...(op.body ? { requestBody: { required: true, content: { 'application/json': { schema: schema(op.body), ...(op.example ? { example: op.example } : {}) } } } } : {}),
        responses: {
          [String(op.ok ?? 200)]: success(method, path, op),
          ...Object.fromEntries((op.also ?? []).map((st) => [String(st), success(method, path, op)])),
          ...failures(method, op),
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
          properties: {
            error: {
              type: 'object',
              properties: {
                code: { type: 'string' },
                message: { type: 'string' },
                field: { type: 'string' },
                issues: { type: 'array', items: { $ref: '#/components/schemas/Issue' } },
                items: { type: 'array', description: 'bulk import: errors per job', items: { type: 'object', properties: { index: { type: 'integer' }, issues: { type: 'array', items: { $ref: '#/components/schemas/Issue' } } } } },
                current_version: { type: ['integer', 'null'], description: '412: the stored version (null: deleted)' },
                current: { description: '412: the stored record (null: deleted)' },
              },
            },
          },
        },
        Issue: { ...issueSchema, properties: { ...(issueSchema.properties as object), code: { type: 'string', enum: [...ISSUE_CODES], description: 'RU/EN texts: hub/api/issue-codes.ts issueText()' } } },
      },
    },
    security: [{ bearer: [] }],
    paths,
  };
}
