// The agent's SIGKILL crash matrix (issue 15): the real agent process (the production bundle),
// a real Mosquitto, the scripted modem on a socat pty. For each crash point the agent is killed
// `kills` times, each time while it handles a fresh job; the next agent process recovers the
// previous job before it meets the next one. The count is made at the modem (its own log of
// every PDU it received), per job: lost = no PDU and not reported `uncertain` (the agent claims
// more than happened, or forgets it), duplicated = more than one PDU, uncertain with / without
// the PDU at the modem. Points killed from outside hold the modem at a pause point first; the
// instants between two writes inside the agent are hit by its own crash hook
// (GSMJOBS_CRASH_AGENT_POINT / _JOB, agent/outbox/crash-point.ts; not under the GSMJOBS_AGENT_
// prefix, which holds config overrides).
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import YAML from 'yaml';
import type { CrashPoint } from '../../../agent/outbox/crash-point.js';
import type { SimPty } from '../../../agent/sim/pty.js';
import type { Mosquitto } from '../../support/mosquitto.js';
import { type Proc, startProcess } from '../../support/process.js';
import { type HubView, agentConfig, job, rm, startBroker, startHubView, startSim, tmp, waitFor } from './rig.js';

export type MatrixPoint = 'after_accept' | 'before_prompt' | 'after_prompt' | 'after_try' | 'after_pdu_written' | 'after_pdu' | 'after_cmgs';

/** How each point is reached: the modem holds (external SIGKILL) or the agent's own crash hook. */
const HOW: Record<MatrixPoint, { hold: 'prompt' | 'answer' } | { hook: CrashPoint }> = {
  after_accept: { hook: 'after_accept' },
  before_prompt: { hold: 'prompt' },
  after_prompt: { hook: 'after_prompt' },
  after_try: { hook: 'after_try' },
  after_pdu_written: { hook: 'after_pdu_written' },
  after_pdu: { hold: 'answer' },
  after_cmgs: { hook: 'after_part' },
};

export interface MatrixRow {
  point: MatrixPoint;
  how: string;
  kills: number;
  lost: number;
  duplicated: number;
  uncertain: number;
  uncertain_with_pdu: number;
  uncertain_without_pdu: number;
  sent_ok: number;
  /** Wall time of the row in seconds. */
  seconds: number;
}

const root = new URL('../../..', import.meta.url).pathname;
const FINAL = ['sent', 'delivered', 'uncertain', 'failed', 'expired'];

export interface Rig {
  dir: string;
  broker: Mosquitto;
  hub: HubView;
  sim: SimPty;
  configFile: string;
  bundle: string;
  agent: Proc | undefined;
}

/**
 * The agent as users run it: the production bundle (as `npm run build` makes it), built once per
 * file under test-artifacts/ so its one native addon resolves from node_modules. A process
 * starts in a fraction of the time tsx needs to compile the sources, which matters at 70 starts.
 */
