// The whole gsmjobs system on free loopback ports in a temp dir, each program through its real
// CLI: the AddReality simulator, the exporter scraping it, a real Prometheus scraping the
// exporter and the agent, the hub (embedded broker, or a real Mosquitto with per-site passwords
// and the contract ACL), and one agent whose modem is the modem simulator on a socat pty pair.
// The hub is seeded by its API. Used by the end-to-end tests and by `npm run demo`.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { stringify } from 'yaml';
import { type Mosquitto, startMosquitto } from '../support/mosquitto.js';
import { freePort } from '../support/ports.js';
import { type Prometheus, startPrometheus } from '../support/prometheus.js';
import { type Child, startProgram, until } from './support/child.js';

export const PLATFORM = 'demo';
export const SITE = 'lab';
export const OTHER_SITE = 'depot';
export const PHONE = '+79161234567';
/** The watched device (the simulator numbers its devices from 30000). */
export const DEVICE = '30001';
export const ADMIN_TOKEN = 'e2e-admin-token-0123456789abcdef';
export const SIM_TOKEN = 'demo-token';
/** Russian, 113 UCS2 characters: two SMS parts (67 + 46) [TS 23.040 9.2.3.24.1]. */
export const JOB_TEXT = 'Устройство 30001 не в сети. Выключите розетку на одну минуту и снова включите её, затем проверьте экран. Спасибо!';
export const PASSWORDS = { hub: 'hub-password-e2e-1', site: 'site-password-lab-1', other: 'site-password-depot-1', events: 'events-password-demo-1' };

export type Command = { kind: 'text'; text: string } | { kind: 'catalog'; command_id: string; params: Record<string, string | number> };

export interface StackOptions {
  broker?: 'embedded' | 'mosquitto';
  pollIntervalS?: number;
  scrapeIntervalS?: number;
  exporterRefreshS?: number;
  devices?: number;
  /** +CDS status report this long after each accepted part. */
  statusReportMs?: number;
  command?: Command;
  cooldownS?: number;
  /** Extra top-level blocks of the hub's config file, each replacing the stack's own block of that name (e.g. `{ remediation: {...} }` replaces the stack's whole remediation block). */
  hubConfig?: Record<string, unknown>;
  /** Each output line of every program (debugging: E2E_LOG=1). */
  onLine?: (program: string, line: string) => void;
  /** Each SMS part the simulated modem accepted. */
  onSms?: (sms: SimSms) => void;
  /** Run the hub from its production bundle (dist/hub/index.mjs): faster starts for suites that restart it many times. */
  bundledHub?: boolean;
}

export interface SimSms {
  at: string;
  to: string;
  text: string;
  mr: number;
  encoding: string;
  status_report: boolean;
  concat?: { ref: number; total: number; seq: number };
}

export interface ApiClient {
  <T = any>(method: string, path: string, body?: unknown): Promise<T>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface Stack {
  dir: string;
  options: Required<Omit<StackOptions, 'onLine' | 'onSms' | 'command' | 'bundledHub'>> & { command: Command };
  sim: { url: string; child: Child; setOnline(key: string, online: boolean): Promise<void>; fail(mode: Record<string, unknown> | 'off'): Promise<void> };
  exporter: { url: string; child: Child };
  prometheus: Prometheus;
  broker: Mosquitto | null;
  /** `restart(env)`: stop the hub (if it still runs) and start it again on the same data dir, with extra environment (crash points). */
  hub: { url: string; mqttUrl: string; child: Child; admin: ApiClient; api: ApiClient; restart(env?: NodeJS.ProcessEnv): Promise<void> };
  agent: { metricsUrl: string; child: Child; start(): Promise<void>; waitOnline(timeoutMs?: number): Promise<void> };
  modem: { child: Child; control(line: string): void; sms(): SimSms[] };
  seed: { token: string; controlDeviceId: string; jobId: string };
  /** Subscribe as the platform's event listener (events/<platform>). */
  listenEvents(onEvent?: (e: { topic: string; body: Record<string, unknown> }) => void): Promise<EventListener>;
  stop(): Promise<void>;
  /** Every process id the stack started (to check for orphans). */
  pids(): number[];
}

export interface EventListener {
  events: Array<{ topic: string; body: Record<string, unknown> }>;
  close(): Promise<void>;
}

async function request(base: string, token: string, method: string, path: string, body?: unknown): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : {};
}

export function connectMqtt(url: string, username: string, password: string, extra: mqtt.IClientOptions = {}): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(url, { username, password, reconnectPeriod: 0, connectTimeout: 5000, ...extra });
    const onError = (err: Error) => {
      c.end(true);
      reject(err);
    };
    c.once('error', onError);
    c.once('connect', () => {
      // Later errors (a broker restart) must not end a client that reconnects.
      c.off('error', onError);
      c.on('error', () => undefined);
      resolve(c);
    });
  });
}

