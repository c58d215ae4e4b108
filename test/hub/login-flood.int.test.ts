// A login flood against the real hub process (production bundle), issue 18. The attacker runs as
// its own process (login-flood-client.ts) at the lowest CPU priority (SCHED_IDLE: it uses only
// CPU nobody else wants, as an attacker on another host would cost this machine nothing), at a
// fixed rate: wrong passwords for a known site username from a few addresses (they back off) and
// unknown usernames from ever new 127.x.y.z addresses (no backoff catches them; the failure
// budget does), plus silent sockets from one address. /healthz is sampled on a fixed schedule
// (every 10 ms) through 1.5-s phases that repeat quiet (the attacker sends nothing: the baseline, a quiet
// hub under the machine's load of the moment), decoy (the same flood against a closed port: the
// attacker's own cost) and flood (against the broker). Asserted: /healthz p99 under the flood
// within 2x of the quiet hub's (the median over the phase windows of each window's p99, so one
// hiccup of a shared machine does not decide); most refusals are resets before the CONNECT is
// read; every refusal is counted exactly once; the log stays small; one address holds at most
// `pending_per_address` silent sockets, closed by the login deadline; an agent that logged in
// before gets in during the flood, and a new one from another address right after it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BROKER_LIMITS } from '../../hub/mqtt/limits.js';
import { freePort } from '../support/ports.js';
import { waitFor } from '../support/process.js';
import type { Phase } from './login-flood-client.js';
import { agentLogin, byPhase, type FloodHub, hubCounter, hubCpuSeconds, median, quantile, runFlood, sampleHealth, startFloodHub } from './login-flood-driver.js';

const PHASE_MS = 1_500;
const ROUNDS = 12;
const CYCLE: Phase[] = ['quiet', 'decoy', 'flood'];
const RATE = 600;
const IDLE_SOCKETS = 100;
const REASONS = ['bad_credentials', 'no_credentials', 'throttled', 'busy', 'timeout'];

let hub: FloodHub;

async function refusals(): Promise<number> {
  let n = 0;
  for (const reason of REASONS) n += await hubCounter(hub.base, 'gsmjobs_hub_mqtt_auth_failures_total', `reason="${reason}"`);
  return n;
}

beforeAll(async () => {
  hub = await startFloodHub({ sites: 3 });
  // The agent of s1 logs in once before the flood, so its address is known.
  expect((await agentLogin(hub, 's1', '127.0.50.1')).returnCode).toBe(0);
}, 60_000);

afterAll(async () => {
  expect(await hub?.stop()).toBe(0);
});

