// The composition root of the agent: builds every part from the config and wires them.
// Constructors only assign; start() does the work; stop() releases every timer and socket.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { AgentStatus, ModemEntry, ModemStatus } from '#common/contract/index.js';
import { type Clock, systemClock } from '#common/clock.js';
import { type Logger, createLogger } from '#common/log.js';
import { createRegistry } from '#common/metrics.js';
import type { Registry } from 'prom-client';
import { type AgentConfig, secretsOf, shownBrokers } from './config.js';
import { HttpServer } from './http/server.js';
import { type AgentMetrics, createAgentMetrics } from './metrics.js';
import { defaultBinding } from './modem/stack.js';
import { ModemPool } from './modem/pool.js';
import { MqttAdapter } from './mqtt/adapter.js';
import { type CrashHook, crashHookFromEnv } from './outbox/crash-point.js';
import { Journal } from './outbox/journal.js';
import { refCounter } from './outbox/concat-ref.js';
import { Outbox } from './outbox/outbox.js';
import { Sender, unsendable } from './outbox/sender.js';
import type { JournalRecord } from './outbox/state.js';
import type { SerialBinding } from './serial/port.js';
import { AGENT_VERSION } from './version.js';
import { outboxConfigOf, pacerOf, senderConfigOf } from './send/engine-config.js';
import { InboundSpool } from './send/inbound-spool.js';
import { removeServicePid, writeServicePid } from './send/lock.js';
import { buildInfo, registerBuildInfo } from '#common/build-info.js';
import { type ReloadMetrics, createReloadMetrics } from '#common/reload-metrics.js';

/** How often a journal that could not be written is probed for space. */
const JOURNAL_PROBE_MS = 2000;

export interface AgentDeps {
  binding?: SerialBinding;
  clock?: Clock;
  log?: Logger;
  /** Add process_* metrics (off in tests). */
  defaultMetrics?: boolean;
  /** Crash points for the SIGKILL crash matrix (default: from GSMJOBS_CRASH_AGENT_POINT / _JOB). */
  crash?: CrashHook;
}

export class Agent {
  readonly log: Logger;
  readonly registry: Registry;
  readonly metrics: AgentMetrics;
  readonly outbox: Outbox;
  readonly journal: Journal<JournalRecord>;
  readonly mqtt: MqttAdapter;
  readonly http: HttpServer;
  readonly reloadMetrics: ReloadMetrics;
  /** Every modem (issue 19), built at start(). */
  modems: ModemPool | undefined;
  sender: Sender | undefined;
  private readonly clock: Clock;
  private readonly crash: CrashHook;
  private housekeeping: ReturnType<typeof setInterval> | undefined;
  private probeTimer: ReturnType<typeof setInterval> | undefined;
  private statusTimer: ReturnType<typeof setTimeout> | undefined;
  ready = false;

  constructor(
    readonly config: AgentConfig,
    private readonly deps: AgentDeps = {},
  ) {
    this.clock = deps.clock ?? systemClock;
    this.crash = deps.crash ?? crashHookFromEnv(process.env);
    this.log = deps.log ?? createLogger('agent', { level: config.log_level, secrets: secretsOf(config) });
    this.registry = createRegistry({ defaultMetrics: deps.defaultMetrics ?? false });
    this.journal = new Journal<JournalRecord>(join(config.data_dir, 'outbox.jsonl'));
    this.outbox = new Outbox(this.journal, outboxConfigOf(config), { clock: this.clock, log: this.log.child('outbox'), takeRef: refCounter(config.data_dir) });
    this.metrics = createAgentMetrics(this.registry, {
      modems: () => this.modemMetrics(),
      outboxDepth: () => this.outbox.depth,
      journalBytes: () => this.journal.size,
      journal: () => this.journal.health(),
      mqttConnected: () => this.mqtt.connected,
      mqttBroker: () => this.mqtt.broker,
    });
    registerBuildInfo(this.registry, 'gsmjobs_agent', { ...buildInfo(), version: AGENT_VERSION });
    this.reloadMetrics = createReloadMetrics(this.registry, 'gsmjobs_agent', this.clock.now());
    this.mqtt = new MqttAdapter({
      config,
      log: this.log.child('mqtt'),
      onJob: async (job) => {
        if ((await this.outbox.accept(job)) !== 'accepted') return;
        this.crash('after_accept', job.execution_id);
        // A number or text that can never go out fails at once, modem or no modem.
        const problem = unsendable(job, config.send.max_parts);
        if (problem && this.outbox.stateOf(job.execution_id) === 'queued') await this.outbox.end(job.execution_id, 'failed', problem);
      },
      onCancel: async (c) => {
        const r = await this.outbox.cancel(c);
        this.metrics.cancels.inc({ result: r });
      },
      onMalformed: (reason, ids) => {
        this.metrics.malformed.inc();
        // The execution is named: tell the hub it failed here rather than let it wait.
        if (ids && !this.outbox.stateOf(ids.execution_id)) {
          this.mqtt.publishUpdate({ v: 1, type: 'update', ...ids, platform_id: config.platform_id, site_id: config.site_id, state: 'failed', at: new Date(this.clock.now()).toISOString(), seq: 0, reason: { code: 'invalid_job', message: reason, retryable: false } });
        }
      },
      onUpdateAcked: (u) => this.outbox.ackUpdate(u.execution_id, u.seq),
      onConnection: () => this.scheduleStatus(),
      pendingUpdates: () => this.outbox.pendingUpdates(),
    });
    this.http = new HttpServer({ host: config.http.host, port: config.http.port, registry: this.registry, log: this.log.child('http'), health: () => this.health() });
    this.outbox.onUpdate = (u) => this.mqtt.publishUpdate(u);
    this.outbox.onChange = () => {
      this.sender?.poke();
      this.scheduleStatus();
    };
    this.journal.onWritable = () => {
      this.log.info('the outbox journal can be written again; accepting jobs');
      this.sender?.poke();
      this.scheduleStatus();
    };
  }

