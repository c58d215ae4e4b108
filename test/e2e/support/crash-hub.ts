// The hub crash matrix (issue 15): real hub processes that SIGKILL themselves at a chosen
// instant of a firing (GSMJOBS_CRASH_HUB_POINT / GSMJOBS_CRASH_HUB_JOB, hub/dispatch/crash-point.ts),
// restarted on the same data dir, on one stack (AddReality simulator -> exporter -> real
// Prometheus -> hub -> real Mosquitto -> agent -> pty modem simulator). Each episode takes one
// device offline; the hub fires its job and dies at the point; the next hub (armed for the next
// episode's job) starts on the same data. Counted per episode: SMS at the modem (exactly the
// job's text), distinct wire ids seen by a subscriber with the site's credentials, executions
// in the hub. Rows are merged into test-artifacts/crash-matrix-hub.json.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, expect } from 'vitest';
import { connectMqtt, executions, PASSWORDS, PLATFORM, SITE, type Stack, startStack } from '../stack.js';
import { ROOT, sleep, until } from './child.js';

export interface Episode {
  job_id: string;
  device: string;
  text: string;
  crashed: boolean;
  sms: number;
  wire_ids: number;
  publishes: number;
  executions: number;
  /** Seconds from the episode's start to the hub's death, to the next hub serving, to the SMS (0: pipelined, not waited for). */
  timing: { crash_s: number; restart_s: number; sms_s: number };
}

export interface CrashRow {
  point: string;
  agent: 'online' | 'offline';
  episodes: number;
  crashed: number;
  lost: number;
  duplicated: number;
  /** Episodes with more than one wire id on the site's job topic. */
  wire_id_conflicts: number;
  /** Job messages published on the site's topic (re-sends with the same wire id included). */
  publishes: number;
  wall_s: number;
  detail: Episode[];
}

/** Subscribes as the site (its credentials) to its job topic: wire ids per hub job. */
export class WireObserver {
  readonly byJob = new Map<string, { ids: Set<string>; publishes: number }>();
  private constructor(private readonly client: MqttClient) {}

  static async start(stack: Stack): Promise<WireObserver> {
    const client = await connectMqtt(stack.hub.mqttUrl, `site/${PLATFORM}/${SITE}`, PASSWORDS.site, { clientId: `crash-observer-${process.pid}`, reconnectPeriod: 500 });
    const o = new WireObserver(client);
    client.on('message', (_topic, payload) => {
      const j = JSON.parse(payload.toString()) as { job_id: string; execution_id: string };
      const e = o.byJob.get(j.job_id) ?? { ids: new Set<string>(), publishes: 0 };
      e.ids.add(j.execution_id);
      e.publishes++;
      o.byJob.set(j.job_id, e);
    });
    await client.subscribeAsync(`gsmjobs/v1/site/${PLATFORM}/${SITE}/job`, { qos: 1 });
    return o;
  }

  close(): Promise<void> {
    return this.client.endAsync(true);
  }
}

const exactly = (stack: Stack, text: string) => stack.modem.sms().filter((s) => s.text === text).length;

/**
 * One row: `episodes` firings, each killed at `point`. Devices are taken from `devices` (one per
 * episode, online before). With `agentOffline`, the agent is stopped before the device goes
 * offline and started after the hub restarted, so the hub dies while the job waits at the broker.
 */
