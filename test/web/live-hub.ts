// A live hub for the browser tests: a tiny metrics target, a real Prometheus (Debian package)
// scraping it, the real Hub with the web form mounted (embedded MQTT broker), two platforms with
// tokens, a site reporting its status over MQTT and a SimPal socket per platform.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import mqtt from 'mqtt';
import { silentLogger } from '../../hub/common/log.js';
import { siteTopic } from '../../hub/common/contract/index.js';
import { hubConfigSchema } from '../../hub/config.js';
import { Hub } from '../../hub/hub.js';
import { mountWeb } from '../../hub/web/index.js';
import { tempDir } from '../hub/fixtures.js';
import { type Prometheus, startPrometheus } from '../support/prometheus.js';

export const DEVICES = {
  a: [
    { id: 'hall-1', name: 'Плеер Холл 1', online: 1, temp: 71.5 },
    { id: 'hall-2', name: 'Плеер Холл 2', online: 1, temp: 58 },
    { id: 'kassa-3', name: 'Плеер Касса 3', online: 0, temp: 44 },
  ],
  b: [{ id: 'other-1', name: 'Чужой плеер', online: 1, temp: 50 }],
};

function metricsText(): string {
  const lines = ['# TYPE signage_device_online gauge', '# TYPE node_cpu_temperature_celsius gauge'];
  for (const [p, list] of Object.entries(DEVICES)) {
    for (const d of list) {
      const labels = `platform_id="${p}",device_id="${d.id}",name="${d.name}"`;
      lines.push(`signage_device_online{${labels}} ${d.online}`, `node_cpu_temperature_celsius{${labels}} ${d.temp}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

export interface LiveHub {
  hub: Hub;
  url: string;
  tokens: { a: string; b: string };
  /** Id of the SimPal socket of each platform. */
  controls: { a: string; b: string };
  stop(): Promise<void>;
}

const ADMIN = 'admin-token-for-browser-tests-0123456789';

export interface LiveHubOptions {
  /** Extra hub configuration merged over the defaults (e.g. `remediation`). */
  config?: Record<string, unknown>;
}

/** Change what the metrics target reports for a device from now on (Prometheus scrapes it). */
export function setDevice(platform: keyof typeof DEVICES, id: string, values: { online?: number; temp?: number }): void {
  const d = DEVICES[platform].find((x) => x.id === id);
  if (!d) throw new Error(`no device ${id}`);
  if (values.online !== undefined) d.online = values.online;
  if (values.temp !== undefined) d.temp = values.temp;
}

export async function startLiveHub(opts: LiveHubOptions = {}): Promise<LiveHub> {
  const target: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(metricsText());
  });
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  const targetPort = (target.address() as AddressInfo).port;
  let prom: Prometheus | null = null;
  let hub: Hub | null = null;
  try {
    prom = await startPrometheus({ scrape: [{ job: 'devices', targets: [`127.0.0.1:${targetPort}`] }] });
    await prom.waitForTargets('devices');
    const config = hubConfigSchema.parse({
      http: { host: '127.0.0.1', port: 0 },
      data_dir: tempDir('web-browser'),
      admin_token: ADMIN,
      mqtt: { mode: 'embedded', host: '127.0.0.1', port: 0 },
      poll_interval_s: 2,
      platforms: [
        { id: 'a', name: 'Сеть А', prometheus: { url: prom.url } },
        { id: 'b', name: 'Сеть Б', prometheus: { url: prom.url } },
      ],
      ...opts.config,
    });
    const h = new Hub(config, { log: silentLogger, extend: (app, deps) => mountWeb(app, deps) });
    hub = h;
    await h.start();
    const url = `http://127.0.0.1:${h.httpPort}`;
    const call = async (token: string, method: string, path: string, body?: unknown) => {
      const res = await fetch(`${url}/api/v1${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
      const json = (await res.json()) as Record<string, unknown>;
      if (!res.ok) throw new Error(`${method} ${path}: ${JSON.stringify(json)}`);
      return json;
    };
    const tokens = {
      a: (await call(ADMIN, 'POST', '/platforms/a/tokens', { label: 'web' })).token as string,
      b: (await call(ADMIN, 'POST', '/platforms/b/tokens', { label: 'web' })).token as string,
    };
    const site = await call(tokens.a, 'POST', '/sites', { id: 'moscow-1', name: 'Москва, ТЦ Север' });
    await call(tokens.a, 'POST', '/sites', { id: 'spb-2', name: 'Петербург, склад' });
    const controlA = await call(tokens.a, 'POST', '/control-devices', { name: 'Розетка Холл', phone: '+79161234567', model: 'SIMPAL_D210', site_ids: ['moscow-1', 'spb-2'] });
    await call(tokens.b, 'POST', '/sites', { id: 'b-site', name: 'Площадка Б' });
    const controlB = await call(tokens.b, 'POST', '/control-devices', { name: 'Розетка Б', phone: '+79169999999', model: 'SIMPAL_D410', site_ids: ['b-site'] });
    // The site's agent reports itself online with a modem signal (retained status).
    const agent = await mqtt.connectAsync(h.broker?.url ?? '', { username: 'site/a/moscow-1', password: site.mqtt_password as string, clientId: 'web-test-agent', reconnectPeriod: 0 });
    const status = { v: 1, type: 'status', platform_id: 'a', site_id: 'moscow-1', state: 'online', at: new Date().toISOString(), modem: { state: 'up', signal_dbm: -71, operator: 'MTS RUS', registration: 'home' }, outbox: { depth: 0 } };
    await agent.publishAsync(siteTopic({ platform_id: 'a', site_id: 'moscow-1' }, 'status'), JSON.stringify(status), { qos: 1, retain: true });
    await agent.endAsync();
    for (let i = 0; i < 50 && !h.sites.isOnline('a', 'moscow-1'); i++) await new Promise((r) => setTimeout(r, 50));
    const stopAll = async () => {
      await h.stop();
      await prom?.destroy();
      await new Promise<void>((r) => target.close(() => r()));
    };
    return { hub: h, url, tokens, controls: { a: controlA.id as string, b: controlB.id as string }, stop: stopAll };
  } catch (err) {
    await hub?.stop().catch(() => undefined);
    await prom?.destroy().catch(() => undefined);
    target.close();
    throw err;
  }
}
