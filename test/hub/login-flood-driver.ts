// Shared by the login-flood test and bench (issue 18): start the real hub process from its
// production bundle (dist/hub/index.mjs, built by test/support/global-bundles.ts or `npm run
// build`), give it a platform with sites, sample /healthz, read its CPU time, and run the
// attacker (login-flood-client.ts) as a separate process.
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { rawConnect } from '../support/mqtt-raw.js';
import { freePort } from '../support/ports.js';
import { type Proc, startProcess } from '../support/process.js';
import type { FloodPlan, FloodResult } from './login-flood-client.js';
import { tempDir } from './fixtures.js';

const root = new URL('../..', import.meta.url).pathname;
const ADMIN = 'login-flood-admin-token-0123456789abcdefghijklmnopqrstuvwxyz';

export interface FloodHub {
  proc: Proc;
  base: string;
  mqttPort: number;
  /** Holds the admin token file and the data dir (`data/`). */
  dir: string;
  /** MQTT passwords of the sites s1..sN of platform "fl", by username. */
  passwords: Map<string, string>;
  stop(): Promise<number | string | null>;
}

export interface FloodHubOptions {
  sites?: number;
  nodeArgs?: string[];
  env?: NodeJS.ProcessEnv;
  /** Restart: the data dir of an earlier hub (`FloodHub.dir`) and its sites' passwords; nothing is created. */
  again?: { dir: string; passwords: Map<string, string> };
}

export async function startFloodHub(o: FloodHubOptions = {}): Promise<FloodHub> {
  const dir = o.again?.dir ?? tempDir('login-flood');
  const tokenFile = join(dir, 'admin-token');
  writeFileSync(tokenFile, `${ADMIN}\n`);
  const port = await freePort();
  const mqttPort = await freePort();
  const proc = startProcess(process.execPath, [...(o.nodeArgs ?? []), join(root, 'dist/hub/index.mjs')], {
    cwd: root,
    name: 'hub',
    env: {
      ...process.env,
      GSMJOBS_HUB_HTTP__PORT: String(port),
      GSMJOBS_HUB_MQTT__PORT: String(mqttPort),
      GSMJOBS_HUB_DATA_DIR: join(dir, 'data'),
      GSMJOBS_HUB_ADMIN_TOKEN_FILE: tokenFile,
      ...o.env,
    },
  });
  await proc.waitForOutput(/gsmjobs hub listening/, 30_000);
  const base = `http://127.0.0.1:${port}`;
  const post = async (path: string, body: unknown) => {
    const r = await fetch(`${base}${path}`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const json = (await r.json()) as Record<string, unknown>;
    if (r.status >= 300) throw new Error(`${path}: ${r.status} ${JSON.stringify(json)}`);
    return json;
  };
  if (o.again) return { proc, base, mqttPort, dir, passwords: o.again.passwords, stop: () => proc.stop(10_000) };
  await post('/api/v1/platforms', { id: 'fl', name: 'Flood', prometheus: { url: 'http://127.0.0.1:9' } });
  const passwords = new Map<string, string>();
  for (let i = 1; i <= (o.sites ?? 3); i++) {
    const site = await post('/api/v1/sites?platform_id=fl', { id: `s${i}`, name: `Site ${i}` });
    passwords.set(`site/fl/s${i}`, site.mqtt_password as string);
  }
  return { proc, base, mqttPort, dir, passwords, stop: () => proc.stop(10_000) };
}

export interface Sample {
  /** Epoch ms the request was sent. */
  at: number;
  /** Its latency in ms. */
  ms: number;
}

/**
 * /healthz latencies for `ms`: one request every `everyMs` (a fixed schedule, so idle and flood
 * samples are taken alike), on a kept-alive connection.
 */
export async function sampleHealth(base: string, ms: number, everyMs = 20): Promise<Sample[]> {
  const out: Sample[] = [];
  const end = performance.now() + ms;
  let next = performance.now();
  while (performance.now() < end) {
    const t = performance.now();
    const at = Date.now();
    const r = await fetch(`${base}/healthz`);
    await r.arrayBuffer();
    out.push({ at, ms: performance.now() - t });
    next += everyMs;
    const wait = next - performance.now();
    if (wait > 0) await new Promise((res) => setTimeout(res, wait));
    else next = performance.now();
  }
  return out;
}

/** The hub's CPU seconds so far (all threads), from its /metrics. */
export async function hubCpuSeconds(base: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  return Number(/^gsmjobs_hub_process_cpu_seconds_total (\S+)$/m.exec(text)?.[1] ?? NaN);
}

/** A counter of the hub's /metrics (0 when absent). */
export async function hubCounter(base: string, name: string, labels: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line ? Number(line.split(' ').pop()) : 0;
}

/**
 * How the attacker process is scheduled: `idle` (SCHED_IDLE via `chrt --idle 0`, no root needed:
 * it runs only on CPU nobody else wants, as an attacker on another host would cost the hub's
 * machine nothing), `idle-pinned` (the same on the last CPU only, so that the kernel's work for
 * its loopback connections, which no priority defers, stays off the other CPUs), `nice`
 * (`nice -n 19`) or `normal` (competes with the hub for the same cores).
 */
export type FloodPriority = 'idle' | 'idle-pinned' | 'nice' | 'normal';

/** Run the attacker process to its end. */
export function runFlood(plan: FloodPlan, priority: FloodPriority = 'idle'): Promise<FloodResult> {
  const args = ['--import', 'tsx', join(root, 'test/hub/login-flood-client.ts'), JSON.stringify(plan)];
  const last = String(Math.max(0, availableParallelism() - 1));
  const [cmd, argv] =
    priority === 'idle'
      ? ['chrt', ['--idle', '0', process.execPath, ...args]]
      : priority === 'idle-pinned'
        ? ['taskset', ['-c', last, 'chrt', '--idle', '0', process.execPath, ...args]]
        : priority === 'nice'
          ? ['nice', ['-n', '19', process.execPath, ...args]]
          : [process.execPath, args];
  return new Promise((resolve, reject) => {
    execFile(
      cmd,
      argv,
      { cwd: root, timeout: plan.durationMs + 60_000, maxBuffer: 1 << 20 },
      (err, stdout, stderr) => {
        if (err) return reject(new Error(`flood client failed: ${err.message}\n${stderr}`));
        resolve(JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as FloodResult);
      },
    );
  });
}

/** A site agent's real login: the CONNACK code and time. */
export function agentLogin(hub: FloodHub, site: string, localAddress: string) {
  return rawConnect({ port: hub.mqttPort, localAddress, username: `site/fl/${site}`, password: hub.passwords.get(`site/fl/${site}`), timeoutMs: 15_000 });
}

export const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
};

