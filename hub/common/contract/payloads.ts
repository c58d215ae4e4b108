// Payload schemas of the wire contract, version 1. Every payload is a JSON object with
// `v` (contract version) and `type`. Unknown fields are accepted and dropped, so that a newer
// sender can add optional fields without breaking an older receiver; a new required field or a
// changed meaning needs v: 2 and new topics (gsmjobs/v2/...).
import { z } from 'zod';
import { deviceKeyType, isoTime, opaqueId, phoneNumber, platformId, siteId } from './ids.js';

const v1 = z.literal(1);

/** Most characters an SMS job text may carry (10 UCS2 parts of 67 chars is 670; 10 GSM parts 1530). */
export const MAX_TEXT_CHARS = 1530;

// ---------------------------------------------------------------------------------------------
// hub -> agent: gsmjobs/v1/site/<platform>/<site>/job   (QoS 1, not retained)

export const jobRequest = z
  .object({
    v: v1,
    type: z.literal('job'),
    /** Unique per execution; the agent de-duplicates by it and every update echoes it. */
    execution_id: opaqueId,
    job_id: opaqueId,
    platform_id: platformId,
    site_id: siteId,
    /** Destination phone number (the control device). */
    to: phoneNumber,
    text: z.string().min(1, 'must not be empty').max(MAX_TEXT_CHARS, `must be at most ${MAX_TEXT_CHARS} characters`),
    created_at: isoTime,
    /** After this moment the agent reports `expired` instead of sending. */
    expires_at: isoTime,
    /** 1 for the first dispatch; the hub increments it when it re-sends an unacknowledged job. */
    attempt: z.number().int().min(1),
    /** Ask the network for a delivery status report (TS 23.040 TP-SRR). */
    status_report: z.boolean().default(true),
    /**
     * Issue 19 (optional, v1-compatible): an agent that receives this job after `accept_by` does
     * not accept it and reports `expired` with reason code `accept_deadline`. The hub sets it
     * when the control device has backup sites, and moves the job to the next site only after
     * this moment, so two sites never both hold the same message.
     */
    accept_by: isoTime.optional(),
    /**
     * Issue 19: an agent with several modems never sends a message whose PDU may already have
     * reached one modem (state `uncertain`) through another modem, unless this is true (absent: false).
     */
    resend_if_uncertain: z.boolean().optional(),
  })
  .refine((j) => Date.parse(j.expires_at) > Date.parse(j.created_at), {
    message: 'must be later than created_at',
    path: ['expires_at'],
  });
export type JobRequest = z.infer<typeof jobRequest>;

// ---------------------------------------------------------------------------------------------
// hub -> agent: gsmjobs/v1/site/<platform>/<site>/cancel   (QoS 1, not retained; issue 19)

/**
 * The hub moved a message to another site: this site must not send attempts up to `attempt`
 * of `execution_id`. An agent that holds the job and has not handed it to a modem reports
 * `expired` with reason code `cancelled`; one that already sent it reports its state again (a
 * cancel never un-sends); one that has not seen the job yet remembers the cancel and refuses the
 * job when it arrives (the two topics are not ordered against each other).
 */
export const jobCancel = z.object({
  v: v1,
  type: z.literal('cancel'),
  execution_id: opaqueId,
  job_id: opaqueId,
  platform_id: platformId,
  site_id: siteId,
  /** Every attempt up to and including this one is cancelled. */
  attempt: z.number().int().min(1),
  at: isoTime,
  /** Plain words: why (e.g. "moved to site b after 120 s without acceptance"). */
  reason: z.string().max(200).optional(),
});
export type JobCancel = z.infer<typeof jobCancel>;

// ---------------------------------------------------------------------------------------------
// agent -> hub: gsmjobs/v1/site/<platform>/<site>/update   (QoS 1, not retained)

/**
 * Agent-side execution states. Terminal: sent (when no status report was asked), delivered,
 * not_delivered, failed, expired, duplicate, uncertain.
 *   accepted       stored durably in the agent's outbox (the hub may stop re-sending)
 *   sending        handed to the modem (AT+CMGS in progress)
 *   sent           the modem accepted every part; `message_refs` holds TP-MR of each part
 *   delivered      every part's status report says delivered
 *   not_delivered  a status report says the SMSC gave up (permanent or temporary-expired)
 *   failed         could not be sent; `reason` says why
 *   expired        reached expires_at before it could be sent
 *   duplicate      this execution_id was already handled; `reason.message` names its state
 *   uncertain      the agent died while the modem held the PDU: it may or may not have gone out
 */
