// Two hubs on one PostgreSQL (issue 20): the e2e stack (simulator -> exporter -> real Prometheus
// -> real Mosquitto with site passwords -> agent -> pty modem) with its hub ("hub-a") on a
// throwaway PostgreSQL, plus a second hub process ("hub-b") from the same config on its own
// HTTP port and data dir. A sampler reads both hubs' /readyz a few times a second and keeps
// who led under which epoch, so tests can measure takeovers and check that two hubs never led
// at once and that epochs only grow.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { type PgCluster, startPostgres } from '../../support/postgres.js';
import { freePort } from '../../support/ports.js';
import { ADMIN_TOKEN, SITE, type Stack, type StackOptions, startStack } from '../stack.js';
import { type Child, sleep, startProgram, until } from './child.js';

export interface HubProc {
  readonly id: 'hub-a' | 'hub-b';
  readonly url: string;
  readonly child: Child;
  /** Stop it if it runs, start it again on the same config with extra environment (crash points); resolves when it serves. */
  restart(env?: NodeJS.ProcessEnv): Promise<void>;
  /** SIGKILL, as a power cut does; resolves when it is gone. */
  kill(): Promise<void>;
}

export interface Readyz {
  status: number;
  leader: boolean;
  epoch: number | null;
  store: 'up' | 'down';
  degraded: string[];
}

export async function readyz(url: string): Promise<Readyz | null> {
  try {
    const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(1500) });
    const b = (await res.json()) as Omit<Readyz, 'status'>;
    return { status: res.status, leader: b.leader, epoch: b.epoch, store: b.store, degraded: b.degraded };
  } catch {
    return null;
  }
}

export interface Sample {
  at: number;
  a: Readyz | null;
  b: Readyz | null;
}

/** Both hubs' /readyz, sampled together every `everyMs` until stopped. */
export class LeaderSampler {
  readonly samples: Sample[] = [];
  private running = true;
  private readonly loop: Promise<void>;

  constructor(hubs: readonly HubProc[], everyMs = 250) {
    const [a, b] = hubs as [HubProc, HubProc];
    this.loop = (async () => {
      while (this.running) {
        const at = Date.now();
        const [ra, rb] = await Promise.all([readyz(a.url), readyz(b.url)]);
        this.samples.push({ at, a: ra, b: rb });
        await sleep(Math.max(0, everyMs - (Date.now() - at)));
      }
    })();
  }

  /** The first sample at or after `since` in which `id` leads (epoch ms), waiting up to timeoutMs. */
  async leaderSince(id: HubProc['id'], since: number, timeoutMs = 30_000): Promise<Sample> {
    const key = id === 'hub-a' ? 'a' : 'b';
    return until(() => this.samples.find((s) => s.at >= since && s[key]?.leader === true), timeoutMs, `${id} leading`, 50);
  }

  /** Samples in which both hubs said they led. */
  bothLeading(): Sample[] {
    return this.samples.filter((s) => s.a?.leader === true && s.b?.leader === true);
  }

  /** The leaders' epochs in sampling order, one entry per change (must strictly grow). */
  leaderEpochs(): Array<{ hub: string; epoch: number }> {
    const out: Array<{ hub: string; epoch: number }> = [];
    for (const s of this.samples) {
      for (const [hub, r] of [['hub-a', s.a], ['hub-b', s.b]] as const) {
        if (!r?.leader || r.epoch === null) continue;
        const last = out.at(-1);
        if (!last || last.hub !== hub || last.epoch !== r.epoch) out.push({ hub, epoch: r.epoch });
      }
    }
    return out;
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}

export interface TwoHubs {
  pg: PgCluster;
  stack: Stack;
  hubs: [HubProc, HubProc];
  stop(): Promise<void>;
}

/** The stack with hub-a on a fresh PostgreSQL database, and hub-b beside it (following). */
export async function startTwoHubs(opts: StackOptions = {}): Promise<TwoHubs> {
  const pg = await startPostgres();
  let stack: Stack | null = null;
  let b: Child | null = null;
  try {
    const url = await pg.createDatabase('gsmjobs');
    stack = await startStack({ broker: 'mosquitto', bundledHub: true, pollIntervalS: 2, ...opts, hubConfig: { hub_id: 'hub-a', store: { kind: 'postgres', url }, ...opts.hubConfig } });
    const s = stack;
    const config = parse(readFileSync(join(s.dir, 'hub', 'hub.yaml'), 'utf8')) as Record<string, unknown> & { http: { port: number } };
    const portB = await freePort();
    mkdirSync(join(s.dir, 'hub-b'), { recursive: true });
    const fileB = join(s.dir, 'hub-b', 'hub.yaml');
    writeFileSync(fileB, stringify({ ...config, hub_id: 'hub-b', http: { ...config.http, port: portB }, data_dir: join(s.dir, 'hub-b', 'data') }));
    const startB = async (env: NodeJS.ProcessEnv = {}) => {
      b = startProgram('hub', 'hub/main.ts', ['--config', fileB], { bundle: true, env, ...(process.env.E2E_LOG ? { onLine: (l) => console.log(`hub-b ${l}`) } : {}) });
      await b.waitForOutput(/gsmjobs hub listening on/, 60_000);
    };
    await startB();
    const hubA: HubProc = {
      id: 'hub-a',
      url: s.hub.url,
      get child() {
        return s.hub.child;
      },
      restart: (env) => s.hub.restart(env),
      async kill() {
        await s.hub.child.stop(0, 'SIGKILL');
      },
    };
    const hubB: HubProc = {
      id: 'hub-b',
      url: `http://127.0.0.1:${portB}`,
      get child() {
        return b as Child;
      },
      async restart(env) {
        await b?.stop();
        await startB(env);
      },
      async kill() {
        await b?.stop(0, 'SIGKILL');
      },
    };
    return {
      pg,
      stack: s,
      hubs: [hubA, hubB],
      async stop() {
        await (b as Child | null)?.stop();
        await s.stop();
        await pg.destroy();
      },
    };
  } catch (err) {
    await (b as Child | null)?.stop(2000, 'SIGKILL');
    await stack?.stop();
    await pg.destroy();
    throw err;
  }
}

/** GET with the admin token on one hub (any hub serves the API). */
export async function adminGet<T = unknown>(hub: HubProc, path: string): Promise<T> {
  const res = await fetch(`${hub.url}${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`${hub.id} GET ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** A job on `device` (one per episode) whose command text is unique. */
export async function episodeJob(stack: Stack, device: string, text: string): Promise<string> {
  const job = await stack.hub.api('POST', '/api/v1/jobs', {
    name: text,
    device: { key_type: 'device_id', key: device, name: `player ${device}` },
    conditions: [{ metric: 'signage_device_online', op: '==', value: 0 }],
    for_s: 0,
    cooldown_s: 600,
    steps: [{ type: 'send', site_id: SITE, control_device_id: stack.seed.controlDeviceId, command: { kind: 'text', text } }],
  });
  return job.id as string;
}