/** /healthz latencies of one kind of phase: all of them, and the p99 of each phase window. */
export interface PhaseLatencies {
  all: number[];
  windows: number[];
}

/**
 * Split samples by the phase they were sent in (`cycle` repeated every `phaseMs` from
 * `startAt`, `phases` phases in all), leaving out the first `settleMs` of each phase
 * (connections of the previous one) and whatever was sent outside the phases.
 */
export function byPhase<P extends string>(samples: Sample[], startAt: number, phaseMs: number, cycle: P[], phases: number, settleMs = 250): Record<P, PhaseLatencies> {
  const out = {} as Record<P, PhaseLatencies>;
  for (const p of cycle) out[p] = { all: [], windows: [] };
  const windows = new Map<number, number[]>();
  for (const x of samples) {
    const n = Math.floor((x.at - startAt) / phaseMs);
    if (n < 0 || n >= phases || x.at - startAt - n * phaseMs < settleMs) continue;
    (out[cycle[n % cycle.length] as P] as PhaseLatencies).all.push(x.ms);
    windows.set(n, [...(windows.get(n) ?? []), x.ms]);
  }
  for (const [n, xs] of [...windows].sort((a, b) => a[0] - b[0])) (out[cycle[n % cycle.length] as P] as PhaseLatencies).windows.push(quantile(xs, 0.99));
  return out;
}

export const median = (xs: number[]): number => quantile(xs, 0.5);

/** CPU seconds (user + system, all threads) of a process so far, from /proc (Linux; 10-ms ticks). */
export function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime (fields 14 and 15)
}

/**
 * The process's CPU seconds spent in each kind of phase (`cycle` repeated every `phaseMs` from
 * `startAt`, `phases` phases in all), read at each phase boundary.
 */
export async function cpuByPhase<P extends string>(pid: number, startAt: number, phaseMs: number, cycle: P[], phases: number): Promise<Record<P, number>> {
  const out = {} as Record<P, number>;
  for (const p of cycle) out[p] = 0;
  await new Promise((r) => setTimeout(r, startAt - Date.now()));
  let last = processCpuSeconds(pid);
  for (let n = 0; n < phases; n++) {
    await new Promise((r) => setTimeout(r, startAt + (n + 1) * phaseMs - Date.now()));
    const now = processCpuSeconds(pid);
    out[cycle[n % cycle.length] as P] += now - last;
    last = now;
  }
  return out;
}
