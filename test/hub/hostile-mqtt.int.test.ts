// A login flood against the real hub process's embedded broker (issue 18), loopback only: for a
// bounded time, many CONNECTs with a known site username and wrong passwords (from one address,
// which backs off) and with unknown usernames from ever new loopback addresses (which defeat the
// backoff and make the broker hash each one). Asserted: /healthz p99 stays within a stated bound
// of its idle value (scrypt never runs on the event loop), known and unknown usernames are
// refused alike and in comparable time, the hub's log stays small although client ids of 60 KiB
// are sent, the counters show in /metrics, and the site's real agent still logs in.
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawConnect } from '../support/mqtt-raw.js';
import { freePort } from '../support/ports.js';
import { type Proc, startProcess } from '../support/process.js';
import { tempDir } from './fixtures.js';

const root = new URL('../..', import.meta.url).pathname;
const tsx = join(root, 'node_modules', '.bin', 'tsx');
const ADMIN = 'hostile-mqtt-admin-token-0123456789abcdefghijklmnopqrstuvwxyz';
const FLOOD_MS = 8_000;

let proc: Proc;
let base: string;
let mqttPort: number;
let dataDir: string;
const passwords = new Map<string, string>();

const auth = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };

async function post(path: string, body: unknown): Promise<Record<string, unknown>> {
  const r = await fetch(`${base}${path}`, { method: 'POST', headers: auth, body: JSON.stringify(body) });
  const json = (await r.json()) as Record<string, unknown>;
  if (r.status >= 300) throw new Error(`${path}: ${r.status} ${JSON.stringify(json)}`);
  return json;
}

/** Sequential /healthz requests for `ms`; their latencies in ms. */
async function healthLatencies(ms: number, pauseMs = 10): Promise<number[]> {
  const out: number[] = [];
  const end = performance.now() + ms;
  while (performance.now() < end) {
    const t = performance.now();
    const r = await fetch(`${base}/healthz`);
    await r.arrayBuffer();
    out.push(performance.now() - t);
    await new Promise((res) => setTimeout(res, pauseMs));
  }
  return out;
}

/** The hub's event-loop delay since the previous scrape (prom-client resets it at each scrape), in ms. */
async function loopLag(): Promise<{ p50: number; p99: number; max: number; cpu: number }> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const v = (name: string) => Number(new RegExp(`^gsmjobs_hub_nodejs_eventloop_lag_${name}_seconds (\\S+)$`, 'm').exec(text)?.[1] ?? NaN) * 1000;
  const cpu = Number(/^gsmjobs_hub_process_cpu_seconds_total (\S+)$/m.exec(text)?.[1] ?? NaN);
  return { p50: v('p50'), p99: v('p99'), max: v('max'), cpu };
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] as number;
};

beforeAll(async () => {
  const dir = tempDir('hostile-mqtt');
  const tokenFile = join(dir, 'admin-token');
  writeFileSync(tokenFile, `${ADMIN}\n`);
  const port = await freePort();
  mqttPort = await freePort();
  proc = startProcess(tsx, ['hub/main.ts'], {
    cwd: root,
    name: 'hub',
    env: { ...process.env, GSMJOBS_HUB_HTTP__PORT: String(port), GSMJOBS_HUB_MQTT__PORT: String(mqttPort), GSMJOBS_HUB_DATA_DIR: (dataDir = join(dir, 'data')), GSMJOBS_HUB_ADMIN_TOKEN_FILE: tokenFile,
      // Every refusal hashed for the whole file (the timing comparison needs it); the default failure budget is tested in login-flood.int.test.ts.
      GSMJOBS_HUB_MQTT__LIMITS__HASH_BURST_MS: '600000' },
  });
  await proc.waitForOutput(/gsmjobs hub listening/, 30_000);
  base = `http://127.0.0.1:${port}`;
  await post('/api/v1/platforms', { id: 'fl', name: 'Flood', prometheus: { url: 'http://127.0.0.1:9' } });
  for (let i = 1; i <= 8; i++) {
    const site = await post('/api/v1/sites?platform_id=fl', { id: `s${i}`, name: `Site ${i}` });
    passwords.set(`site/fl/s${i}`, site.mqtt_password as string);
  }
  // The real agent of s1 logs in once (so its address is known), then stays away.
  expect((await rawConnect({ port: mqttPort, localAddress: '127.0.50.1', username: 'site/fl/s1', password: passwords.get('site/fl/s1') })).returnCode).toBe(0);
  await healthLatencies(500); // warm up
}, 60_000);

afterAll(async () => {
  expect(await proc.stop()).toBe(0);
});