export const agentState = z.enum([
  'accepted',
  'sending',
  'sent',
  'delivered',
  'not_delivered',
  'failed',
  'expired',
  'duplicate',
  'uncertain',
]);
export type AgentState = z.infer<typeof agentState>;

/** Agent states after which the agent publishes nothing more for an execution (`sent` only ends it when no status report was asked, or none came in time). */
export const AGENT_TERMINAL_STATES: readonly AgentState[] = ['sent', 'delivered', 'not_delivered', 'failed', 'expired', 'duplicate', 'uncertain'];

export const failureReason = z.object({
  /** Machine-readable: invalid_number, text_too_long, cms_error, cme_error, timeout, modem_down, ... */
  code: z.string().min(1),
  /** Plain words for people. */
  message: z.string(),
  /** +CMS ERROR code (TS 27.005 3.2.5) when the modem gave one. */
  cms_error: z.number().int().optional(),
  retryable: z.boolean().optional(),
});
export type FailureReason = z.infer<typeof failureReason>;

export const executionUpdate = z.object({
  v: v1,
  type: z.literal('update'),
  execution_id: opaqueId,
  job_id: opaqueId,
  platform_id: platformId,
  site_id: siteId,
  state: agentState,
  /** When the agent reached this state. */
  at: isoTime,
  /** The job's attempt this update answers. */
  attempt: z.number().int().min(1),
  /** Increases with every update of one execution, so the hub can order and drop stale ones. */
  seq: z.number().int().min(0),
  /** Issue 19: the id of the modem (agent config `modems[].id`) that sent or tried the message. */
  modem: z.string().min(1).max(32).optional(),
  /** TP-Message-Reference of each part, once sent. */
  message_refs: z.array(z.number().int().min(0).max(255)).optional(),
  parts: z.number().int().min(1).optional(),
  reason: failureReason.optional(),
  /** From the status report (TS 23.040 9.2.3.15 TP-Status) for delivered / not_delivered. */
  delivery: z
    .object({
      status: z.number().int().min(0).max(255),
      discharge_at: isoTime.optional(),
    })
    .optional(),
});
export type ExecutionUpdate = z.infer<typeof executionUpdate>;

// ---------------------------------------------------------------------------------------------
// agent -> hub: gsmjobs/v1/site/<platform>/<site>/status   (QoS 1, RETAINED; last will: offline)

export const registrationState = z.enum(['home', 'roaming', 'searching', 'denied', 'not_registered', 'unknown']);
export type RegistrationState = z.infer<typeof registrationState>;

export const modemStatus = z.object({
  /** up: ready to send; init: starting or recovering; down: not answering / absent. */
  state: z.enum(['up', 'init', 'down']),
  manufacturer: z.string().optional(),
  model: z.string().optional(),
  revision: z.string().optional(),
  registration: registrationState.optional(),
  /** Received signal strength in dBm, null when unknown (AT+CSQ 99). */
  signal_dbm: z.number().nullable().optional(),
  operator: z.string().optional(),
  /** Why the modem is down, in plain words. */
  error: z.string().optional(),
});
export type ModemStatus = z.infer<typeof modemStatus>;

/** Issue 19 (status v2): one modem of an agent that drives several. */
export const modemEntry = modemStatus.extend({
  /** The modem's id from the agent config (`modems[].id`), used in metrics and updates. */
  id: z.string().min(1).max(32),
  /** Carrier label from the agent config (e.g. "MTS"), for people. */
  carrier: z.string().max(64).optional(),
  /** Lower is tried first. */
  priority: z.number().int(),
  /** SMS parts this modem may send per hour (null: no budget) and how many it sent in the last hour. */
  budget: z.object({ parts_per_hour: z.number().int().min(1).nullable(), parts_last_hour: z.number().int().min(0) }).optional(),
  /** Parts sent since local midnight (agent clock), and their cost at the configured price. */
  parts_today: z.number().int().min(0).optional(),
  cost_today: z.number().min(0).optional(),
  /** The price of one part configured on the agent (`modems[].price_per_part`), in `currency`. */
  price_per_part: z.number().min(0).optional(),
  currency: z.string().max(8).optional(),
});
export type ModemEntry = z.infer<typeof modemEntry>;

/**
 * v1: one `modem`. v2 (issue 19): `modems` lists every modem; `modem` stays as the summary
 * (the best modem's status) for readers of v1. A hub accepts both.
 */
