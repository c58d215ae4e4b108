// The hub's composition root: builds every part from the config and wires them. Constructors
// only assign; start() opens the store, the broker, the MQTT client, the HTTP server and the
// poller; stop() closes them in reverse order.
import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Hono } from 'hono';
import { type Clock, systemClock } from './common/clock.js';
import { usernames } from './common/contract/index.js';
import { createLogger, type Logger } from './common/log.js';
import { createRegistry } from './common/metrics.js';
import { registerBuildInfo } from './common/build-info.js';
import { createReloadMetrics, type ReloadMetrics } from './common/reload-metrics.js';
import { createApp } from './api/app.js';
import { SERVER_OPTIONS } from './api/body-limit.js';
import type { ApiDeps, HubEnv } from './api/context.js';
import { loadCatalogs } from './catalog/catalog.js';
import type { HubConfig } from './config.js';
import { Dispatcher } from './dispatch/dispatcher.js';
import { housekeepingTask } from './dispatch/housekeeping.js';
import { createRouteMetrics } from './dispatch/route-metrics.js';
import { newId } from './model/ids.js';
import { InboundHandler } from './dispatch/inbound.js';
import { SiteMonitor } from './dispatch/sites.js';
import type { OnRejected } from './dispatch/refusals.js';
import { JobPublisher } from './dispatch/publisher.js';
import { siteMessageHandler } from './dispatch/site-messages.js';
import { createHubMetrics } from './metrics.js';
import { modemReadings } from './remediation/carriers.js';
import { EmbeddedBroker } from './mqtt/broker.js';
import { HubMqtt } from './mqtt/adapter.js';
import { hashToken } from './mqtt/passwords.js';
import { Poller } from './poller/poller.js';
import { PeriodicTask } from './poller/task.js';
import { ExtraCycleGate } from './poller/coalesce.js';
import { registerSampleMetrics } from './poller/sample-checks.js';
import { PrometheusClient } from './prometheus/client.js';
import { DeviceDirectory } from './prometheus/devices.js';
import type { HubStore } from './store/store.js';
import type { LeaderStore } from './store/leader-store.js';
import type { StorePort } from './store/port.js';
import { buildStores, closeStores, type HubStores, openStores, storeGate } from './store/select.js';
import type { ApiWorkingSet } from './store/working-set-api.js';
import { PlaybookEngine } from './remediation/engine.js';
import { WebhookSender } from './remediation/sender.js';
import { RemediationService } from './remediation/service.js';
import { metricOutcome, recordOf } from './remediation/aggregates.js';
import { openIncident } from './remediation/correlation.js';
import type { RemediationSettings } from './model/remediation.js';
import type { Execution } from './model/execution.js';
import { LeaderRole } from './leader/role.js';
import { hubClientId, hubIdOf } from './leader/identity.js';
import { leaderOnly } from './leader/api-guard.js';

export interface HubOptions {
  clock?: Clock;
  log?: Logger;
  /** Mount extra routes (the web form) on the app before it serves. */
  extend?: (app: Hono<HubEnv>, deps: ApiDeps) => void;
}

