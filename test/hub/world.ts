// A small hub world for component tests: a real store in a temp dir, a fake Prometheus, a
// recording MQTT publisher, the real dispatcher and poller, and API deps for createApp().
import type { Clock } from '../../hub/common/clock.js';
import { silentLogger } from '../../hub/common/log.js';
import { createRegistry } from '../../hub/common/metrics.js';
import type { ApiDeps } from '../../hub/api/context.js';
import { loadCatalogs } from '../../hub/catalog/catalog.js';
import { Dispatcher } from '../../hub/dispatch/dispatcher.js';
import { JobPublisher } from '../../hub/dispatch/publisher.js';
import { newId } from '../../hub/model/ids.js';
import { hubConfigSchema } from '../../hub/config.js';
import { PlaybookEngine } from '../../hub/remediation/engine.js';
import type { RouteEvent } from '../../hub/remediation/route-mover.js';
import { RemediationService } from '../../hub/remediation/service.js';
import { SiteMonitor } from '../../hub/dispatch/sites.js';
import { hashPassword, hashToken } from '../../hub/mqtt/passwords.js';
import type { MqttPublisher } from '../../hub/mqtt/adapter.js';
import type { Job } from '../../hub/model/job.js';
import { Poller } from '../../hub/poller/poller.js';
import { DeviceDirectory } from '../../hub/prometheus/devices.js';
import { HubStore } from '../../hub/store/store.js';
import { LowdbStore } from '../../hub/store/lowdb-adapter.js';
import { endpoint, FakePrometheus, tempDir } from './fixtures.js';

export class RecordingPublisher implements MqttPublisher {
  up = true;
  messages: Array<{ topic: string; payload: unknown; retain: boolean }> = [];
  async publish(topic: string, payload: string, opts: { retain?: boolean }): Promise<void> {
    this.messages.push({ topic, payload: payload === '' ? null : (JSON.parse(payload) as unknown), retain: opts.retain ?? false });
  }
  on(suffix: string): Array<Record<string, unknown>> {
    return this.messages.filter((m) => m.topic.endsWith(suffix)).map((m) => m.payload as Record<string, unknown>);
  }
}

export class ManualClock implements Clock {
  constructor(public t = Date.parse('2026-11-23T10:00:00Z')) {}
  now = () => this.t;
  setTimeout = (fn: () => void, ms: number) => setTimeout(fn, ms);
  clearTimeout = (h: unknown) => clearTimeout(h as ReturnType<typeof setTimeout>);
  advance(ms: number) {
    this.t += ms;
  }
}

export const ADMIN_TOKEN = 'admin-token-0123456789abcdefghijklmnop';
export const TOKENS = { a: 'token-platform-a-0123456789', b: 'token-platform-b-0123456789' };

export interface World {
  /** The store's data directory. */
  dir: string;
  store: HubStore;
  prom: FakePrometheus;
  pub: RecordingPublisher;
  clock: ManualClock;
  dispatcher: Dispatcher;
  publisher: JobPublisher;
  engine: PlaybookEngine;
  remediation: RemediationService;
  poller: Poller;
  sites: SiteMonitor;
  /** What the engine reported to the route metrics (backup routes, issue 19). */
  routeEvents: RouteEvent[];
  deps: ApiDeps;
  job(platform: 'a' | 'b', over?: Partial<Job>): Job;
}

