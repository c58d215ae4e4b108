// A login flood against the real hub process (production bundle), issue 18. The attacker runs as
// its own process (login-flood-client.ts) at a fixed rate: wrong passwords for a known site
// username from a few addresses (they back off) and unknown usernames from ever new 127.x.y.z
// addresses (no backoff catches them; the failure budget does), plus silent sockets from one
// address. /healthz is sampled on a fixed schedule through alternating 2-s phases: the same
// attacker flooding a closed port (the baseline: its own CPU and the machine's load of the
// moment, the hub idle) and flooding the broker. Asserted: /healthz p99 within 3x of that
// baseline (the 2x target against a quiet hub is measured by `npm run bench -- login-flood`: on
// a loaded 2-core CI the attacker, the hashing thread and other suites compete with the hub);
// most refusals are resets before the CONNECT is read; every refusal is counted exactly once;
// the log stays small; one address holds at most `pending_per_address` silent sockets, closed
// by the login deadline; an agent that logged in before gets in during the flood, and a new one
// from another address right after it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BROKER_LIMITS } from '../../hub/mqtt/limits.js';
import { freePort } from '../support/ports.js';
import { waitFor } from '../support/process.js';
import { agentLogin, type FloodHub, hubCounter, hubCpuSeconds, quantile, runFlood, type Sample, sampleHealth, startFloodHub } from './login-flood-driver.js';

const PHASE_MS = 2_000;
const ROUNDS = 6;
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
  it('keeps /healthz p99 within 3x of its baseline, refuses cheaply and truthfully, and lets agents in', async () => {
    await sampleHealth(hub.base, 1_000); // warm up
    const quiet = (await sampleHealth(hub.base, 3_000, 15)).map((x) => x.ms);
    const cpu0 = await hubCpuSeconds(hub.base);
    const counted0 = await refusals();
    const timeouts0 = await hubCounter(hub.base, 'gsmjobs_hub_mqtt_auth_failures_total', 'reason="timeout"');
    const startAt = Date.now() + 3_000; // the attacker process starts meanwhile
    const duration = 2 * ROUNDS * PHASE_MS;
    const net = 10 + (process.pid % 80);
    const at = (ms: number) => new Promise((r) => setTimeout(r, startAt + ms - Date.now()));
    const [samples, flood, agent] = await Promise.all([
      at(0).then(() => sampleHealth(hub.base, duration, 15)),
      runFlood({ port: hub.mqttPort, decoyPort: await freePort(), phaseMs: PHASE_MS, startAt, durationMs: duration, rate: RATE, parallel: 1000, knownUsername: 'site/fl/s2', idle: IDLE_SOCKETS, net }),
      // The agent of s1 reconnects in the middle of a flood phase.
      at(3 * PHASE_MS + PHASE_MS / 2).then(() => agentLogin(hub, 's1', '127.0.50.1')),
    ]);
    const cpu1 = await hubCpuSeconds(hub.base);
    const counted = (await refusals()) - counted0;
    const timeouts = (await hubCounter(hub.base, 'gsmjobs_hub_mqtt_auth_failures_total', 'reason="timeout"')) - timeouts0;
    // Like with like: samples while the attacker floods a closed port (its own CPU cost, the
    // machine's load at that moment) against samples while it floods the broker; the first
    // 250 ms of each phase are left out on both sides (connections of the previous phase).
    const phase = (x: Sample) => ({ n: Math.floor((x.at - startAt) / PHASE_MS), into: (x.at - startAt) % PHASE_MS });
    const settled = samples.filter((x) => phase(x).into >= 250);
    const base = settled.filter((x) => phase(x).n % 2 === 0).map((x) => x.ms);
    const busy = settled.filter((x) => phase(x).n % 2 === 1).map((x) => x.ms);
    const [q50, q99, i50, i99, b50, b99] = [quantile(quiet, 0.5), quantile(quiet, 0.99), quantile(base, 0.5), quantile(base, 0.99), quantile(busy, 0.5), quantile(busy, 0.99)];
    const log = hub.proc.output();
    const loginLines = log.split('\n').filter((l) => l.includes('mqtt login'));
    const dropped = flood.outcomes.dropped ?? 0;
    console.log(
      `login flood ${ROUNDS} x ${PHASE_MS / 1000} s at ${RATE}/s: ${flood.started} CONNECTs to the broker (${flood.decoy} to the closed port), outcomes ${JSON.stringify(flood.outcomes)}, skipped ${flood.skipped}; ` +
        `silent sockets ${IDLE_SOCKETS}: ${flood.idleClosed} reset, ${flood.idleOpen} held; /healthz p50/p99 ms: quiet ${q50.toFixed(2)}/${q99.toFixed(2)} (${quiet.length}), ` +
        `baseline (attacker on a closed port) ${i50.toFixed(2)}/${i99.toFixed(2)} (${base.length}), flood ${b50.toFixed(2)}/${b99.toFixed(2)} (${busy.length}), p99 ratio ${(b99 / i99).toFixed(2)}; ` +
        `hub CPU ${(cpu1 - cpu0).toFixed(2)} s over ${duration / 1000} s (${(((cpu1 - cpu0) / flood.started) * 1000).toFixed(3)} s per 1,000 refusals); ` +
        `refusals counted ${counted} (${timeouts} by the login deadline); login log lines ${loginLines.length}, log ${log.length} bytes; agent during flood ${agent.returnCode} in ${agent.ms.toFixed(0)} ms`,
    );
    // A flood: at 600/s on a quiet machine, fewer when the machine is loaded (before issue 18, 19/s made /healthz 44x slower).
    expect(flood.started).toBeGreaterThan(500);
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
    // The 2x target is the bench's; here 3x, for a loaded CI machine (see the header).
    expect(busy.length).toBeGreaterThan(100);
    expect(b99).toBeLessThan(3 * i99);
    expect(b50).toBeLessThan(4 * i50 + 5); // loose: a loaded machine's scheduling shows in the median too
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