describe('MQTT login flood over the real hub process', () => {
  it('the hub process writes its store files 0600 (they hold secrets)', () => {
    const files = readdirSync(dataDir).filter((f) => f.endsWith('.json'));
    expect(files).toContain('definitions.json');
    for (const f of files) expect(statSync(join(dataDir, f)).mode & 0o777, f).toBe(0o600);
  });

  it('known and unknown usernames are refused alike, in comparable time', async () => {
    // One attempt per fresh address and per username: no backoff interferes, every one is hashed.
    const known: number[] = [];
    const unknown: number[] = [];
    const codes = new Set<number | null>();
    for (let round = 0; round < 3; round++) {
      for (let i = 2; i <= 8; i++) {
        const k = await rawConnect({ port: mqttPort, localAddress: `127.0.${60 + round}.${i}`, username: `site/fl/s${i}`, password: 'not-the-password' });
        const u = await rawConnect({ port: mqttPort, localAddress: `127.0.${70 + round}.${i}`, username: `site/fl/x${round}-${i}`, password: 'not-the-password' });
        codes.add(k.returnCode).add(u.returnCode);
        known.push(k.ms);
        unknown.push(u.ms);
      }
    }
    const k = quantile(known, 0.5);
    const u = quantile(unknown, 0.5);
    console.log(`login refusal, median of ${known.length}: known username ${k.toFixed(1)} ms, unknown ${u.toFixed(1)} ms`);
    expect([...codes]).toEqual([4]);
    // Loose on a loaded machine: before the fix unknown names answered ~60x faster (no hash).
    expect(u).toBeGreaterThan(k / 3);
    expect(k).toBeGreaterThan(u / 3);
  }, 120_000);

  it('a flood of CONNECTs leaves /healthz fast, the log small, and the real agent able to log in', async () => {
    const cpu0 = (await loopLag()).cpu;
    const idle = await healthLatencies(3_000);
    const idleLag = await loopLag();
    const stopAt = performance.now() + FLOOD_MS;
    let sent = 0;
    const codes = new Map<string, number>();
    const worker = async (w: number) => {
      let n = 0;
      while (performance.now() < stopAt) {
        n++;
        // Half: the known username from one address (it backs off); half: unknown names from
        // ever new addresses (nothing to back off on, each one costs a hash or a busy refusal).
        const r =
          w % 2 === 0
            ? await rawConnect({ port: mqttPort, username: 'site/fl/s2', password: `guess-${n}`, clientId: n % 10 === 0 ? 'c'.repeat(60_000) : undefined })
            : await rawConnect({ port: mqttPort, localAddress: `127.${100 + w}.${(n >> 8) & 255}.${(n & 255) || 1}`, username: `site/fl/ghost-${w}-${n}`, password: 'x', clientId: n % 10 === 0 ? 'c'.repeat(60_000) : undefined });
        sent++;
        codes.set(String(r.returnCode), (codes.get(String(r.returnCode)) ?? 0) + 1);
      }
    };
    const [busy] = await Promise.all([healthLatencies(FLOOD_MS), ...Array.from({ length: 8 }, (_, w) => worker(w))]);
    const floodLag = await loopLag();
    const idleP50 = quantile(idle, 0.5);
    const idleP99 = quantile(idle, 0.99);
    const busyP50 = quantile(busy, 0.5);
    const busyP99 = quantile(busy, 0.99);
    const log = proc.output();
    const loginLines = log.split('\n').filter((l) => l.includes('mqtt login'));
    console.log(
      `login flood ${FLOOD_MS / 1000} s: ${sent} CONNECTs (${(sent / (FLOOD_MS / 1000)).toFixed(0)}/s) answers ${JSON.stringify(Object.fromEntries(codes))}; ` +
        `/healthz idle p50 ${idleP50.toFixed(1)} ms p99 ${idleP99.toFixed(1)} ms (${idle.length}), flood p50 ${busyP50.toFixed(1)} ms p99 ${busyP99.toFixed(1)} ms (${busy.length}); ` +
        `hub CPU idle ${(idleLag.cpu - cpu0).toFixed(2)} s in 3 s, flood ${(floodLag.cpu - idleLag.cpu).toFixed(2)} s in ${FLOOD_MS / 1000} s (all threads); ` +
        `event-loop delay idle p99 ${idleLag.p99.toFixed(1)} ms max ${idleLag.max.toFixed(1)} ms, flood p99 ${floodLag.p99.toFixed(1)} ms max ${floodLag.max.toFixed(1)} ms; ` +
        `hub log ${log.length} bytes in all, ${loginLines.length} login lines`,
    );
    expect(sent).toBeGreaterThan(100);
    // The bounds, stated loosely for a loaded 2-core machine where the flooding test process and
    // the hashing thread compete with the hub's event loop for CPU: median within 4x of idle (or
    // idle + 30 ms), p99 within 3x of idle (or idle + 250 ms: on a machine with a load average of
    // 20 a p99 is mostly scheduling noise). Before the fix (scrypt on the event loop) the same
    // flood gave a median of 200 ms against an idle 2 ms, which the median bound refuses.
    expect(busyP50).toBeLessThan(Math.max(4 * idleP50, idleP50 + 30));
    expect(busyP99).toBeLessThan(Math.max(3 * idleP99, idleP99 + 250));
    expect(loginLines.length).toBeLessThanOrEqual(25); // 10 detailed a minute and one summary line (the test spans under 2 minutes)
    expect(log.length).toBeLessThan(20_000);
    expect(log).not.toContain('c'.repeat(100));
    // The real agent of s1, from the address it used before, still gets in during the aftermath.
    expect((await rawConnect({ port: mqttPort, localAddress: '127.0.50.1', username: 'site/fl/s1', password: passwords.get('site/fl/s1') })).returnCode).toBe(0);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/gsmjobs_hub_mqtt_auth_failures_total\{reason="bad_credentials"\} [1-9]/);
    expect(metrics).toMatch(/gsmjobs_hub_mqtt_auth_failures_total\{reason="throttled"\} [1-9]/);
  }, 120_000);
});