export const agentStatus = z.object({
  v: z.union([z.literal(1), z.literal(2)]),
  type: z.literal('status'),
  platform_id: platformId,
  site_id: siteId,
  /** offline is published by the broker as the agent's last will, or by the agent on clean stop. */
  state: z.enum(['online', 'offline']),
  /** When this status was produced (for a last will: when the agent connected). */
  at: isoTime,
  version: z.string().optional(),
  modem: modemStatus.optional(),
  /** v2: every modem of the agent, in priority order. */
  modems: z.array(modemEntry).max(16).optional(),
  outbox: z
    .object({
      depth: z.number().int().min(0),
      oldest_at: isoTime.optional(),
      /** The outbox journal: not writable (full disk, I/O error) means no new job is accepted. */
      journal: z
        .object({
          writable: z.boolean(),
          error: z.string().optional(),
          /** Damaged records skipped at the last start (named in the agent's log). */
          skipped_records: z.number().int().min(0).optional(),
          /** Where the damaged journal was copied for inspection. */
          corrupt_copy: z.string().optional(),
        })
        .optional(),
    })
    .optional(),
});
export type AgentStatus = z.infer<typeof agentStatus>;

// ---------------------------------------------------------------------------------------------
// agent -> hub: gsmjobs/v1/site/<platform>/<site>/inbound   (QoS 1, not retained)

export const inboundSms = z.object({
  v: v1,
  type: z.literal('inbound'),
  /** Unique per message at this agent, so the hub can drop a redelivered duplicate. */
  id: opaqueId,
  platform_id: platformId,
  site_id: siteId,
  /** Originating address as the network gave it (may be alphanumeric for service senders). */
  from: z.string().min(1).max(32),
  text: z.string(),
  /** SMSC timestamp of the (first part of the) message. */
  sent_at: isoTime.optional(),
  /** When the agent read it from the modem. */
  received_at: isoTime,
  parts: z.number().int().min(1),
});
export type InboundSms = z.infer<typeof inboundSms>;

// ---------------------------------------------------------------------------------------------
// hub -> world: gsmjobs/v1/events/<platform>/execution   (QoS 1, not retained)

/**
 * Hub-side execution states: the agent states plus the hub's own steps. `created` when a job
 * fires, `dispatched` when published to the site, `unacknowledged` when the agent never
 * accepted it before expiry. Remediation outcomes (recovered ...) arrive with issue 10 as
 * additional optional fields and states; subscribers must ignore values they do not know.
 */
export const executionState = z.enum([
  'created',
  'dispatched',
  'unacknowledged',
  ...agentState.options,
]);
export type ExecutionState = z.infer<typeof executionState>;

export const executionEvent = z.object({
  v: v1,
  type: z.literal('execution'),
  platform_id: platformId,
  execution_id: opaqueId,
  job_id: opaqueId,
  job_name: z.string(),
  site_id: siteId,
  device: z.object({ key_type: deviceKeyType, key: z.string().min(1), name: z.string().optional() }),
  /** The control device the SMS goes to. */
  control_device_id: opaqueId.optional(),
  state: executionState,
  at: isoTime,
  attempt: z.number().int().min(1).optional(),
  seq: z.number().int().min(0),
  reason: failureReason.optional(),
  message_refs: z.array(z.number().int()).optional(),
  /** Playbooks (issue 10): the step this event is about and the execution's progress. */
  step: z.number().int().min(0).optional(),
  step_type: z.enum(['send', 'wait', 'verify', 'notify']).optional(),
  /** What happened at the step (started, dispatched, waited, recovered, not_recovered, unknown, escalated, held, released, notified, finished, ...). */
  step_state: z.string().max(40).optional(),
  phase: z.enum(['armed', 'running', 'held', 'done']).optional(),
  outcome: z.enum(['recovered', 'not_recovered', 'unknown']).optional(),
  /** Time to recovery in seconds (outcome recovered). */
  ttr_s: z.number().min(0).optional(),
  escalated: z.boolean().optional(),
  incident_id: opaqueId.optional(),
});
export type ExecutionEvent = z.infer<typeof executionEvent>;

// hub -> world: gsmjobs/v1/events/<platform>/sms   (QoS 1, not retained)
export const smsEvent = inboundSms.extend({
  type: z.literal('sms'),
  /** The registered control device whose number sent it, if any. */
  control_device_id: opaqueId.optional(),
  /** The execution this message answers, when the hub could match it. */
  execution_id: opaqueId.optional(),
});
export type SmsEvent = z.infer<typeof smsEvent>;

// hub -> world: gsmjobs/v1/events/<platform>/site/<site>   (QoS 1, RETAINED)
export const siteEvent = agentStatus.extend({ type: z.literal('site') });
export type SiteEvent = z.infer<typeof siteEvent>;