export async function crashRow(stack: Stack, observer: WireObserver, point: string, devices: string[], agentOffline = false): Promise<CrashRow> {
  const started = Date.now();
  const tag = `${point}${agentOffline ? '-agent-offline' : ''}`;
  const plan: Episode[] = [];
  for (const [i, device] of devices.entries()) {
    const text = `crash ${tag} ${String(i + 1).padStart(2, '0')}`;
    const job = await stack.hub.api('POST', '/api/v1/jobs', {
      name: text,
      device: { key_type: 'device_id', key: device, name: `player ${device}` },
      conditions: [{ metric: 'signage_device_online', op: '==', value: 0 }],
      for_s: 0,
      cooldown_s: 600,
      steps: [{ type: 'send', site_id: SITE, control_device_id: stack.seed.controlDeviceId, command: { kind: 'text', text } }],
    });
    plan.push({ job_id: job.id as string, device, text, crashed: false, sms: 0, wire_ids: 0, publishes: 0, executions: 0, timing: { crash_s: 0, restart_s: 0, sms_s: 0 } });
  }
  const armFor = (i: number) => (plan[i] ? { GSMJOBS_CRASH_HUB_POINT: point, GSMJOBS_CRASH_HUB_JOB: plan[i].job_id } : {});
  // Pipelined (the points after the record): the next device goes offline while the hub is
  // down, so the restarted hub resumes episode i and fires episode i+1 (and dies) at once; it may
  // die before it re-sent episode i, which the hubs after it must then do. after_decide and the
  // agent-offline row go one episode at a time (with after_decide, a batch of two re-decided
  // episodes would die together every time).
  const pipelined = point !== 'after_decide' && !agentOffline;
  await stack.hub.restart(armFor(0));
  for (const [i, ep] of plan.entries()) {
    const t0 = Date.now();
    const since = () => Math.round((Date.now() - t0) / 100) / 10;
    if (agentOffline) await stack.agent.child.stop();
    if (!pipelined || i === 0) await stack.sim.setOnline(ep.device, false);
    const hub = stack.hub.child;
    const code = await Promise.race([hub.exited, sleep(60_000).then(() => 'timeout')]);
    ep.crashed = code === 'SIGKILL' && hub.output().includes(`crash point ${point} job ${ep.job_id}`);
    if (!ep.crashed) throw new Error(`${tag} #${i + 1}: the hub did not die at the point (${String(code)}):\n${hub.output().slice(-3000)}`);
    ep.timing.crash_s = since();
    const next = plan[i + 1];
    if (pipelined && next) await stack.sim.setOnline(next.device, false);
    await stack.hub.restart(armFor(i + 1));
    ep.timing.restart_s = since();
    if (process.env.CRASH_DEBUG) console.log(`restart ${tag} #${i + 1} after ${ep.timing.crash_s} s:\n${stack.hub.child.output().split('\n').map((l) => `${new Date().toISOString()} ${l.slice(0, 160)}`).join('\n')}`);
    if (agentOffline) await stack.agent.start();
    if (!pipelined) {
      await until(() => exactly(stack, ep.text) > 0, 60_000, `the SMS of ${tag} #${i + 1}`, 200);
      ep.timing.sms_s = since();
    }
  }
  await until(() => plan.every((ep) => exactly(stack, ep.text) > 0), 90_000, `every SMS of ${tag}`, 250);
  // Late duplicates (a re-fire, a re-send under another id) would come within a few cycles.
  await sleep(5_000);
  for (const ep of plan) {
    ep.sms = exactly(stack, ep.text);
    const seen = observer.byJob.get(ep.job_id);
    ep.wire_ids = seen?.ids.size ?? 0;
    ep.publishes = seen?.publishes ?? 0;
    ep.executions = (await executions(stack, ep.job_id)).length;
  }
  return {
    point,
    agent: agentOffline ? 'offline' : 'online',
    episodes: plan.length,
    crashed: plan.filter((e) => e.crashed).length,
    lost: plan.filter((e) => e.sms === 0).length,
    duplicated: plan.reduce((n, e) => n + Math.max(0, e.sms - 1), 0),
    wire_id_conflicts: plan.filter((e) => e.wire_ids > 1).length,
    publishes: plan.reduce((n, e) => n + e.publishes, 0),
    wall_s: Math.round((Date.now() - started) / 100) / 10,
    detail: plan,
  };
}

/** Merge rows into test-artifacts/crash-matrix-hub.json (two files write their halves) and print them. */
export function recordMatrix(rows: CrashRow[]): void {
  const dir = join(ROOT, 'test-artifacts');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'crash-matrix-hub.json');
  let old: CrashRow[];
  try {
    old = (JSON.parse(readFileSync(file, 'utf8')) as { rows: CrashRow[] }).rows;
  } catch {
    old = [];
  }
  const key = (r: CrashRow) => `${r.point}/${r.agent}`;
  const merged = [...old.filter((r) => !rows.some((n) => key(n) === key(r))), ...rows].sort((a, b) => key(a).localeCompare(key(b)));
  writeFileSync(file, `${JSON.stringify({ generated_at: new Date().toISOString(), rows: merged }, null, 2)}\n`);
  const table = rows.map((r) => `| ${r.point} | agent ${r.agent} | ${r.episodes} | ${r.crashed} | ${r.lost} | ${r.duplicated} | ${r.wire_id_conflicts} | ${r.publishes} | ${r.wall_s} s |`);
  console.log(['| crash point | agent | episodes | hub killed there | lost | duplicated | wire-id conflicts | job publishes | wall |', '| --- | --- | --- | --- | --- | --- | --- | --- | --- |', ...table].join('\n'));
}

/**
 * One crash-matrix file's world: a stack (real Mosquitto, the hub from its bundle) and a wire
 * observer started before its tests, the rows recorded and everything stopped after them.
 */
export function crashMatrixSuite(): { run(point: string, devices: string[], agentOffline?: boolean): Promise<CrashRow> } {
  let stack: Stack;
  let observer: WireObserver;
  const rows: CrashRow[] = [];
  beforeAll(async () => {
    stack = await startStack({ broker: 'mosquitto', pollIntervalS: 1, scrapeIntervalS: 1, exporterRefreshS: 1, devices: 60, statusReportMs: 100, bundledHub: true });
    observer = await WireObserver.start(stack);
  }, 120_000);
  afterAll(async () => {
    if (rows.length) recordMatrix(rows);
    await observer?.close();
    await stack?.stop();
  }, 60_000);
  return {
    async run(point, devices, agentOffline = false) {
      const row = await crashRow(stack, observer, point, devices, agentOffline);
      rows.push(row);
      return row;
    },
  };
}

/** Every episode of the row was killed at its point and then reached the modem exactly once, under one wire id and one execution. */
export function expectExactlyOnce(row: CrashRow, episodes: number): void {
  expect(row.crashed).toBe(episodes);
  expect(row.detail.map((e) => e.sms)).toEqual(row.detail.map(() => 1));
  expect(row.detail.map((e) => e.wire_ids)).toEqual(row.detail.map(() => 1));
  expect(row.detail.map((e) => e.executions)).toEqual(row.detail.map(() => 1));
  expect(row.lost + row.duplicated).toBe(0);
}