/** Two platforms a and b, each with site s1, control device cd-<p> (SimPal D210); `dir`: reopen a data dir. */
export async function createWorld(dir = tempDir('world')): Promise<World> {
  const store = new HubStore(dir);
  await store.load();
  const prom = new FakePrometheus();
  const pub = new RecordingPublisher();
  const clock = new ManualClock();
  const catalogs = loadCatalogs();
  const at = new Date(clock.t).toISOString();
  for (const p of ['a', 'b'] as const) {
    await store.putPlatform({
      id: p,
      name: p.toUpperCase(),
      prometheus: { ...endpoint(`http://prom-${p}.invalid`), headers: { 'X-Scope-OrgID': `tenant-${p}` } },
      created_at: at,
      tokens: [{ id: `t${p}`, hash: hashToken(TOKENS[p]), label: 'test', created_at: at }],
      events_password: null,
    });
    await store.putSite({ id: 's1', platform_id: p, name: `Site ${p}`, mqtt_password: hashPassword('site-password-1'), created_at: at });
    await store.putControlDevice({ id: `cd-${p}`, platform_id: p, name: `Socket ${p}`, phone: p === 'a' ? '+79160000001' : '+79160000002', model: 'SIMPAL_D210', site_ids: ['s1'], created_at: at, updated_at: at });
  }
  let sites: SiteMonitor | null = null;
  const remediationConfig = hubConfigSchema.parse({}).remediation;
  const publisher = new JobPublisher({ mqtt: pub, clock, log: silentLogger });
  const settings = (p: string) => store.remediationSettings(p, remediationConfig.defaults);
  const routeEvents: RouteEvent[] = [];
  const sendable = (p: string, s: string) => sites?.sendable(p, s) ?? { ok: false as const, reason: 'offline' as const, since: clock.t };
  const engine = new PlaybookEngine({ store, publisher, catalogs, clock, log: silentLogger, settings, newId: () => newId(clock.now()), sendable, onRoute: (e) => routeEvents.push(e) });
  const dispatcher = new Dispatcher({
    store,
    sink: engine,
    clock,
    log: silentLogger,
    isSiteOnline: (p, s) => sites?.isOnline(p, s) ?? false,
    resendAfterMs: 60_000,
    sendable,
  });
  engine.start();
  // settle 0: the tests of the one-command case expect the SMS right away.
  const remediation = new RemediationService({ store, engine, clock, log: silentLogger, settings, newId: () => newId(clock.now()), settleMs: 0, lang: 'en' });
  sites = new SiteMonitor({ store, mqtt: pub, log: silentLogger, now: clock.now, onOnline: async (ref) => void (await dispatcher.resendPending(ref.platform_id, ref.site_id, true)) });
  const poller = new Poller({ store, query: prom.query, clock, firer: remediation, verify: engine, log: silentLogger });
  const siteMonitor = sites;
  const port = await LowdbStore.open(store, dir);
  const deps: ApiDeps = {
    port,
    catalogs,
    adminTokenHash: hashToken(ADMIN_TOKEN),
    now: clock.now,
    query: prom.query,
    devices: new DeviceDirectory(prom.query, clock.now, 0),
    firer: remediation,
    remediation,
    remediationConfig,
    lastValues: (id) => poller.lastValues.get(id),
    lastCycle: () => poller.lastReport,
    site: (p, s) => siteMonitor.get(p, s),
    health: { mqttUp: () => pub.up, prometheusOk: () => poller.lastReport !== null && !poller.lastReport.degraded },
    registry: createRegistry(),
    onSiteDeleted: (p, s) => siteMonitor.forget({ platform_id: p, site_id: s }),
  };
  let n = 0;
  const job = (platform: 'a' | 'b', over: Partial<Job> = {}): Job => ({
    id: `job-${platform}-${++n}`,
    platform_id: platform,
    name: `job ${n}`,
    name_auto: false,
    enabled: true,
    device: { key_type: 'device_id', key: `dev-${platform}-1`, name: `Player ${platform}` },
    conditions: [{ metric: 'signage_device_online', op: '==', value: 0 }],
    combine: 'and',
    for_s: 0,
    no_data: { mode: 'ignore', after_s: 300 },
    windows: null,
    cooldown_s: 600,
    steps: [{ type: 'send', site_id: 's1', control_device_id: `cd-${platform}`, command: { kind: 'catalog', command_id: '12_0_minutes_1', params: { minutes: 1 } }, expires_s: 900 }],
    created_at: at,
    updated_at: at,
    ...over,
  });
  return { dir, store, prom, pub, clock, dispatcher, publisher, engine, remediation, poller, sites: siteMonitor, routeEvents, deps, job };
}

/** Platform a's job stored and fired by its condition, its publish done: the execution's id. */
export async function fireJob(w: World): Promise<string> {
  const job = w.job('a');
  await w.store.putJob(job);
  const id = await w.remediation.fire(job, 'condition', { signage_device_online: 0 });
  await w.publisher.idle();
  if (!id) throw new Error('not fired');
  return id;
}