  /** The best modem's status (the first one up in priority order): the v1 summary. */
  modemStatus(): ModemStatus {
    return this.modems?.best() ?? { state: 'init' };
  }

  /** Every modem in priority order (status v2). */
  modemEntries(): ModemEntry[] {
    return this.modems?.entries(this.clock.now()) ?? [];
  }

  private modemMetrics() {
    const now = this.clock.now();
    return (this.modems?.members ?? []).map((m) => ({
      id: m.id,
      status: m.stack.driver.status,
      sim: m.stack.driver.sim,
      smsDrops: m.stack.driver.smsDrops,
      budget: m.config.parts_per_hour,
      partsLastHour: m.usage.partsLastHour(now),
      partsToday: m.usage.partsToday(now),
      costToday: m.usage.costToday(now),
      currency: m.config.currency,
    }));
  }

  health() {
    const modem = this.modemStatus();
    const journal = this.journalStatus();
    const best = this.modems?.members.find((m) => m.stack.driver.isUp) ?? this.modems?.members[0];
    const sim = best?.stack.driver.sim ?? { state: 'unknown' };
    const entries = this.modemEntries();
    return {
      // Ready to send when at least one modem is up.
      ok: this.ready && modem.state === 'up' && this.mqtt.connected && journal.writable,
      modem: modem.state,
      modems: entries.map((e) => ({ id: e.id, state: e.state, ...(e.carrier ? { carrier: e.carrier } : {}), priority: e.priority, ...(e.registration ? { registration: e.registration } : {}), ...(e.signal_dbm != null ? { signal_dbm: e.signal_dbm } : {}), ...(e.error ? { error: e.error } : {}), budget: e.budget, parts_today: e.parts_today, ...(e.cost_today !== undefined ? { cost_today: e.cost_today, currency: e.currency } : {}), ...(e.price_per_part !== undefined ? { price_per_part: e.price_per_part } : {}) })),
      mqtt: this.mqtt.connected,
      mqtt_broker: this.mqtt.broker,
      outbox_depth: this.outbox.depth,
      journal,
      sim: sim.state,
      ...(sim.triesLeft !== undefined ? { sim_pin_tries_left: sim.triesLeft } : {}),
      ...(modem.error ? { error: modem.error } : {}),
    };
  }

  /** The journal as the status and /healthz show it. */
  journalStatus(): { writable: boolean; error?: string; skipped_records?: number; corrupt_copy?: string } {
    const j = this.journal.health();
    return {
      writable: j.writable,
      ...(j.error ? { error: `the outbox journal cannot be written (${j.error}); no new job is accepted until it can / журнал не записывается (${j.error}); новые задания не принимаются` } : {}),
      ...(j.skipped ? { skipped_records: j.skipped } : {}),
      ...(j.corruptCopy ? { corrupt_copy: j.corruptCopy } : {}),
    };
  }

  status(): AgentStatus {
    const oldest = this.outbox.oldestQueuedAt();
    return {
      v: 2,
      type: 'status',
      platform_id: this.config.platform_id,
      site_id: this.config.site_id,
      state: 'online',
      at: new Date(this.clock.now()).toISOString(),
      version: AGENT_VERSION,
      modem: this.modemStatus(),
      modems: this.modemEntries(),
      outbox: { depth: this.outbox.depth, ...(oldest ? { oldest_at: new Date(oldest).toISOString() } : {}), journal: this.journalStatus() },
    };
  }

  private publishInbound(m: { from: string; text: string; sentAt: string; parts: number }, receivedAt: string): Promise<void> {
    return this.mqtt.publishInbound({
      v: 1,
      type: 'inbound',
      // The same message read again after a crash gets the same id, so the hub drops the copy.
      id: `in-${createHash('sha256').update(`${m.from}|${m.sentAt}|${m.text}`).digest('base64url').slice(0, 24)}`,
      platform_id: this.config.platform_id,
      site_id: this.config.site_id,
      from: m.from.slice(0, 32) || 'unknown',
      text: m.text,
      ...(m.sentAt ? { sent_at: m.sentAt } : {}),
      received_at: receivedAt,
      parts: m.parts,
    });
  }