describe('MQTT login flood over the real hub process', () => {
  it('keeps /healthz p99 within 2x of a quiet hub, refuses cheaply and truthfully, and lets agents in', async () => {
    await sampleHealth(hub.base, 1_000); // warm up
    const cpu0 = await hubCpuSeconds(hub.base);
    const counted0 = await refusals();
    const timeouts0 = await hubCounter(hub.base, 'gsmjobs_hub_mqtt_auth_failures_total', 'reason="timeout"');
    const startAt = Date.now() + 3_000; // the attacker process starts meanwhile
    const duration = CYCLE.length * ROUNDS * PHASE_MS;
    const net = 10 + (process.pid % 80);
    const at = (ms: number) => new Promise((r) => setTimeout(r, startAt + ms - Date.now()));
    const [samples, flood, agent] = await Promise.all([
      at(0).then(() => sampleHealth(hub.base, duration, 10)),
      runFlood({ port: hub.mqttPort, decoyPort: await freePort(), phaseMs: PHASE_MS, startAt, durationMs: duration, rate: RATE, parallel: 1000, knownUsername: 'site/fl/s2', idle: IDLE_SOCKETS, net, cycle: CYCLE }),
      // The agent of s1 reconnects in the middle of a flood phase.
      at(5 * PHASE_MS + PHASE_MS / 2).then(() => agentLogin(hub, 's1', '127.0.50.1')),
    ]);
    const cpu1 = await hubCpuSeconds(hub.base);
    const counted = (await refusals()) - counted0;
    const timeouts = (await hubCounter(hub.base, 'gsmjobs_hub_mqtt_auth_failures_total', 'reason="timeout"')) - timeouts0;
    const { quiet, decoy, flood: busy } = byPhase(samples, startAt, PHASE_MS, CYCLE, CYCLE.length * ROUNDS);
    const p = (xs: number[], q: number) => quantile(xs, q).toFixed(2);
    const log = hub.proc.output();
    const loginLines = log.split('\n').filter((l) => l.includes('mqtt login'));
    const dropped = flood.outcomes.dropped ?? 0;
    const ratio = median(busy.windows) / median(quiet.windows);
    console.log(
      `login flood ${ROUNDS} x ${PHASE_MS / 1000} s at ${RATE}/s (attacker SCHED_IDLE): ${flood.started} CONNECTs to the broker (${flood.decoy} to the closed port), outcomes ${JSON.stringify(flood.outcomes)}, skipped ${flood.skipped}; ` +
        `silent sockets ${IDLE_SOCKETS}: ${flood.idleClosed} reset, ${flood.idleOpen} held; /healthz p50/p99 ms (samples): quiet hub ${p(quiet.all, 0.5)}/${p(quiet.all, 0.99)} (${quiet.all.length}), ` +
        `attacker on a closed port ${p(decoy.all, 0.5)}/${p(decoy.all, 0.99)} (${decoy.all.length}), flood ${p(busy.all, 0.5)}/${p(busy.all, 0.99)} (${busy.all.length}); ` +
        `p99 of each window: quiet ${quiet.windows.map((x) => x.toFixed(1)).join(',')} decoy ${decoy.windows.map((x) => x.toFixed(1)).join(',')} flood ${busy.windows.map((x) => x.toFixed(1)).join(',')}; ` +
        `p99 flood/quiet ${ratio.toFixed(2)} (windows' median; pooled ${(quantile(busy.all, 0.99) / quantile(quiet.all, 0.99)).toFixed(2)}), flood/closed port ${(median(busy.windows) / median(decoy.windows)).toFixed(2)}; ` +
        `hub CPU ${(cpu1 - cpu0).toFixed(2)} s over ${duration / 1000} s (${(((cpu1 - cpu0) / flood.started) * 1000).toFixed(3)} s per 1,000 refusals, idle phases included); ` +
        `refusals counted ${counted} (${timeouts} by the login deadline); login log lines ${loginLines.length}, log ${log.length} bytes; agent during flood ${agent.returnCode} in ${agent.ms.toFixed(0)} ms`,
    );
    // A flood: 600/s on an idle machine; the attacker runs on idle CPU only, so on a loaded one
    // it gets far fewer out (before issue 18, 19/s made /healthz 44x slower).
    expect(flood.started).toBeGreaterThan(300);
    // Most are reset before aedes reads them (addresses in backoff, no hash could start).
    expect(dropped).toBeGreaterThan(flood.started * 0.5);
    expect(Object.keys(flood.outcomes).every((o) => ['3', '4', 'dropped'].includes(o))).toBe(true);
    // Every refusal counted once: each flood CONNECT, and each silent socket reset beyond the cap.
    expect(counted).toBe(flood.started + flood.idleClosed);
    expect(flood.idleOpen).toBeLessThanOrEqual(BROKER_LIMITS.pending_per_address);
    expect(flood.idleClosed).toBeGreaterThanOrEqual(IDLE_SOCKETS - BROKER_LIMITS.pending_per_address);
    // Those held were closed by the login deadline (the run outlasts connect_timeout_ms).
    expect(duration + 3_000).toBeGreaterThan(BROKER_LIMITS.connect_timeout_ms);
    expect(timeouts).toBe(BROKER_LIMITS.pending_per_address);
    // The figure: p99 under the flood within 2x of a quiet hub's, phase by phase.
    expect(busy.all.length).toBeGreaterThan(600);
    expect(quiet.windows.length).toBe(ROUNDS);
    expect(ratio).toBeLessThan(2);
    expect(median(busy.all)).toBeLessThan(3 * median(quiet.all) + 2); // loose: a loaded machine's scheduling shows in the median
    expect(log).toContain('"refusal_at_accept":"handle"');
    expect(loginLines.length).toBeLessThanOrEqual(25);
    expect(log).not.toContain('c'.repeat(100));
    expect(agent.returnCode).toBe(0);
    // A new agent from another address gets in right after the flood (the budget is not overdrawn).
    const fresh = await waitFor(
      async () => {
        const r = await agentLogin(hub, 's3', '127.0.52.1');
        return r.returnCode === 0 ? r : null;
      },
      15_000,
      'a new agent to log in after the flood',
      200,
    );
    expect(fresh.returnCode).toBe(0);
  }, 120_000);
});