export class Hub {
  readonly log: Logger;
  readonly clock: Clock;
  /** The lowdb documents (lowdb mode; unused over PostgreSQL). */
  readonly store: HubStore;
  /** The one store port of the process (config `store`): lowdb over `store`, or PostgreSQL. */
  readonly port: StorePort;
  /** What the leader's parts read and write: the HubStore (lowdb) or the working set over the port (PostgreSQL). */
  readonly leader: LeaderStore;
  /** PostgreSQL mode: the leader's working set (setEpoch/reload for leadership). */
  readonly workingSet: ApiWorkingSet | null;
  private readonly stores: HubStores;
  /** PostgreSQL mode: unreachable at start, retrying (/healthz 503); null once loaded. */
  private storeFailure: { count: number; error: string | null } | null = null;
  /** Every hub bids for the lease; the leader alone runs the poller, re-sends, playbooks, webhooks (hub/leader/). */
  readonly leadership: LeaderRole;
  readonly registry = createRegistry({ defaultMetrics: true, prefix: 'gsmjobs_hub_' });
  readonly prometheus: PrometheusClient;
  readonly devices: DeviceDirectory;
  readonly broker: EmbeddedBroker | null;
  readonly mqtt: HubMqtt;
  readonly sites: SiteMonitor;
  readonly dispatcher: Dispatcher;
  readonly publisher: JobPublisher;
  readonly engine: PlaybookEngine;
  readonly remediation: RemediationService;
  readonly webhooks: WebhookSender;
  readonly inbound: InboundHandler;
  readonly poller: Poller;
  readonly pollTask: PeriodicTask;
  /** Job changes: at most one extra cycle per poll interval (hub/poller/coalesce.ts). */
  readonly extraCycles: ExtraCycleGate;
  readonly housekeeping: PeriodicTask;
  readonly app: Hono<HubEnv>;
  readonly metrics: ReturnType<typeof createHubMetrics>;
  /** gsmjobs_hub_config_last_reload_{successful,success_timestamp_seconds} (SIGHUP, hub/cli-reload.ts). */
  readonly reloadMetrics: ReloadMetrics;
  private server: ServerType | null = null;
  private mqttUp = false;
  /** Poll cycles that threw, in a row, and the last error (/healthz). */
  private cycleFailures = { count: 0, error: null as string | null };
  httpPort = 0;

