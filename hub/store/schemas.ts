// What each stored document must look like, from the model schemas (issue 15): a document that
// fails stops the hub at start (exit 2) with the file, the record and the field named, and is
// never rewritten. The data kept in memory is the file's own (not zod's output), so loading
// changes nothing; the check only refuses.
import { z } from 'zod';
import { controlDevice, platform, site } from '../model/entities.js';
import { execution } from '../model/execution.js';
import { jobRuntime, job } from '../model/job.js';
import { remediationSettings } from '../model/remediation.js';
import { deliveryRecord } from '../model/delivery.js';

/** A stored document failed its schema, or is not JSON, or not an object. */
export class StoreLoadError extends Error {
  constructor(
    readonly file: string,
    /** `<section> <id>` of the first bad record (e.g. `jobs abc`), or null for the whole file. */
    readonly record: string | null,
    /** The field path inside the record, or null. */
    readonly field: string | null,
    detail: string,
  ) {
    super(`${file}: ${record ? `${record}: ` : ''}${field ? `${field}: ` : ''}${detail} (the file is left as it is; fix or restore it, then start again)`);
    this.name = 'StoreLoadError';
  }
}

const version = z.number().int().min(1);
const records = <T extends z.ZodType>(s: T) => z.record(z.string(), s);
/** A record as the store port's lowdb adapter writes it: with its `version` (ETag). */
const versioned = <T extends z.ZodObject>(s: T) => s.extend({ version: version.optional() });

const storedWebhook = versioned(z.object({ id: z.string(), platform_id: z.string(), url: z.string(), secret: z.string(), enabled: z.boolean(), created_at: z.string() }));

export const definitionsDocument = z.object({
  version,
  platforms: records(versioned(platform)),
  sites: records(versioned(site)),
  control_devices: records(versioned(controlDevice)),
  jobs: records(versioned(job)),
  remediation: records(remediationSettings),
  webhooks: records(storedWebhook),
  /** Idempotency-Key records written with their jobs (lowdb-idempotency.ts). */
  idempotency: records(records(z.object({ key: z.string(), request_hash: z.string(), status: z.number().int(), body: z.unknown(), created_at: z.number() }))).optional(),
});

export const runtimeDocument = z.object({ version, jobs: records(jobRuntime) });

export const inboundRecord = z.object({
  id: z.string(),
  platform_id: z.string(),
  site_id: z.string(),
  from: z.string(),
  text: z.string(),
  received_at: z.string(),
  control_device_id: z.string().nullable(),
  execution_id: z.string().nullable(),
});

/** A stored execution; those migrated from v1 (before playbooks) have an empty playbook. */
const storedExecution = execution.extend({ playbook: z.union([z.tuple([]), execution.shape.playbook]), version: version.optional() });

export const executionsDocument = z.object({
  version,
  executions: records(storedExecution),
  inbound: z.array(inboundRecord),
  firings: records(jobRuntime).optional(),
});

const trip = z.object({ execution_id: z.string(), device_key: z.string(), at: z.number() });
const queuedSms = z.object({ key: z.string(), site_id: z.string(), to: z.string(), parts: z.number(), priority: z.number(), queued_at: z.number(), label: z.string() });

export const remediationDocument = z.object({
  version,
  history: records(z.array(z.number())),
  budget: records(z.object({ sent: records(z.array(z.number())), queue: z.array(queuedSms) })),
  correlation: z.object({
    recent: records(z.array(trip)),
    incidents: z.array(
      z.object({
        id: z.string(),
        platform_id: z.string(),
        opened_at: z.number(),
        held: z.array(trip),
        fleet: z.number(),
        rule: z.string(),
        status: z.enum(['open', 'released']),
        released_at: z.number().nullable(),
        released_by: z.string().nullable(),
      }),
    ),
  }),
  deliveries: z.array(deliveryRecord),
  uptime: records(z.array(z.object({ at: z.number(), up: z.boolean() }))).optional(),
});

/**
 * Check a document (after migration); throws StoreLoadError naming the first bad record and
 * field. Sections keyed by id name the id (`jobs "j1"`); lists name the index.
 */
export function checkDocument(file: string, schema: z.ZodType, data: unknown): void {
  const r = schema.safeParse(data);
  if (r.success) return;
  const issue = r.error.issues[0] as z.core.$ZodIssue;
  const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
  const [section, id, ...rest] = path;
  const record = section === undefined ? null : id === undefined ? String(section) : `${String(section)} ${typeof id === 'number' ? `[${id}]` : JSON.stringify(id)}`;
  const field = rest.length ? rest.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.').replace(/\.\[/g, '[') : null;
  const more = r.error.issues.length > 1 ? ` (and ${r.error.issues.length - 1} more problem${r.error.issues.length > 2 ? 's' : ''})` : '';
  throw new StoreLoadError(file, record, field, `${issue.message}${more}`);
}
