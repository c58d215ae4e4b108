// Issue 10 routes, each scoped to the caller's platform:
//   /remediation/settings      on-call list, notify site, device limit, SMS budget, correlation
//   /webhooks                  endpoints (the secret is shown once, on creation) + delivery log
//   /playbooks/dry-run         what a playbook would send to whom, without sending
//   /playbooks/templates/...   the "power-cycle and verify" template for SimPal sockets
//   /incidents                 correlated-failure incidents and the one-click release
//   /sms-queue                 per site: budget, use and the queue
//   /reports/*                 per device / job / site / fleet / day, JSON or CSV
import { randomBytes } from 'node:crypto';
import { Hono } from 'hono';
import { z } from 'zod';
import { newId } from '../model/ids.js';
import { publicWebhook, remediationSettings, remediationSettingsInput, type StoredWebhook, webhookInput, webhookPatch } from '../model/remediation.js';
import type { Execution } from '../model/execution.js';
import { byDevice, byJob, bySite, daily, fleet, recordOf, type RemediationRecord, type SmsRecord, toCsv, uptimeShare } from '../remediation/aggregates.js';
import { type Incident, openIncident } from '../remediation/correlation.js';
import { dryRun } from '../remediation/dryrun.js';
import { checkDevice, deviceKey, queueView } from '../remediation/guardrails.js';
import { powerCycleTemplate } from '../remediation/playbook.js';
import { validateWebhookUrl } from '../remediation/webhook.js';
import { validateJobInput } from '../jobs/service.js';
import { scope } from './auth.js';
import type { HubEnv } from './context.js';
import { ApiError, invalid, notFound, parseBody, parseQuery, parseWith, readJson } from './errors.js';

const settingsOf = (c: { get(k: 'deps'): HubEnv['Variables']['deps'] }, platformId: string) => {
  const deps = c.get('deps');
  return deps.store.remediationSettings(platformId, deps.remediationConfig.defaults);
};

export const rangeQuery = z.object({
  since: z.iso.datetime({ offset: true }).optional(),
  until: z.iso.datetime({ offset: true }).optional(),
  format: z.enum(['json', 'csv']).default('json'),
});

export const powerCycleInput = z
  .object({
    model: z.enum(['SIMPAL_D210', 'SIMPAL_D410']),
    site_id: z.string().min(1),
    control_device_id: z.string().min(1),
    off_min: z.number().int().min(1).max(999).optional(),
    long_off_min: z.number().int().min(1).max(999).optional(),
    boot_s: z.number().int().min(10).max(86400).optional(),
    line: z.union([z.literal(0), z.literal(1), z.literal(2)]).optional(),
    online_metric: z.string().optional(),
    notify: z.object({ sms: z.object({ site_id: z.string().min(1), to: z.union([z.literal('on_call'), z.array(z.string()).min(1)]) }).nullable(), webhooks: z.array(z.string()).max(10) }),
    lang: z.enum(['ru', 'en']).optional(),
  })
  .strict();

export const incidentListQuery = z.object({ status: z.enum(['open', 'released', 'expired']).optional() });
export const deliveriesQuery = z.object({ limit: z.coerce.number().int().min(1).max(500).default(50) });
export const playbookDryRunInput = z.object({ job: z.unknown().optional().describe('an unsaved job body (as POST /jobs)'), job_id: z.string().optional().describe('a stored job') });

const iso = (t: number | null | undefined) => (t === null || t === undefined ? null : new Date(t).toISOString());
/** An incident as the API shows it: times as ISO strings, the count of its devices. */
function incidentView(i: Incident) {
  return {
    ...i,
    opened_at: iso(i.opened_at),
    held: i.held.map((t) => ({ ...t, at: iso(t.at) })),
    released_at: iso(i.released_at),
    last_trip_at: iso(i.last_trip_at),
    expired_at: iso(i.expired_at),
    expired_reason: i.expired_reason ?? null,
    notified: i.notified ?? [],
    devices: new Set(i.held.map((t) => t.device_key)).size,
  };
}

/**
 * Remediation records and SMS records of a platform. Only finished executions are remediations
 * (a running or held one has no outcome yet and is not `cancelled`); the incident notifications
 * are not remediations. SMS count once they left the queue, whatever their execution's phase.
 */
