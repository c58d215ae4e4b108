// Issue 10 routes, each scoped to the caller's platform:
//   /remediation/settings      on-call list, notify site, device limit, SMS budget, correlation
//   (/webhooks: webhooks.ts)
//   /playbooks/dry-run         what a playbook would send to whom, without sending
//   /playbooks/templates/...   the "power-cycle and verify" template for SimPal sockets
//   /incidents                 correlated-failure incidents and the one-click release
//   /sms-queue                 per site: budget, use and the queue
//   /reports/*                 per device / job / site / fleet / day, JSON or CSV
import { platformZone } from './zone.js';
import type { Context } from 'hono';
import { Hono } from 'hono';
import { z } from 'zod';
import { type RemediationSettings, remediationSettings, remediationSettingsInput, settingsVersion } from '../model/remediation.js';
import type { Execution } from '../model/execution.js';
import { CARRIER_CSV_COLUMNS, carrierCsvRows, modemReadings, platformCost, siteCost } from '../remediation/carriers.js';
import { byDevice, byJob, bySite, daily, fleet, recordOf, type RemediationRecord, type SmsRecord, toCsv, uptimeShare } from '../remediation/aggregates.js';
import type { Incident } from '../remediation/correlation.js';
import { dryRun } from '../remediation/dryrun.js';
import { checkDevice, deviceKey, queueView } from '../remediation/guardrails.js';
import { powerCycleTemplate } from '../remediation/playbook.js';
import { validateJobInput } from '../jobs/service.js';
import { scopeOf } from '../store/port.js';
import { scope } from './auth.js';
import type { HubEnv } from './context.js';
import { ApiError, invalid, missingRef, notFound, parseBody, parseQuery, parseWith, readJson } from './errors.js';
import { classifyZod } from './issue-codes.js';
import { expectVersion, guarded, setEtag } from './versions.js';

type Ctx = Context<HubEnv>;
/** Every execution of a platform (reports). */
const ALL = 1_000_000_000;

const settingsOf = async (c: Ctx, platformId: string): Promise<RemediationSettings> => {
  const deps = c.get('deps');
  return (await deps.port.remediation.settings(scopeOf(platformId))) ?? remediationSettings.parse(deps.remediationConfig.defaults);
};

export { settingsVersion };
const settingsView = (s: RemediationSettings) => ({ ...s, version: settingsVersion(s) });

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
export { deliveriesQuery } from './webhooks.js';
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
      sms.push({ platform_id: e.platform_id, site_id: m.site_id, at: Date.parse(m.dispatched_at ?? e.created_at), state: m.state, parts: m.parts ?? 1, kind: m.kind, ...(m.modem ? { modem: m.modem } : {}) });
    }
  }
  return { runs, sms };
}

