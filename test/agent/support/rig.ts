// Integration rig: a real Mosquitto with the contract's users and ACL, the scripted modem on a
// socat pty pair, and a hub-side MQTT client that records what the agent publishes.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { type AgentStatus, type ExecutionUpdate, type JobRequest, examples, siteTopic, usernames } from '../../../hub/common/contract/index.js';
import { defaultBinding } from '../../../agent/modem/stack.js';
import { SimPty, type SimPtyOptions } from '../../../agent/sim/pty.js';
import { type Mosquitto, startMosquitto } from '../../support/mosquitto.js';
import { type Proc, startProcess, waitFor } from '../../support/process.js';

export const SITE = { platform_id: 'p1', site_id: 's1' };
export const SITE_USER = usernames.site(SITE);
export const PASSWORD = 'site-secret-1';

export interface HubView {
  client: MqttClient;
  updates: ExecutionUpdate[];
  statuses: AgentStatus[];
  inbound: unknown[];
  publishJob(job: JobRequest | string): Promise<void>;
  statesOf(id: string): string[];
}

export async function startBroker(dir: string): Promise<Mosquitto> {
  mkdirSync(dir, { recursive: true });
  return startMosquitto({ users: { [SITE_USER]: PASSWORD, hub: 'hub-secret' }, persistence: true, dir });
}

export async function startHubView(url: string): Promise<HubView> {
  const client = mqtt.connect(url, { username: 'hub', password: 'hub-secret', clientId: `test-hub-${process.pid}`, clean: false, reconnectPeriod: 200 });
  const view: HubView = {
    client,
    updates: [],
    statuses: [],
    inbound: [],
    publishJob: (job) =>
      new Promise((resolve, reject) =>
        client.publish(siteTopic(SITE, 'job'), typeof job === 'string' ? job : JSON.stringify(job), { qos: 1 }, (err) => (err ? reject(err) : resolve())),
      ),
    // QoS 1 is at least once: a redelivered update has the same seq, and the hub keeps one per seq.
    statesOf: (id) => [...new Map(view.updates.filter((u) => u.execution_id === id).map((u) => [u.seq, u] as const)).values()].sort((a, b) => a.seq - b.seq).map((u) => u.state),
  };
  client.on('message', (topic, payload) => {
    if (topic.endsWith('/job')) return;
    const body = JSON.parse(payload.toString()) as { type: string };
    if (topic.endsWith('/update')) view.updates.push(body as ExecutionUpdate);
    if (topic.endsWith('/status')) view.statuses.push(body as AgentStatus);
    if (topic.endsWith('/inbound')) view.inbound.push(body);
  });
  await new Promise<void>((resolve) => client.once('connect', () => resolve()));
  await client.subscribeAsync('gsmjobs/v1/site/+/+/#', { qos: 1 });
  return view;
}

export function job(id: string, extra: Partial<JobRequest> = {}): JobRequest {
  const now = Date.now();
  return { ...examples.exampleJob, ...SITE, execution_id: id, created_at: new Date(now).toISOString(), expires_at: new Date(now + 10 * 60_000).toISOString(), ...extra };
}

export async function startSim(dir: string, o: Partial<SimPtyOptions> = {}): Promise<SimPty> {
  const sim = new SimPty({ dir, binding: await defaultBinding(), model: 'SIM800', statusReportDelayMs: 50, logFile: join(dir, 'sms.jsonl'), ...o });
  await sim.start();
  return sim;
}

export function agentConfig(dir: string, brokerUrl: string, simPath: string) {
  return {
    platform_id: SITE.platform_id,
    site_id: SITE.site_id,
    data_dir: join(dir, 'data'),
    modem: { port: simPath, poll_interval_s: 0.3, registration_timeout_s: 3, reset_wait_s: 0.3, reopen_delay_s: 0.2, sync_timeout_s: 0.3, recovery_backoff_s: 0.2, send_timeout_s: 3 },
    mqtt: { url: brokerUrl, password: PASSWORD, reconnect_s: 0.3 },
    send: { per_destination_interval_s: 0, per_modem_interval_s: 0, retry_base_s: 0.1, retry_max_s: 0.5 },
    outbox: { housekeeping_s: 0.5 },
    http: { host: '127.0.0.1', port: 0 },
    log_level: 'warn' as const,
  };
}

export function tmp(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function rm(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export { waitFor };

const ROOT = new URL('../../..', import.meta.url).pathname;

/**
 * The agent as its own process: node itself (not the tsx wrapper, so that SIGKILL hits the
 * agent), log level info. `crash` arms a crash point (GSMJOBS_CRASH_AGENT_*); without it none is
 * inherited.
 */
export function startAgentProcess(configFile: string, crash?: { point: string; job: string }): Proc {
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'info' };
  delete env.GSMJOBS_CRASH_AGENT_POINT;
  delete env.GSMJOBS_CRASH_AGENT_JOB;
  if (crash) Object.assign(env, { GSMJOBS_CRASH_AGENT_POINT: crash.point, GSMJOBS_CRASH_AGENT_JOB: crash.job });
  return startProcess(process.execPath, ['--import', 'tsx', join(ROOT, 'agent/main.ts'), 'run', '--config', configFile], { name: 'agent', cwd: ROOT, env });
}

/** Stop what a rig file started; any part may be missing (a set-up that failed half way). */
export async function stopRig(r: { agent?: { stop(): Promise<unknown> }; hub?: HubView; sims?: Array<SimPty | undefined>; broker?: Mosquitto; dir?: string }): Promise<void> {
  await r.agent?.stop();
  r.hub?.client.end(true);
  for (const sim of r.sims ?? []) await sim?.stop();
  await r.broker?.stop();
  if (r.dir) rm(r.dir);
}