async function bundleAgent(name: string): Promise<string> {
  const outfile = join(root, 'test-artifacts', `crash-agent-${name}`, 'index.mjs');
  await build({
    entryPoints: [join(root, 'agent/main.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    external: ['@serialport/bindings-cpp', 'bufferutil', 'utf-8-validate'],
    banner: { js: "import { createRequire as __gsmjobsCreateRequire } from 'node:module'; const require = __gsmjobsCreateRequire(import.meta.url);" },
    logLevel: 'warning',
  });
  return outfile;
}

export async function startRig(name: string): Promise<Rig> {
  const dir = tmp(`gsmjobs-crash-${name}-`);
  const bundle = await bundleAgent(name);
  const broker = await startBroker(join(dir, 'broker'));
  const hub = await startHubView(broker.url);
  const sim = await startSim(dir, { model: 'SIM800' });
  const configFile = join(dir, 'agent.yaml');
  const cfg = agentConfig(dir, broker.url, sim.path);
  // Jobs here ask for no status report: `sent` is final, so each round stays short.
  writeFileSync(configFile, YAML.stringify({ ...cfg, mqtt: { ...cfg.mqtt, keepalive_s: 2 }, modem: { ...cfg.modem, send_timeout_s: 10 }, log_level: 'info' }));
  const rig: Rig = { dir, broker, hub, sim, configFile, bundle, agent: undefined };
  // A first agent makes the persistent session (subscriptions) that holds jobs while it is dead.
  rig.agent = startAgent(rig);
  // Until the agent has subscribed, a job has nobody to go to: publish again until it is taken.
  const warm = job('warm-up', { text: 'warm up', status_report: false });
  let published = 0;
  await waitFor(
    async () => {
      if (finalState(rig, 'warm-up')) return true;
      if (!rig.hub.statesOf('warm-up').length && Date.now() - published > 2000) {
        published = Date.now();
        await rig.hub.publishJob(warm);
      }
      return false;
    },
    60_000,
    'the warm-up job sent',
  );
  await rig.agent.stop();
  rig.agent = undefined;
  return rig;
}

export async function stopRig(r: Rig | undefined): Promise<void> {
  if (!r) return;
  await r.agent?.stop();
  r.hub.client.end(true);
  await r.sim.stop();
  await r.broker.stop();
  rm(r.dir);
}

function startAgent(r: Rig, crash?: { point: CrashPoint; job: string }): Proc {
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'info' };
  delete env.GSMJOBS_CRASH_AGENT_POINT;
  delete env.GSMJOBS_CRASH_AGENT_JOB;
  if (crash) Object.assign(env, { GSMJOBS_CRASH_AGENT_POINT: crash.point, GSMJOBS_CRASH_AGENT_JOB: crash.job });
  return startProcess(process.execPath, [r.bundle, 'run', '--config', r.configFile], { name: 'agent', cwd: root, env });
}

function finalState(r: Rig, id: string): string | undefined {
  return r.hub.statesOf(id).find((s) => FINAL.includes(s));
}

/** Kill the agent `kills` times at `point`, recover, and count at the modem. */
export async function runPoint(r: Rig, point: MatrixPoint, kills: number): Promise<MatrixRow> {
  try {
    return await run(r, point, kills);
  } catch (err) {
    // Leave no agent behind to hold the port for the next point.
    r.agent?.kill('SIGKILL');
    await r.agent?.exited;
    r.agent = undefined;
    throw err;
  }
}

async function run(r: Rig, point: MatrixPoint, kills: number): Promise<MatrixRow> {
  const started = Date.now();
  const how = HOW[point];
  const ids: string[] = [];
  const text = (i: number) => `crash ${point} ${i}`;
  for (let i = 0; i < kills; i++) {
    const id = `${point.replace(/_/g, '-')}-${i}`;
    ids.push(id);
    const agent = startAgent(r, 'hook' in how ? { point: how.hook, job: id } : undefined);
    r.agent = agent;
    // The job before this one is settled by this agent before the next one meets its crash point.
    const prev = ids[i - 1];
    if (prev) await waitFor(() => finalState(r, prev), 60_000, `${prev} settled after the restart\n${agent.output().slice(-3000)}`);
    if ('hold' in how) r.sim.modem.hold = how.hold;
    await r.hub.publishJob(job(id, { text: text(i), to: `+7916${String(1000000 + i)}`, status_report: false }));
    if ('hold' in how) {
      await waitFor(() => r.sim.modem.held === how.hold, 30_000, `the modem holding at ${how.hold} for ${id}\n${agent.output().slice(-3000)}`);
      agent.kill('SIGKILL');
      await agent.exited;
      // The modem goes on as a real one would: its prompt / answer goes to a port nobody reads.
      r.sim.modem.release();
    } else {
      const code = await Promise.race([agent.exited, new Promise((res) => setTimeout(() => res('alive'), 60_000))]);
      if (code !== 'SIGKILL') throw new Error(`the agent did not die at ${how.hook} for ${id} (${String(code)}):\n${agent.output().slice(-3000)}`);
    }
  }
  // One last agent settles the last job and stops cleanly.
  const last = startAgent(r);
  r.agent = last;
  const lastId = ids.at(-1) as string;
  await waitFor(() => finalState(r, lastId), 60_000, `${lastId} settled after the last restart\n${last.output().slice(-3000)}`);
  await last.stop();
  r.agent = undefined;

  const row: MatrixRow = { point, how: 'hold' in how ? `modem holds the ${how.hold}, SIGKILL from outside` : `agent crash hook ${how.hook}`, kills, lost: 0, duplicated: 0, uncertain: 0, uncertain_with_pdu: 0, uncertain_without_pdu: 0, sent_ok: 0, seconds: 0 };
  ids.forEach((id, i) => {
    const pdus = r.sim.modem.sent.filter((s) => s.text === text(i)).length;
    const state = finalState(r, id);
    if (pdus > 1) row.duplicated++;
    if (state === 'uncertain') {
      row.uncertain++;
      if (pdus > 0) row.uncertain_with_pdu++;
      else row.uncertain_without_pdu++;
    } else if (pdus === 0) row.lost++;
    else if (pdus === 1 && (state === 'sent' || state === 'delivered')) row.sent_ok++;
  });
  row.seconds = Math.round((Date.now() - started) / 100) / 10;
  return row;
}

/** Write this half's rows and the whole matrix (every half present) to test-artifacts/. */
export function writeMatrix(half: string, rows: MatrixRow[]): void {
  const dir = join(root, 'test-artifacts');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `crash-matrix-agent.${half}.json`), `${JSON.stringify(rows, null, 2)}\n`);
  const order: MatrixPoint[] = ['after_accept', 'before_prompt', 'after_prompt', 'after_try', 'after_pdu_written', 'after_pdu', 'after_cmgs'];
  const all = readdirSync(dir)
    .filter((f) => /^crash-matrix-agent\.[a-z0-9-]+\.json$/.test(f))
    .flatMap((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as MatrixRow[])
    .sort((a, b) => order.indexOf(a.point) - order.indexOf(b.point));
  writeFileSync(join(dir, 'crash-matrix-agent.json'), `${JSON.stringify({ generated_at: new Date().toISOString(), rows: all }, null, 2)}\n`);
  console.table(rows);
}