export function remediationApi(): Hono<HubEnv> {
  const app = new Hono<HubEnv>();

  // --- settings
  app.get('/remediation/settings', async (c) => {
    const s = await settingsOf(c, (await scope(c)).id);
    setEtag(c, settingsVersion(s));
    return c.json(settingsView(s));
  });
  app.put('/remediation/settings', async (c) => {
    const platform = await scope(c);
    const port = c.get('deps').port;
    const sc = scopeOf(platform.id);
    const prev = await settingsOf(c, platform.id);
    // The If-Match version is checked here for a quick answer and again inside the write (the
    // store's ifVersion), so of two concurrent PUTs with the same version exactly one wins.
    const ifVersion = expectVersion(c, settingsView(prev), (v) => v, 'settings');
    const patch = await parseBody(c, remediationSettingsInput);
    const next = remediationSettings.parse({ ...prev, ...patch });
    if (next.notify_site_id !== null && !(await port.sites.get(sc, next.notify_site_id))) throw invalid([missingRef('notify_site_id', 'site', next.notify_site_id)]);
    // An incident holds power-cycles and must reach someone: a correlation rule set by this call
    // (or a call that takes the last target away) needs the on-call SMS or an enabled webhook.
    const rule = (s: typeof next) => s.correlation.min_count !== null || s.correlation.min_share !== null;
    const sms = (s: typeof next) => s.on_call.length > 0 && s.notify_site_id !== null;
    const webhookTarget = (await port.webhooks.list(sc)).some((w) => w.enabled);
    const setsRule = 'correlation' in patch && rule(next);
    const dropsTarget = sms(prev) && !sms(next);
    if (rule(next) && !sms(next) && !webhookTarget && (setsRule || dropsTarget)) {
      throw invalid([
        {
          field: 'correlation.min_count',
          code: 'incident_needs_target',
          params: {},
          message:
            'an incident must notify someone: set on_call and notify_site_id or add an enabled webhook first, or turn the rule off (min_count and min_share null) / инцидент должен кого-то оповестить: задайте on_call и notify_site_id или включите вебхук, либо отключите правило',
        },
      ]);
    }
    const defaults = remediationSettings.parse(c.get('deps').remediationConfig.defaults);
    await guarded(
      () => port.remediation.putSettings(sc, next, ifVersion === undefined ? undefined : { ifVersion, defaults }),
      async () => settingsView(await settingsOf(c, platform.id)),
      (v) => v,
      'settings',
    );
    setEtag(c, settingsVersion(next));
    return c.json(settingsView(next));
  });

  // --- playbooks
  app.post('/playbooks/templates/power-cycle', async (c) => {
    const body = await parseBody(c, powerCycleInput);
    try {
      return c.json({ steps: powerCycleTemplate(body) });
    } catch (err) {
      if (err instanceof z.ZodError) throw invalid(err.issues.map((i) => ({ field: `steps[${i.path.join('.')}]`, message: i.message, ...classifyZod(i) })));
      throw err;
    }
  });
  app.post('/playbooks/dry-run', async (c) => {
    const platform = await scope(c);
    const deps = c.get('deps');
    const sc = scopeOf(platform.id);
    const body = parseWith(playbookDryRunInput, await readJson(c));
    let input;
    let jobId = 'unsaved';
    if (body.job_id !== undefined) {
      const j = await deps.port.jobs.get(sc, body.job_id);
      if (!j) throw notFound('job');
      input = j;
      jobId = j.id;
    } else {
      const v = await validateJobInput(body.job, platform.id, deps.port, deps.catalogs);
      if (!v.ok) throw invalid(v.issues.map((i) => ({ ...i, field: `job.${i.field}` })));
      input = v.input;
    }
    const now = deps.now();
    const settings = await settingsOf(c, platform.id);
    const key = deviceKey(platform.id, `${input.device.key_type}=${input.device.key}`);
    const state = await deps.port.remediation.state(sc);
    const incident = state.incidents.find((i) => i.status === 'open');
    const stored = jobId !== 'unsaved' && (await deps.port.jobs.get(sc, jobId)) !== undefined;
    const values = Object.fromEntries(input.conditions.map((x) => [x.metric, stored ? (deps.lastValues(jobId)?.[x.metric] ?? null) : null]));
    const result = dryRun(input.steps, {
      platform_id: platform.id,
      job_id: jobId,
      job: { name: input.name ?? '', device: input.device, conditions: input.conditions },
      values,
      controlDevices: new Map((await deps.port.controlDevices.list(sc)).map((d) => [d.id, d])),
      catalogs: deps.catalogs,
      onCall: settings.on_call.map((o) => o.phone),
      endpoints: new Map((await deps.port.webhooks.list(sc)).map((w) => [w.id, w])),
      urlPolicy: { allow_loopback: deps.remediationConfig.webhooks.allow_loopback, allow_private: deps.remediationConfig.webhooks.allow_private },
      device_check: checkDevice(state.history, key, now, settings.device_limit),
      ...(incident ? { incident } : {}),
      now,
    });
    return c.json(result);
  });

  // --- incidents
  app.get('/incidents', async (c) => {
    const platform = await scope(c);
    const { status } = parseQuery(c, incidentListQuery);
    const items = (await c.get('deps').port.remediation.state(scopeOf(platform.id))).incidents
      .filter((i) => i.platform_id === platform.id && (status === undefined || i.status === status))
      .sort((a, b) => b.opened_at - a.opened_at)
      .map(incidentView);
    return c.json({ items });
  });
  app.post('/incidents/:id/release', async (c) => {
    const platform = await scope(c);
    const deps = c.get('deps');
    if (!deps.remediation) throw new ApiError(503, 'unavailable', 'remediation is not running');
    const auth = c.get('auth');
    const by = auth.admin ? 'admin' : 'platform token';
    const r = await deps.remediation.release(platform.id, c.req.param('id'), by);
    if (!r.ok) throw new ApiError(r.status, r.status === 404 ? 'not_found' : 'conflict', r.message);
    const incident = (await deps.port.remediation.state(scopeOf(platform.id))).incidents.find((i) => i.id === c.req.param('id'));
    return c.json({ incident: incident ? incidentView(incident) : null, resumed: r.resumed });
  });

  // --- SMS queue
  app.get('/sms-queue', async (c) => {
    const platform = await scope(c);
    const deps = c.get('deps');
    const sc = scopeOf(platform.id);
    const cfg = (await settingsOf(c, platform.id)).sms_budget;
    const now = deps.now();
    const views = queueView((await deps.port.remediation.state(sc)).budget, now, cfg);
    const known = new Set(views.map((v) => v.site_id));
    for (const s of await deps.port.sites.list(sc)) if (!known.has(s.id)) views.push({ site_id: s.id, budget_per_hour: cfg.sites[s.id] ?? cfg.per_hour, sent_last_hour: 0, queued: 0, next_slot_at: null, items: [] });
    return c.json({ sites: views.sort((a, b) => a.site_id.localeCompare(b.site_id)).map((v) => ({ ...v, next_slot_at: v.next_slot_at === null ? null : new Date(v.next_slot_at).toISOString() })) });
  });

  // --- reports: one route per report over the platform's executions in the asked range
  interface ReportInput {
    platformId: string;
    deps: HubEnv['Variables']['deps'];
    runs: RemediationRecord[];
    sms: SmsRecord[];
    range: { since?: number; until?: number };
    /** The platform's time zone (issue 17): the daily report counts its calendar days. */
    zone: string;
  }
  const report = <R extends object>(name: string, build: (x: ReportInput) => R[] | Promise<R[]>, columns: ReadonlyArray<keyof R & string>, json: (rows: R[]) => object = (items) => ({ items })) =>
    app.get(`/reports/${name}`, async (c) => {
      const platform = await scope(c);
      const deps = c.get('deps');
      const q = parseQuery(c, rangeQuery);
      const range = { ...(q.since ? { since: Date.parse(q.since) } : {}), ...(q.until ? { until: Date.parse(q.until) } : {}) };
      const all = await deps.port.executions.list(scopeOf(platform.id), { limit: ALL, offset: 0 });
      const rows = await build({ platformId: platform.id, deps, range, zone: await platformZone(deps, platform.id), ...records(all.items) });
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
  report('daily', (x) => daily(x.runs, x.range, x.zone), ['day', 'recovered', 'not_recovered', 'unknown', 'escalated', 'cancelled']);
  report('fleet', (x) => [fleet(x.runs, x.range)], outcomeColumns, ([stats]) => ({ stats }));
  // Every site of the platform, with its modem uptime over the range (default: the last 7 days).
  report(
    'sites',
    async ({ platformId, deps, sms, range }) => {
      const now = deps.now();
      const stats = new Map(bySite(sms, range).map((s) => [s.site_id, s]));
      const from = range.since ?? now - 7 * 86400_000;
      const to = Math.min(range.until ?? now, now);
      const sc = scopeOf(platformId);
      const sites = await deps.port.sites.list(sc);
      return Promise.all(
        sites.map(async (site) => ({
          ...(stats.get(site.id) ?? { platform_id: platformId, site_id: site.id, sms_sent: 0, sms_parts: 0, sms_failed: 0, failure_share: null, commands: 0, notifications: 0 }),
          modem_uptime_share: uptimeShare(await deps.port.remediation.uptimeMarks(sc, site.id), from, to),
        })),
      );
    },
    ['platform_id', 'site_id', 'sms_sent', 'sms_parts', 'sms_failed', 'failure_share', 'commands', 'notifications', 'modem_uptime_share'],
  );
  // Issue 19: per site the parts per modem and a daily cost estimate from the modems' live prices
  // (hub/remediation/carriers.ts); default range: the last 30 days. CSV: one row per modem.
  app.get('/reports/carriers', async (c) => {
    const platform = await scope(c);
    const deps = c.get('deps');
    const q = parseQuery(c, rangeQuery);
    const now = deps.now();
    const range = { since: q.since ? Date.parse(q.since) : now - 30 * 86400_000, until: q.until ? Date.parse(q.until) : now };
    const sc = scopeOf(platform.id);
    const { sms } = records((await deps.port.executions.list(sc, { limit: ALL, offset: 0 })).items);
    const items = (await deps.port.sites.list(sc)).map((s) => siteCost(platform.id, s.id, sms, modemReadings(deps.site(platform.id, s.id)?.status), range, now));
    if (q.format === 'csv') {
      c.header('Content-Type', 'text/csv; charset=utf-8');
      c.header('Content-Disposition', `attachment; filename="gsmjobs-${platform.id}-carriers.csv"`);
      return c.body(toCsv(carrierCsvRows(items), CARRIER_CSV_COLUMNS));
    }
    return c.json({ items, platform: platformCost(platform.id, items) });
  });

  return app;
}