function records(list: readonly Execution[]): { runs: RemediationRecord[]; sms: SmsRecord[] } {
  const runs: RemediationRecord[] = [];
  const sms: SmsRecord[] = [];
  for (const e of list) {
    if (e.run.phase === 'done' && e.trigger.reason !== 'incident') runs.push(recordOf(e));
    for (const m of e.messages) {
      if (m.state === 'queued') continue;
      sms.push({ platform_id: e.platform_id, site_id: m.site_id, at: Date.parse(m.dispatched_at ?? e.created_at), state: m.state, parts: m.parts ?? 1, kind: m.kind });
    }
  }
  return { runs, sms };
}

export function remediationApi(): Hono<HubEnv> {
  const app = new Hono<HubEnv>();

  // --- settings
  app.get('/remediation/settings', (c) => c.json(settingsOf(c, scope(c).id)));
  app.put('/remediation/settings', async (c) => {
    const platform = scope(c);
    const patch = await parseBody(c, remediationSettingsInput);
    const next = remediationSettings.parse({ ...settingsOf(c, platform.id), ...patch });
    if (next.notify_site_id !== null && !c.get('deps').store.site(platform.id, next.notify_site_id)) throw invalid([{ field: 'notify_site_id', message: `site ${next.notify_site_id} not found` }]);
    // An incident holds power-cycles and must reach someone: a correlation rule set by this call
    // (or a call that takes the last target away) needs the on-call SMS or an enabled webhook.
    const prev = settingsOf(c, platform.id);
    const rule = (s: typeof next) => s.correlation.min_count !== null || s.correlation.min_share !== null;
    const sms = (s: typeof next) => s.on_call.length > 0 && s.notify_site_id !== null;
    const webhookTarget = c.get('deps').store.webhooks(platform.id).some((w) => w.enabled);
    const setsRule = 'correlation' in patch && rule(next);
    const dropsTarget = sms(prev) && !sms(next);
    if (rule(next) && !sms(next) && !webhookTarget && (setsRule || dropsTarget)) {
      throw invalid([
        {
          field: 'correlation.min_count',
          message:
            'an incident must notify someone: set on_call and notify_site_id or add an enabled webhook first, or turn the rule off (min_count and min_share null) / инцидент должен кого-то оповестить: задайте on_call и notify_site_id или включите вебхук, либо отключите правило',
        },
      ]);
    }
    await c.get('deps').store.putRemediationSettings(platform.id, next);
    return c.json(next);
  });

  // --- webhooks
  const urlPolicy = (c: { get(k: 'deps'): HubEnv['Variables']['deps'] }) => {
    const w = c.get('deps').remediationConfig.webhooks;
    return { allow_loopback: w.allow_loopback, allow_private: w.allow_private };
  };
  const mine = (c: Parameters<typeof scope>[0]): StoredWebhook => {
    const w = c.get('deps').store.webhook(c.req.param('id') ?? '');
    if (!w || w.platform_id !== scope(c).id) throw notFound('webhook');
    return w;
  };
  app.get('/webhooks', (c) => c.json({ items: c.get('deps').store.webhooks(scope(c).id).map(publicWebhook) }));
  app.post('/webhooks', async (c) => {
    const platform = scope(c);
    const body = await parseBody(c, webhookInput);
    const url = validateWebhookUrl(body.url, urlPolicy(c));
    if (!url.ok) throw invalid([{ field: url.field, message: url.message }]);
    const deps = c.get('deps');
    const w: StoredWebhook = { id: newId(deps.now()), platform_id: platform.id, url: url.url, secret: body.secret ?? randomBytes(24).toString('base64url'), enabled: body.enabled, created_at: new Date(deps.now()).toISOString() };
    await deps.store.putWebhook(w);
    return c.json({ ...publicWebhook(w), secret: w.secret }, 201);
  });
  app.get('/webhooks/:id', (c) => c.json(publicWebhook(mine(c))));
  app.patch('/webhooks/:id', async (c) => {
    const w = mine(c);
    const patch = await parseBody(c, webhookPatch);
    if (patch.url !== undefined) {
      const url = validateWebhookUrl(patch.url, urlPolicy(c));
      if (!url.ok) throw invalid([{ field: url.field, message: url.message }]);
      patch.url = url.url;
    }
    const next = { ...w, ...patch };
    await c.get('deps').store.putWebhook(next);
    return c.json(publicWebhook(next));
  });
  app.delete('/webhooks/:id', async (c) => {
    const w = mine(c);
    const used = c.get('deps').store.jobs(w.platform_id).filter((j) => j.steps.some((s) => s.type === 'notify' && s.webhooks.includes(w.id)));
    if (used.length) throw new ApiError(409, 'in_use', `webhook is used by ${used.length} job(s): ${used.slice(0, 5).map((j) => j.name).join(', ')}`);
    await c.get('deps').store.deleteWebhook(w.id);
    return c.body(null, 204);
  });
  app.get('/webhooks/:id/deliveries', (c) => {
    const w = mine(c);
    const { limit } = parseQuery(c, deliveriesQuery);
    const items = c.get('deps').store.deliveries(w.platform_id).filter((d) => d.endpoint_id === w.id).sort((a, b) => b.created_at - a.created_at).slice(0, limit);
    return c.json({ items });
  });

  // --- playbooks
  app.post('/playbooks/templates/power-cycle', async (c) => {
    const body = await parseBody(c, powerCycleInput);
    try {
      return c.json({ steps: powerCycleTemplate(body) });
    } catch (err) {
      if (err instanceof z.ZodError) throw invalid(err.issues.map((i) => ({ field: `steps[${i.path.join('.')}]`, message: i.message })));
      throw err;
    }
  });
  app.post('/playbooks/dry-run', async (c) => {
    const platform = scope(c);
    const deps = c.get('deps');
    const body = parseWith(playbookDryRunInput, await readJson(c));
    let input;
    let jobId = 'unsaved';
    if (body.job_id !== undefined) {
      const j = deps.store.job(body.job_id);
      if (!j || j.platform_id !== platform.id) throw notFound('job');
      input = j;
      jobId = j.id;
    } else {
      const v = validateJobInput(body.job, platform.id, deps.store, deps.catalogs);
      if (!v.ok) throw invalid(v.issues.map((i) => ({ ...i, field: `job.${i.field}` })));
      input = v.input;
    }
    const now = deps.now();
    const settings = settingsOf(c, platform.id);
    const key = deviceKey(platform.id, `${input.device.key_type}=${input.device.key}`);
    const incident = openIncident(deps.store.correlation, platform.id);
    const values = Object.fromEntries(input.conditions.map((x) => [x.metric, deps.store.job(jobId) ? (deps.lastValues(jobId)?.[x.metric] ?? null) : null]));
    const result = dryRun(input.steps, {
      platform_id: platform.id,
      job_id: jobId,
      job: { name: input.name ?? '', device: input.device, conditions: input.conditions },
      values,
      controlDevices: new Map(deps.store.controlDevices(platform.id).map((d) => [d.id, d])),
      catalogs: deps.catalogs,
      onCall: settings.on_call.map((o) => o.phone),
      endpoints: new Map(deps.store.webhooks(platform.id).map((w) => [w.id, w])),
      urlPolicy: urlPolicy(c),
      device_check: checkDevice(deps.store.deviceHistory, key, now, settings.device_limit),
      ...(incident ? { incident } : {}),
      now,
    });
    return c.json(result);
  });

  // --- incidents
  app.get('/incidents', (c) => {
    const platform = scope(c);
    const { status } = parseQuery(c, incidentListQuery);
    const items = c
      .get('deps')
      .store.correlation.incidents.filter((i) => i.platform_id === platform.id && (status === undefined || i.status === status))
      .sort((a, b) => b.opened_at - a.opened_at)
      .map(incidentView);
    return c.json({ items });
  });
  app.post('/incidents/:id/release', async (c) => {
    const platform = scope(c);
    const deps = c.get('deps');
    if (!deps.remediation) throw new ApiError(503, 'unavailable', 'remediation is not running');
    const auth = c.get('auth');
    const by = auth.admin ? 'admin' : 'platform token';
    const r = await deps.remediation.release(platform.id, c.req.param('id'), by);
    if (!r.ok) throw new ApiError(r.status, r.status === 404 ? 'not_found' : 'conflict', r.message);
    const incident = deps.store.correlation.incidents.find((i) => i.id === c.req.param('id'));
    return c.json({ incident: incident ? incidentView(incident) : null, resumed: r.resumed });
  });

  // --- SMS queue
  app.get('/sms-queue', (c) => {
    const platform = scope(c);
    const deps = c.get('deps');
    const cfg = settingsOf(c, platform.id).sms_budget;
    const now = deps.now();
    const views = queueView(deps.store.budget(platform.id), now, cfg);
    const known = new Set(views.map((v) => v.site_id));
    for (const s of deps.store.sites(platform.id)) if (!known.has(s.id)) views.push({ site_id: s.id, budget_per_hour: cfg.sites[s.id] ?? cfg.per_hour, sent_last_hour: 0, queued: 0, next_slot_at: null, items: [] });
    return c.json({ sites: views.sort((a, b) => a.site_id.localeCompare(b.site_id)).map((v) => ({ ...v, next_slot_at: v.next_slot_at === null ? null : new Date(v.next_slot_at).toISOString() })) });
  });

  // --- reports: one route per report over the platform's executions in the asked range
  interface ReportInput {
    platformId: string;
    deps: HubEnv['Variables']['deps'];
    runs: RemediationRecord[];
    sms: SmsRecord[];
    range: { since?: number; until?: number };
  }
  const report = <R extends object>(name: string, build: (x: ReportInput) => R[], columns: ReadonlyArray<keyof R & string>, json: (rows: R[]) => object = (items) => ({ items })) =>
    app.get(`/reports/${name}`, (c) => {
      const platform = scope(c);
      const deps = c.get('deps');
      const q = parseQuery(c, rangeQuery);
      const range = { ...(q.since ? { since: Date.parse(q.since) } : {}), ...(q.until ? { until: Date.parse(q.until) } : {}) };
      const rows = build({ platformId: platform.id, deps, range, ...records(deps.store.executionList(platform.id)) });
      if (q.format === 'csv') {
        c.header('Content-Type', 'text/csv; charset=utf-8');
        c.header('Content-Disposition', `attachment; filename="gsmjobs-${platform.id}-${name}.csv"`);
        return c.body(toCsv(rows, columns));
      }
      return c.json(json(rows));
    });
  const outcomeColumns = ['remediations', 'recovered', 'not_recovered', 'unknown', 'escalations', 'recovered_share', 'median_ttr_s'] as const;
  report('devices', (x) => byDevice(x.runs, x.range), ['platform_id', 'device_key', ...outcomeColumns]);
  report('jobs', (x) => byJob(x.runs, x.range), ['platform_id', 'job_id', 'job_name', ...outcomeColumns]);
  report('daily', (x) => daily(x.runs, x.range), ['day', 'recovered', 'not_recovered', 'unknown', 'escalated', 'cancelled']);
  report('fleet', (x) => [fleet(x.runs, x.range)], outcomeColumns, ([stats]) => ({ stats }));
  // Every site of the platform, with its modem uptime over the range (default: the last 7 days).
  report(
    'sites',
    ({ platformId, deps, sms, range }) => {
      const now = deps.now();
      const stats = new Map(bySite(sms, range).map((s) => [s.site_id, s]));
      const from = range.since ?? now - 7 * 86400_000;
      const to = Math.min(range.until ?? now, now);
      return deps.store.sites(platformId).map((site) => ({
        ...(stats.get(site.id) ?? { platform_id: platformId, site_id: site.id, sms_sent: 0, sms_parts: 0, sms_failed: 0, failure_share: null, commands: 0, notifications: 0 }),
        modem_uptime_share: uptimeShare(deps.store.uptimeMarks(platformId, site.id), from, to),
      }));
    },
    ['platform_id', 'site_id', 'sms_sent', 'sms_parts', 'sms_failed', 'failure_share', 'commands', 'notifications', 'modem_uptime_share'],
  );

  return app;
}