  constructor(
    readonly config: HubConfig,
    options: HubOptions = {},
  ) {
    this.log = options.log ?? createLogger('hub', { secrets: config.admin_token ? [config.admin_token] : [] });
    this.clock = options.clock ?? systemClock;
    const now = () => this.clock.now();
    this.stores = buildStores(config, this.log);
    ({ store: this.store, port: this.port, leader: this.leader, workingSet: this.workingSet } = this.stores);
    const hubId = hubIdOf(config);
    const catalogs = loadCatalogs();
    // prom-client's gauges named *_total fail `promtool check metrics`; drop them.
    for (const m of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) this.registry.removeSingleMetric(`gsmjobs_hub_${m}`);
    this.metrics = createHubMetrics(this.registry, {
      jobStates: () => this.poller.jobStates(),
      mqttUp: () => this.mqttUp,
      sitesOnline: () => new Map(this.leader.platforms().map((p) => [p.id, this.sites.countOnline(p.id)])),
      prometheusUp: () => this.prometheusOk(),
      leadership: () => this.leadership.state,
      incidentsOpen: () => new Map(this.leader.platforms().map((p) => [p.id, openIncident(this.leader.correlation, p.id) ? 1 : 0])),
      smsQueued: () =>
        this.leader.platforms().flatMap((p) => {
          const counts = new Map<string, number>();
          for (const q of this.leader.budget(p.id).queue) counts.set(q.site_id, (counts.get(q.site_id) ?? 0) + 1);
          return [...counts].map(([site_id, n]) => ({ platform_id: p.id, site_id, n }));
        }),
      modems: () =>
        this.leader.platforms().flatMap((p) =>
          this.leader.sites(p.id).flatMap((site) => {
            const status = this.sites.get(p.id, site.id)?.status;
            const online = status?.state === 'online';
            return modemReadings(status).map((m) => ({ platform_id: p.id, site_id: site.id, modem: m.id, up: online && m.state === 'up', parts_today: m.parts_today, cost_today: m.cost_today, currency: m.currency }));
          }),
        ),
    });
    registerBuildInfo(this.registry, 'gsmjobs_hub');
    this.reloadMetrics = createReloadMetrics(this.registry, 'gsmjobs_hub', this.clock.now());
    this.prometheus = new PrometheusClient({
      timeoutMs: config.prometheus.timeout_ms,
      concurrency: config.prometheus.concurrency,
      onQuery: (ok) => this.metrics.queries.inc({ result: ok ? 'ok' : 'error' }),
    });
    this.devices = new DeviceDirectory(this.prometheus.query, now, Math.min(30_000, config.poll_interval_s * 1000));
    const hubPassword = config.mqtt.mode === 'embedded' ? randomBytes(24).toString('base64url') : config.mqtt.password;
    this.broker =
      config.mqtt.mode === 'embedded'
        ? new EmbeddedBroker({
            host: config.mqtt.host,
            port: config.mqtt.port,
            limits: config.mqtt.limits,
            knownLoginsFile: join(config.data_dir, 'mqtt-known-logins.json'),
            log: this.log.child('broker'),
            registry: this.registry,
            auth: { hub: { username: usernames.hub, password: hubPassword }, passwordHash: (u) => this.passwordHash(u) },
          })
        : null;
    this.mqtt = new HubMqtt({
      url: config.mqtt.mode === 'external' ? config.mqtt.url : () => this.broker?.url ?? '',
      username: config.mqtt.mode === 'external' ? config.mqtt.username : usernames.hub,
      password: hubPassword,
      clientId: hubClientId(hubId),
      log: this.log.child('mqtt'),
      onHandlerError: (kind) => this.metrics.handlerErrors.inc({ kind }),
      onUpChange: (up) => {
        this.mqttUp = up;
      },
    });
    // Refused site payloads, counted per platform (an unknown platform id is one label value, so
    // topics made up by a client cannot grow the label set).
    const onRejected: OnRejected = (ref, kind, reason) => this.metrics.mqttRejected.inc({ platform_id: this.leader.platform(ref.platform_id) ? ref.platform_id : 'unknown', kind, reason });
    this.publisher = new JobPublisher({ mqtt: this.mqtt, clock: this.clock, log: this.log.child('dispatch') });
    const settings = (platformId: string): RemediationSettings => this.leader.remediationSettings(platformId, config.remediation.defaults);
    const id = () => newId(this.clock.now());
    this.engine = new PlaybookEngine({
      store: this.leader,
      publisher: this.publisher,
      catalogs,
      clock: this.clock,
      log: this.log.child('playbook'),
      settings,
      newId: id,
      kickWebhooks: () => this.kickWebhooks(),
      onFinished: (e) => this.finished(e),
      onMessageState: (p, state) => this.metrics.executions.inc({ platform_id: p, state }),
      sendable: (p, s) => this.sites.sendable(p, s),
      onRoute: createRouteMetrics(this.registry),
    });
    this.dispatcher = new Dispatcher({
      store: this.leader,
      sink: this.engine,
      onRejected,
      clock: this.clock,
      log: this.log.child('dispatch'),
      isSiteOnline: (p, s) => this.sites.isOnline(p, s),
      resendAfterMs: config.resend_after_s * 1000,
      sendable: (p, s) => this.sites.sendable(p, s),
      leading: () => this.leadership.leading,
    });
    this.webhooks = new WebhookSender({
      store: {
        dueDeliveries: (t) => this.leader.dueDeliveries(t),
        putDelivery: (rec) => this.leader.putDelivery(rec),
        webhookEndpoint: (wid) => this.leader.webhook(wid),
      },
      policy: config.remediation.webhooks.retry,
      urlPolicy: { allow_loopback: config.remediation.webhooks.allow_loopback, allow_private: config.remediation.webhooks.allow_private },
      clock: this.clock,
      log: this.log.child('webhooks'),
      onResult: (rec) => this.metrics.webhookDeliveries.inc({ platform_id: rec.platform_id, status: rec.status }),
    });
    this.remediation = new RemediationService({
      store: this.leader,
      engine: this.engine,
      clock: this.clock,
      log: this.log.child('remediation'),
      settings,
      newId: id,
      settleMs: config.remediation.settle_s * 1000,
      lang: config.remediation.lang,
    });
    this.sites = new SiteMonitor({
      store: this.leader,
      mqtt: this.mqtt,
      log: this.log.child('sites'),
      now,
      onOnline: async (ref) => {
        if (this.leadership.leading) await this.dispatcher.resendPending(ref.platform_id, ref.site_id, true);
      },
      onRejected,
    });
    this.inbound = new InboundHandler({ store: this.leader, sink: this.engine, mqtt: this.mqtt, log: this.log.child('inbound'), now, maxPerPlatform: 1000, onRejected });
    this.mqtt.onSiteMessage(siteMessageHandler({ sites: this.sites, inbound: this.inbound, dispatcher: this.dispatcher, onRejected, log: this.log }));
    const cycleLog = this.log.child('poller');
    const sampleMetrics = registerSampleMetrics(this.registry);
    this.poller = new Poller({
      store: this.leader,
      query: this.prometheus.query,
      clock: this.clock,
      firer: this.remediation,
      verify: this.engine,
      log: cycleLog,
      hooks: {
        onCycle: (r) => {
          this.metrics.cycleDuration.observe(r.durationMs / 1000);
          cycleLog.debug('cycle done', { duration_ms: Math.round(r.durationMs), requests: r.requests, evaluated: r.evaluated, skipped: r.skipped, fired: r.fired, degraded: r.degraded });
          if (r.degraded) this.metrics.degraded.inc();
          for (const [platform_id, c] of Object.entries(r.samples ?? {})) {
            sampleMetrics.set(platform_id, c);
            if (c.stale_samples) cycleLog.warn('stale samples counted as no data', { platform_id, count: c.stale_samples, examples: c.stale_examples });
            if (c.duplicate_series) cycleLog.warn('duplicate series (the max is used)', { platform_id, count: c.duplicate_series, examples: c.duplicate_examples });
          }
          // Backup routes: commands not accepted in time move to their next site (issue 19).
          this.dispatcher.failover().catch((err: Error) => this.log.error('failover sweep failed', { error: err.message }));
          // Incidents end by themselves (hub/remediation/incident-expiry.ts).
          this.remediation.expireIncidents().catch((err: Error) => this.log.error('incident expiry failed', { error: err.message }));
        },
      },
    });
    this.extraCycles = new ExtraCycleGate(config.poll_interval_s * 1000);
    this.pollTask = new PeriodicTask({
      intervalMs: config.poll_interval_s * 1000,
      clock: this.clock,
      run: async (signal) => {
        await this.poller.cycle(signal);
        this.cycleFailures = { count: 0, error: null };
      },
      onError: (err) => {
        // Stopped: the cycle was cut short by stop(), the normal end of a run, not a failure.
        if (!this.pollTask.started) return this.log.info('cycle interrupted by stop', { reason: (err as Error).message });
        if (this.leadership.staleEpoch(err)) return;
        this.cycleFailures = { count: this.cycleFailures.count + 1, error: (err as Error).message };
        this.metrics.cycleFailures.inc();
        this.log.error('cycle failed', { error: (err as Error).message, in_a_row: this.cycleFailures.count });
      },
    });
    this.housekeeping = housekeepingTask({ dispatcher: this.dispatcher, store: this.leader, executions: config.executions, clock: this.clock, log: this.log, staleEpoch: (err) => this.leadership.staleEpoch(err) });
    // Several hubs: only the leader triggers, cancels and releases (one hub on lowdb always may).
    const apiRemediation = leaderOnly(this.remediation, ['fire', 'cancel', 'release'], () => !this.workingSet || this.leadership.leading);
    const deps: ApiDeps = {
      port: this.port,
      catalogs,
      adminTokenHash: config.admin_token ? hashToken(config.admin_token) : null,
      now,
      query: this.prometheus.query,
      devices: this.devices,
      firer: apiRemediation,
      remediation: apiRemediation,
      remediationConfig: config.remediation,
      lastValues: (id) => this.poller.lastValues.get(id),
      lastCycle: () => this.poller.lastReport,
      site: (p, s) => this.sites.get(p, s),
      health: { mqttUp: () => this.mqttUp, prometheusOk: () => this.prometheusOk(), cycleFailures: () => this.storeFailure ?? (this.leadership.leading ? this.cycleFailures : { count: 0, error: null }), leadership: () => this.leadership.state },
      registry: this.registry,
      // A job created, changed, enabled or deleted is evaluated within a second, not at the next
      // poll (up to poll_interval_s later), once per poll interval; a deleted job's last values
      // are dropped at once.
      onJobsChanged: (job, deleted) => {
        // A deleted job's runtime is forgotten (the API calls this after the delete is committed).
        if (deleted) this.poller.forget(job.id);
        // At most one extra cycle per poll interval, however many jobs change (an import).
        const delay = this.extraCycles.request(this.clock.now(), this.pollTask.nextRunAt);
        if (delay !== null) this.pollTask.soon(delay);
      },
      onSiteDeleted: async (platform_id, site_id) => {
        await this.sites.forget({ platform_id, site_id }).catch((err: Error) => this.log.warn('retained site messages not cleared', { platform_id, site_id, error: err.message }));
      },
    };
    const { engine, remediation, webhooks, pollTask, housekeeping, mqtt, metrics, workingSet } = this;
    this.leadership = new LeaderRole({ hubId, log: this.log.child('leader'), now, engine, remediation, webhooks, pollTask, housekeeping, mqtt, workingSet, metrics });
    // A fenced write refused anywhere (engine, webhook sender, poller) is counted once and deposes.
    if (workingSet) workingSet.onStaleEpoch = (err) => void this.leadership.staleEpoch(err);
    this.app = createApp(deps);
    options.extend?.(this.app, deps);
  }