export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const o = {
    broker: opts.broker ?? 'embedded',
    pollIntervalS: opts.pollIntervalS ?? 2,
    scrapeIntervalS: opts.scrapeIntervalS ?? 1,
    exporterRefreshS: opts.exporterRefreshS ?? 1,
    devices: opts.devices ?? 20,
    statusReportMs: opts.statusReportMs ?? 300,
    command: opts.command ?? { kind: 'text', text: JOB_TEXT },
    cooldownS: opts.cooldownS ?? 600,
    hubConfig: opts.hubConfig ?? {},
  };
  const dir = mkdtempSync(join(tmpdir(), 'gsmjobs-e2e-'));
  const children: Child[] = [];
  const allPids: number[] = [];
  const started: Array<() => Promise<unknown>> = [];
  const run = (name: string, script: string, args: string[], env: NodeJS.ProcessEnv = {}) => {
    const bundle = name === 'hub' && opts.bundledHub === true;
    const c = startProgram(name, script, args, { env, bundle, ...(opts.onLine ? { onLine: (l) => opts.onLine?.(name, l) } : {}) });
    children.push(c);
    allPids.push(c.pid);
    return c;
  };
  let stopped = false;
  const stopAll = async () => {
    if (stopped) return;
    stopped = true;
    const byName = (n: string) => children.filter((c) => c.name === n && !c.done);
    // Agent first (it holds the pty and the broker session), then the central programs.
    await Promise.allSettled(byName('agent').map((c) => c.stop()));
    await Promise.allSettled([...byName('hub'), ...byName('exporter'), ...byName('addreality-sim')].map((c) => c.stop()));
    await Promise.allSettled([...started.map((f) => f()), ...byName('modem-sim').map((c) => c.stop())]);
    await Promise.allSettled(children.filter((c) => !c.done).map((c) => c.stop(2000, 'SIGKILL')));
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    const [simPort, exporterPort, agentPort, hubPort, brokerPort] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
    for (const d of ['modem', 'agent', 'hub', 'exporter', 'prometheus', 'mosquitto']) mkdirSync(join(dir, d));
    const smsLog = join(dir, 'modem', 'sms.jsonl');
    writeFileSync(smsLog, '');

    // The platform simulator and the modem simulator.
    const sim = run('addreality-sim', 'exporter/sim/main.ts', ['--port', String(simPort), '--devices', String(o.devices)], { GSMJOBS_SIM_OFFLINE_RATE: '0', GSMJOBS_SIM_CUBIC_PLAYERS: '0' });
    const modemArgs = ['--dir', join(dir, 'modem'), '--model', 'SIM800', '--log', smsLog, '--status-report-ms', String(o.statusReportMs)];
    const modem = startProgram('modem-sim', 'agent/sim/main.ts', modemArgs, {
      onLine: (l) => {
        opts.onLine?.('modem-sim', l);
        if (opts.onSms && l.startsWith('{"sms"')) opts.onSms((JSON.parse(l) as { sms: SimSms }).sms);
      },
    });
    children.push(modem);
    allPids.push(modem.pid);
    let broker: Mosquitto | null = null;
    const brokerReady =
      o.broker === 'mosquitto'
        ? startMosquitto({
            dir: join(dir, 'mosquitto'),
            persistence: true,
            users: { hub: PASSWORDS.hub, [`site/${PLATFORM}/${SITE}`]: PASSWORDS.site, [`site/${PLATFORM}/${OTHER_SITE}`]: PASSWORDS.other, [`events/${PLATFORM}`]: PASSWORDS.events },
          }).then((b) => {
            broker = b;
            started.push(() => b.stop());
            allPids.push(b.proc.child.pid ?? -1);
          })
        : Promise.resolve();
    const simUrl = (await sim.waitForOutput(/sim listening on (\S+)/))[1] as string;
    const modemPath = (await modem.waitForOutput(/modem-sim ready: \S+ at (\S+)/))[1] as string;
    await brokerReady;

    // Exporter, Prometheus and hub.
    const exporterConfig = join(dir, 'exporter', 'exporter.yaml');
    writeFileSync(
      exporterConfig,
      stringify({
        http: { host: '127.0.0.1', port: exporterPort },
        refresh: { interval_s: o.exporterRefreshS, grace_period_s: 3600 },
        cache: { file: join(dir, 'exporter', 'cache.json') },
        retry: { attempts: 1, base_delay_ms: 100, max_delay_ms: 500, timeout_ms: 2000, max_retry_after_ms: 5000 },
        accounts: { main: { platform: 'addreality', platform_id: PLATFORM, base_url: simUrl, token: SIM_TOKEN } },
      }),
    );
    const exporter = run('exporter', 'exporter/main.ts', ['--config', exporterConfig]);
    const exporterUrl = `http://127.0.0.1:${exporterPort}`;
    const prometheusReady = startPrometheus({
      dir: join(dir, 'prometheus'),
      scrapeInterval: `${o.scrapeIntervalS}s`,
      scrape: [
        { job: 'exporter', targets: [`127.0.0.1:${exporterPort}`] },
        { job: 'agent', targets: [`127.0.0.1:${agentPort}`] },
      ],
    });
    const hubConfig = join(dir, 'hub', 'hub.yaml');
    const b = broker as Mosquitto | null;
    writeFileSync(
      hubConfig,
      stringify({
        http: { host: '127.0.0.1', port: hubPort },
        data_dir: join(dir, 'hub', 'data'),
        admin_token: ADMIN_TOKEN,
        poll_interval_s: o.pollIntervalS,
        resend_after_s: 5,
        // Act at once (the production default waits 30 s so a correlated burst is seen first),
        // and no correlated-failure rule: these scenarios take several devices of a small fleet
        // offline within minutes, which the default share rule (20 %) would rightly hold.
        remediation: { settle_s: 0, defaults: { correlation: { min_count: null, min_share: null } } },
        prometheus: { timeout_ms: 1000, concurrency: 4 },
        mqtt: b ? { mode: 'external', url: b.url, username: 'hub', password: PASSWORDS.hub } : { mode: 'embedded', host: '127.0.0.1', port: brokerPort },
        ...o.hubConfig,
      }),
    );
    const hubUrl = `http://127.0.0.1:${hubPort}`;
    const mqttUrl = b ? b.url : `mqtt://127.0.0.1:${brokerPort}`;
    const hubHandle: Stack['hub'] = {
      url: hubUrl,
      mqttUrl,
      child: run('hub', 'hub/main.ts', ['--config', hubConfig]),
      admin: (m, p, body) => request(hubUrl, ADMIN_TOKEN, m, p, body),
      api: () => Promise.reject(new Error('not seeded yet')),
      async restart(env = {}) {
        await hubHandle.child.stop();
        hubHandle.child = run('hub', 'hub/main.ts', ['--config', hubConfig], env);
        await hubHandle.child.waitForOutput(/gsmjobs hub listening on/);
      },
    };
    const prometheus = await prometheusReady;
    allPids.push(prometheus.proc.child.pid ?? -1);
    started.push(() => prometheus.destroy());
    await Promise.all([hubHandle.child.waitForOutput(/gsmjobs hub listening on/), until(async () => (await fetch(`${exporterUrl}/metrics`)).ok, 30_000, 'exporter /metrics')]);

    // Seed by API: platform -> token -> events password -> sites -> control device -> job.
    await hubHandle.admin('POST', '/api/v1/platforms', { id: PLATFORM, name: 'Demo AddReality', prometheus: { url: prometheus.url } });
    const token = (await hubHandle.admin('POST', `/api/v1/platforms/${PLATFORM}/tokens`, { label: 'e2e' })).token as string;
    await hubHandle.admin('POST', `/api/v1/platforms/${PLATFORM}/events-password`, { password: PASSWORDS.events });
    const api: ApiClient = (m, p, body) => request(hubUrl, token, m, p, body);
    hubHandle.api = api;
    await api('POST', '/api/v1/sites', { id: SITE, name: 'Лаборатория / Lab', mqtt_password: PASSWORDS.site });
    await api('POST', '/api/v1/sites', { id: OTHER_SITE, name: 'Склад / Depot', mqtt_password: PASSWORDS.other });
    const cd = await api('POST', '/api/v1/control-devices', { name: 'Розетка SimPal D210', phone: PHONE, model: 'SIMPAL_D210', site_ids: [SITE] });
    const job = await api('POST', '/api/v1/jobs', {
      name: 'Экран 30001 не в сети / screen 30001 offline',
      device: { key_type: 'device_id', key: DEVICE, name: `player ${DEVICE}` },
      conditions: [{ metric: 'signage_device_online', op: '==', value: 0 }],
      for_s: 0,
      cooldown_s: o.cooldownS,
      steps: [{ type: 'send', site_id: SITE, control_device_id: cd.id, command: o.command }],
    });

    // The agent.
    const agentConfig = join(dir, 'agent', 'agent.yaml');
    writeFileSync(
      agentConfig,
      stringify({
        platform_id: PLATFORM,
        site_id: SITE,
        data_dir: join(dir, 'agent', 'data'),
        modem: { port: modemPath, poll_interval_s: 2, reset_wait_s: 1, reopen_delay_s: 0.5, send_timeout_s: 10, recovery_backoff_s: 0.5, sync_timeout_s: 0.5 },
        mqtt: { url: mqttUrl, password: PASSWORDS.site, reconnect_s: 0.5, keepalive_s: 5 },
        send: { per_destination_interval_s: 0, per_modem_interval_s: 0, retry_base_s: 1 },
        http: { host: '127.0.0.1', port: agentPort },
        log_level: 'info',
      }),
    );
    const agent: Stack['agent'] = {
      metricsUrl: `http://127.0.0.1:${agentPort}/metrics`,
      child: undefined as unknown as Child,
      async start() {
        if (agent.child && !agent.child.done) throw new Error('agent already running');
        agent.child = run('agent', 'agent/main.ts', ['run', '--config', agentConfig]);
        await until(async () => (await fetch(`http://127.0.0.1:${agentPort}/metrics`)).ok, 30_000, 'agent /metrics');
      },
      async waitOnline(timeoutMs = 30_000) {
        await until(
          async () => {
            const s = await api('GET', `/api/v1/sites/${SITE}`);
            return s.online === true && s.status?.modem?.state === 'up';
          },
          timeoutMs,
          'site online with its modem up',
          200,
        );
      },
    };
    await agent.start();
    await agent.waitOnline();

    const stack: Stack = {
      dir,
      options: o,
      sim: {
        url: simUrl,
        child: sim,
        async setOnline(key, online) {
          const res = await fetch(`${simUrl}/_sim/devices/${key}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ connection_state: online ? 'online' : 'offline' }) });
          if (!res.ok) throw new Error(`sim: ${res.status} ${await res.text()}`);
        },
        async fail(mode) {
          const res = await fetch(`${simUrl}/_sim/fail`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(mode === 'off' ? { mode: 'off' } : mode) });
          if (!res.ok) throw new Error(`sim: ${res.status} ${await res.text()}`);
        },
      },
      exporter: { url: exporterUrl, child: exporter },
      prometheus,
      broker: b,
      hub: hubHandle,
      agent,
      modem: {
        child: modem,
        control: (line) => modem.send(line),
        sms: () =>
          readFileSync(smsLog, 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as SimSms),
      },
      seed: { token, controlDeviceId: cd.id as string, jobId: job.id as string },
      async listenEvents(onEvent) {
        // A persistent session: events published while the broker restarts are not lost.
        const c = await connectMqtt(hubHandle.mqttUrl, `events/${PLATFORM}`, PASSWORDS.events, { reconnectPeriod: 500, clean: false, clientId: `e2e-events-${process.pid}-${Date.now()}` });
        const events: EventListener['events'] = [];
        c.on('message', (topic, payload) => {
          const e = { topic, body: JSON.parse(payload.toString()) as Record<string, unknown> };
          events.push(e);
          onEvent?.(e);
        });
        c.on('connect', () => void c.subscribeAsync(`gsmjobs/v1/events/${PLATFORM}/#`, { qos: 1 }).catch(() => undefined));
        await c.subscribeAsync(`gsmjobs/v1/events/${PLATFORM}/#`, { qos: 1 });
        return { events, close: () => c.endAsync(true) };
      },
      stop: stopAll,
      pids: () => [...allPids, ...children.map((c) => c.pid)].filter((p, i, a) => p > 0 && a.indexOf(p) === i),
    };
    return stack;
  } catch (err) {
    const tail = children.map((c) => `--- ${c.name}\n${c.output().slice(-2500)}`).join('\n');
    await stopAll();
    throw new Error(`${(err as Error).message}\n${tail}`, { cause: err });
  }
}

/** A job on another simulated device of the same site (each scenario watches its own device). */
export async function addJob(stack: Stack, device: string, text: string): Promise<string> {
  const job = await stack.hub.api('POST', '/api/v1/jobs', {
    device: { key_type: 'device_id', key: device, name: `player ${device}` },
    conditions: [{ metric: 'signage_device_online', op: '==', value: 0 }],
    for_s: 0,
    cooldown_s: stack.options.cooldownS,
    steps: [{ type: 'send', site_id: SITE, control_device_id: stack.seed.controlDeviceId, command: { kind: 'text', text } }],
  });
  return job.id as string;
}

/** The hub's executions of one job (default: the seeded job). */
export async function executions(stack: Stack, jobId = stack.seed.jobId): Promise<Array<Record<string, any>>> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const r = await stack.hub.api('GET', `/api/v1/executions?job_id=${jobId}`);
  return (r.items ?? r) as Array<Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** The SMS parts the modem accepted that belong to one text (every scenario's text is unique). */
export function partsOf(stack: Stack, text: string): SimSms[] {
  return stack.modem.sms().filter((s) => s.text.length > 0 && text.includes(s.text));
}