  /** Inbound SMS that `agent send` kept while the service was stopped: publish, then forget. */
  private drainSpool(): void {
    new InboundSpool(this.config.data_dir)
      .drain((m) => {
        this.metrics.inbound.inc();
        return this.publishInbound(m, m.receivedAt);
      })
      .then(
        (n) => n && this.log.info('inbound SMS kept by agent send published', { count: n }),
        (err: unknown) => this.log.warn('inbound SMS kept by agent send not published yet', { err: (err as Error).message }),
      );
  }

  /** Publish the status soon (coalesces bursts of changes). */
  private scheduleStatus(): void {
    if (this.statusTimer) return;
    this.statusTimer = setTimeout(() => {
      this.statusTimer = undefined;
      this.mqtt.publishStatus(this.status());
    }, 200);
  }

  async start(): Promise<void> {
    const pending = await this.outbox.load();
    writeServicePid(this.config.data_dir);
    const binding = this.deps.binding ?? (await defaultBinding());
    this.modems = new ModemPool({
      config: this.config,
      log: this.log,
      binding,
      ...(this.deps.clock ? { clock: this.deps.clock } : {}),
      observe: (modem, command, seconds, result) => this.metrics.atLatency.observe({ command, result, modem }, seconds),
      onStatus: (_modem, s) => {
        this.scheduleStatus();
        if (s.state === 'up' || s.state === 'down') this.sender?.poke();
      },
      onStatusReport: (modem, r) => {
        this.metrics.statusReports.inc({ outcome: r.outcome, modem });
        this.outbox.report(r.messageRef, r.status, r.outcome, r.dischargeAt, modem).catch((err: unknown) => this.log.error('status report not stored', { err: (err as Error).message }));
      },
      onInbound: (modem, m) => {
        this.metrics.inbound.inc({ modem });
        return this.publishInbound(m, new Date(this.clock.now()).toISOString());
      },
    });
    this.sender = new Sender({
      outbox: this.outbox,
      modems: this.modems.set,
      pacer: pacerOf(this.config),
      config: senderConfigOf(this.config),
      log: this.log.child('sender'),
      clock: this.clock,
      crash: this.crash,
      onResult: (r, parts, modem) => {
        const labels = { result: r, modem: modem ?? '' };
        this.metrics.smsMessages.inc(labels);
        if (parts) this.metrics.smsParts.inc(labels, parts);
        if (r === 'sent') this.metrics.lastSuccess.set({ modem: modem ?? '' }, this.clock.now() / 1000);
      },
    });
    if (this.config.http.port >= 0) await this.http.start();
    this.mqtt.start();
    for (const u of pending) this.mqtt.publishUpdate(u);
    this.drainSpool();
    this.modems.start();
    this.sender.start();
    this.housekeeping = setInterval(() => {
      this.outbox.housekeeping().catch((err: unknown) => this.log.error('housekeeping failed', { err: (err as Error).message }));
      this.scheduleStatus();
    }, this.config.outbox.housekeeping_s * 1000);
    // While the disk refuses writes: say so and look again every few seconds.
    this.probeTimer = setInterval(() => {
      if (this.journal.writable) return;
      this.scheduleStatus();
      this.journal.probe().catch((err: unknown) => this.log.warn('journal probe failed', { err: (err as Error).message }));
    }, JOURNAL_PROBE_MS);
    this.ready = true;
    this.mqtt.publishStatus(this.status());
    this.log.info('agent ready', { version: AGENT_VERSION, http_port: this.http.port, modems: this.modems.members.map((m) => `${m.id}=${m.config.port}`), brokers: shownBrokers(this.config), outbox_depth: this.outbox.depth });
  }

  async stop(): Promise<void> {
    this.ready = false;
    if (this.housekeeping) clearInterval(this.housekeeping);
    if (this.probeTimer) clearInterval(this.probeTimer);
    if (this.statusTimer) clearTimeout(this.statusTimer);
    this.statusTimer = undefined;
    const step = async (name: string, fn: () => Promise<void> | undefined) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          this.log.warn('stop step timed out', { step: name });
          resolve();
        }, 5000);
      });
      await Promise.race([Promise.resolve(fn()).catch((err: unknown) => this.log.warn('stop step failed', { step: name, err: (err as Error).message })), timeout]);
      clearTimeout(timer);
    };
    await step('sender', () => this.sender?.stop());
    await step('modem', () => this.modems?.stop());
    await step('mqtt', () => this.mqtt.stop());
    await step('http', () => this.http.stop());
    await step('journal', () => this.journal.close());
    removeServicePid(this.config.data_dir);
    this.log.info('agent stopped');
  }
}