  private kickWebhooks(): void {
    this.webhooks.kick();
  }

  private finished(e: Execution): void {
    if (e.trigger.reason === 'incident') return;
    const r = recordOf(e);
    // A playbook without a verify step judged nothing: counted as `none` (issue 17).
    this.metrics.remediations.inc({ platform_id: e.platform_id, outcome: metricOutcome(r) ?? 'none' });
    if (r.outcome === 'recovered' && r.ttr_ms !== null) this.metrics.ttr.observe({ platform_id: e.platform_id }, r.ttr_ms / 1000);
  }

  private passwordHash(username: string): string | null {
    const parts = username.split('/');
    if (parts[0] === 'site' && parts.length === 3) return this.leader.site(parts[1] as string, parts[2] as string)?.mqtt_password ?? null;
    if (parts[0] === 'events' && parts.length === 2) return this.leader.platform(parts[1] as string)?.events_password ?? null;
    return null;
  }

  private prometheusOk(): boolean {
    const r = this.poller.lastReport;
    return r !== null && !r.degraded;
  }

  async start(signal?: AbortSignal): Promise<void> {
    if (this.workingSet) {
      // PostgreSQL: serve /healthz (503 while the store is unreachable) before waiting for it.
      this.storeFailure = { count: 0, error: 'starting' };
      await this.serveHttp();
    }
    await openStores(this.stores, this.log, (f) => (this.storeFailure = f && { count: Math.max(2, f.attempt), error: `store unreachable: ${f.error}` }), signal);
    const defs = this.workingSet ?? this.store;
    for (const p of this.config.platforms) {
      const existing = defs.platform(p.id);
      await defs.putPlatform({ tokens: [], events_password: null, created_at: new Date(this.clock.now()).toISOString(), ...existing, ...p });
    }
    await this.broker?.start();
    await this.mqtt.start(signal);
    // lowdb: this hub wins at once (in-process lease); PostgreSQL: it may follow and bid every 2 s.
    await this.leadership.start(this.port);
    if (!this.server) await this.serveHttp();
    this.log.info('hub started', { http: `http://${this.config.http.host}:${this.httpPort}`, mqtt: this.broker ? this.broker.url : 'external', hub_id: this.leadership.hubId, leader: this.leadership.leading });
  }

  private async serveHttp(): Promise<void> {
    const fetch = storeGate((req: Request, env?: unknown) => this.app.fetch(req, env as never), () => this.storeFailure !== null);
    this.server = await new Promise<ServerType>((resolve, reject) => {
      const s = serve({ fetch, hostname: this.config.http.host, port: this.config.http.port, serverOptions: SERVER_OPTIONS }, () => {
        s.off('error', reject);
        resolve(s);
      });
      s.once('error', reject);
    });
    this.httpPort = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    await this.leadership.stop();
    await this.pollTask.stop();
    await this.housekeeping.stop();
    this.dispatcher.stop();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((r) => server.close(() => r()));
    await this.engine.stop();
    await this.webhooks.stop();
    await Promise.race([this.publisher.idle(), new Promise((r) => setTimeout(r, 2000).unref())]);
    await this.mqtt.stop();
    await this.broker?.stop();
    await closeStores(this.stores);
    this.log.info('hub stopped');
  }
}
