// Documented example payloads. CONTRACT.md is generated from these and the contract tests
// check that each one is accepted, so the documentation cannot drift from the schemas.
import type { AgentStatus, ExecutionEvent, ExecutionUpdate, InboundSms, JobCancel, JobRequest, SiteEvent, SmsEvent } from './payloads.js';

export const exampleJob: JobRequest = {
  v: 1,
  type: 'job',
  execution_id: '01JD8Z6Q4W7B8N0M3K2H1G5F4E',
  job_id: 'job-arzamas-offline',
  platform_id: 'addreality',
  site_id: 'arzamas',
  to: '+79161234567',
  text: '#12#0#5#1#',
  created_at: '2026-11-25T08:30:00.000Z',
  expires_at: '2026-11-25T08:45:00.000Z',
  attempt: 1,
  status_report: true,
  resend_if_uncertain: false,
};

/** Issue 19: the hub moved the job to a backup site; the home site must not send attempt 1. */
export const exampleCancel: JobCancel = {
  v: 1,
  type: 'cancel',
  execution_id: '01JD8Z6Q4W7B8N0M3K2H1G5F4E',
  job_id: 'job-arzamas-offline',
  platform_id: 'addreality',
  site_id: 'arzamas',
  attempt: 1,
  at: '2026-11-25T08:32:00.000Z',
  reason: 'moved to site arzamas-2 after 120 s without acceptance',
};

export const exampleUpdates: ExecutionUpdate[] = [
  {
    v: 1,
    type: 'update',
    execution_id: '01JD8Z6Q4W7B8N0M3K2H1G5F4E',
    job_id: 'job-arzamas-offline',
    platform_id: 'addreality',
    site_id: 'arzamas',
    state: 'accepted',
    at: '2026-11-25T08:30:00.120Z',
    attempt: 1,
    seq: 0,
  },
  {
    v: 1,
    type: 'update',
    execution_id: '01JD8Z6Q4W7B8N0M3K2H1G5F4E',
    job_id: 'job-arzamas-offline',
    platform_id: 'addreality',
    site_id: 'arzamas',
    state: 'sent',
    at: '2026-11-25T08:30:03.410Z',
    attempt: 1,
    seq: 2,
    parts: 1,
    message_refs: [17],
  },
  {
    v: 1,
    type: 'update',
    execution_id: '01JD8Z6Q4W7B8N0M3K2H1G5F4E',
    job_id: 'job-arzamas-offline',
    platform_id: 'addreality',
    site_id: 'arzamas',
    state: 'delivered',
    at: '2026-11-25T08:30:09.002Z',
    attempt: 1,
    seq: 3,
    parts: 1,
    message_refs: [17],
    delivery: { status: 0, discharge_at: '2026-11-25T08:30:08.000Z' },
  },
  {
    v: 1,
    type: 'update',
    execution_id: '01JD8Z6Q4W7B8N0M3K2H1G5F4F',
    job_id: 'job-arzamas-offline',
    platform_id: 'addreality',
    site_id: 'arzamas',
    state: 'failed',
    at: '2026-11-25T08:31:00.000Z',
    attempt: 1,
    seq: 4,
    reason: { code: 'cms_error', message: 'Unidentified subscriber (+CMS ERROR: 28)', cms_error: 28, retryable: false },
  },
];

export const exampleStatus: AgentStatus = {
  v: 1,
  type: 'status',
  platform_id: 'addreality',
  site_id: 'arzamas',
  state: 'online',
  at: '2026-11-25T08:29:50.000Z',
  version: '0.1.0',
  modem: {
    state: 'up',
    manufacturer: 'SIMCOM_Ltd',
    model: 'SIMCOM_SIM800L',
    revision: 'Revision:1418B04SIM800L24',
    registration: 'home',
    signal_dbm: -71,
    operator: 'MTS RUS',
  },
  outbox: { depth: 0 },
};

/** Status v2 (issue 19): an agent with two modems on two carriers; `modem` summarises the best one. */
export const exampleStatusV2: AgentStatus = {
  ...exampleStatus,
  v: 2,
  modems: [
    { id: 'mts', carrier: 'MTS', priority: 1, state: 'up', model: 'SIMCOM_SIM800L', registration: 'home', signal_dbm: -71, operator: 'MTS RUS', budget: { parts_per_hour: 60, parts_last_hour: 3 }, parts_today: 12, cost_today: 30, price_per_part: 2.5, currency: 'RUB' },
    { id: 'beeline', carrier: 'Beeline', priority: 2, state: 'down', error: 'no answer to AT for 30 s', budget: { parts_per_hour: 30, parts_last_hour: 0 }, parts_today: 0, cost_today: 0, price_per_part: 3, currency: 'RUB' },
  ],
};

export const exampleWill: AgentStatus = {
  v: 1,
  type: 'status',
  platform_id: 'addreality',
  site_id: 'arzamas',
  state: 'offline',
  at: '2026-11-25T08:29:49.000Z',
};

export const exampleInbound: InboundSms = {
  v: 1,
  type: 'inbound',
  id: 'in-1732523410-3',
  platform_id: 'addreality',
  site_id: 'arzamas',
  from: '+79161234567',
  text: 'Питание выключено на 5 минут',
  sent_at: '2026-11-25T08:30:10.000Z',
  received_at: '2026-11-25T08:30:12.500Z',
  parts: 1,
};

export const exampleExecutionEvent: ExecutionEvent = {
  v: 1,
  type: 'execution',
  platform_id: 'addreality',
  execution_id: '01JD8Z6Q4W7B8N0M3K2H1G5F4E',
  job_id: 'job-arzamas-offline',
  job_name: 'Мониторинг Arzamas_Lesnaia_1 - online == 0',
  site_id: 'arzamas',
  device: { key_type: 'device_id', key: '30785', name: 'Arzamas_Lesnaia_1' },
  control_device_id: 'socket-arzamas-1',
  state: 'delivered',
  at: '2026-11-25T08:30:09.100Z',
  attempt: 1,
  seq: 5,
  message_refs: [17],
};

export const exampleSmsEvent: SmsEvent = {
  ...exampleInbound,
  type: 'sms',
  control_device_id: 'socket-arzamas-1',
  execution_id: '01JD8Z6Q4W7B8N0M3K2H1G5F4E',
};

export const exampleSiteEvent: SiteEvent = { ...exampleStatus, type: 'site' };
