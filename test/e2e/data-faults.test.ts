// Faults on the data path, in the full setup (real Mosquitto, real Prometheus, exporter over the
// AddReality simulator, hub, agent over a pty modem): Prometheus stopped for a minute (nothing
// fires falsely, the hub says degraded, then recovers and fires what it missed, once), and the
// AddReality API failing (the exporter serves its cache; nothing fires on the stale state; the
// outage's change fires once when the API returns). Checked from the modem's SMS log.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addJob, executions, partsOf, PLATFORM, type Stack, startStack } from './stack.js';
import { E2E_LOG, expectSentOnce, scenarioText, waitExecution } from './support/checks.js';
import { sleep, until } from './support/child.js';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ broker: 'mosquitto', pollIntervalS: 2, scrapeIntervalS: 1, exporterRefreshS: 1, ...(E2E_LOG ? { onLine: E2E_LOG } : {}) });
}, 150_000);

afterAll(async () => {
  await stack?.stop();
}, 60_000);

async function readyz(): Promise<{ code: number; body: Record<string, unknown> }> {
  const res = await fetch(`${stack.hub.url}/readyz`);
  return { code: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function hubMetric(name: string): Promise<number> {
  const text = await (await fetch(`${stack.hub.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : NaN;
}

describe('Prometheus stops for a while', () => {
  it('nothing fires falsely, /readyz and metrics say degraded; after it returns the missed change fires once', async () => {
    const poll = stack.options.pollIntervalS * 1000;
    const text = scenarioText('30006', 'Prometheus остановлен');
    const jobId = await addJob(stack, '30006', text);
    await until(async () => (await readyz()).code === 200, 20_000, 'hub ready');
    const smsBefore = stack.modem.sms().length;
    const degradedBefore = await hubMetric('gsmjobs_hub_degraded_cycles_total');

    await stack.prometheus.stop();
    const down = await until(async () => {
      const r = await readyz();
      return r.code === 503 ? r : undefined;
    }, poll * 3 + 5000, '/readyz 503');
    expect(down.body).toMatchObject({ status: 'degraded', prometheus: 'down', mqtt: 'up' });
    await stack.sim.setOnline('30006', false);
    // A minute without Prometheus (as the issue asks): no data is not "offline", nothing fires.
    await sleep(60_000);
    expect(await hubMetric('gsmjobs_hub_prometheus_up')).toBe(0);
    expect(await hubMetric('gsmjobs_hub_degraded_cycles_total')).toBeGreaterThanOrEqual((Number.isNaN(degradedBefore) ? 0 : degradedBefore) + 2);
    expect(await executions(stack, jobId)).toHaveLength(0);
    expect(await executions(stack)).toHaveLength(0);
    expect(stack.modem.sms()).toHaveLength(smsBefore);

    await stack.prometheus.start();
    await until(async () => (await readyz()).code === 200, 30_000, 'hub ready again');
    expect(await hubMetric('gsmjobs_hub_prometheus_up')).toBe(1);
    await waitExecution(stack, jobId, ['delivered'], 30_000);
    await sleep(poll * 2);
    expectSentOnce(stack, text);
    expect(await executions(stack, jobId)).toHaveLength(1);
    // The watched device of the seeded job stayed online: the gap fired nothing.
    expect(await executions(stack)).toHaveLength(0);
  }, 150_000);
});

describe('the AddReality API fails', () => {
  it('the exporter serves its cache, nothing fires on the stale state; the change fires once when the API returns', async () => {
    const poll = stack.options.pollIntervalS * 1000;
    const text = scenarioText('30007', 'API AddReality недоступен');
    const jobId = await addJob(stack, '30007', text);
    await until(async () => (await readyz()).code === 200, 30_000, 'hub ready');
    await stack.sim.fail({ mode: 'http', status: 503 });
    const accountDown = new RegExp(`signage_exporter_account_up\\{[^}]*platform_id="${PLATFORM}"[^}]*\\} 0`);
    await until(async () => accountDown.test(await (await fetch(`${stack.exporter.url}/metrics`)).text()), 20_000, 'exporter account down');
    await stack.sim.setOnline('30007', false);
    await sleep(poll * 3 + 1000);

    // Prometheus still gets the cached state (online), marked by the exporter's health metrics.
    const res = await fetch(`${stack.exporter.url}/metrics`);
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(body).toMatch(new RegExp(`signage_device_online\\{[^}]*device_id="30007"[^}]*\\} 1`));
    expect(body).toMatch(accountDown);
    const cached = await stack.prometheus.query(`signage_device_online{platform_id="${PLATFORM}",device_id="30007"}`);
    expect(cached.map((s) => s.value[1])).toEqual(['1']);
    const up = await stack.prometheus.query(`signage_exporter_account_up{platform_id="${PLATFORM}"}`);
    expect(up.map((s) => s.value[1])).toEqual(['0']);
    expect(await executions(stack, jobId)).toHaveLength(0);
    expect(partsOf(stack, text)).toHaveLength(0);
    expect((await readyz()).code).toBe(200);

    await stack.sim.fail('off');
    await waitExecution(stack, jobId, ['delivered'], 30_000);
    await sleep(poll * 2);
    expectSentOnce(stack, text);
    expect(await executions(stack, jobId)).toHaveLength(1);
    expect(await executions(stack)).toHaveLength(0);
  }, 90_000);
});

describe('the AddReality API fails while the cached state says offline', () => {
  it('a job does not fire on the stale offline state (staleness guard), nor after the device is back', async () => {
    const poll = stack.options.pollIntervalS * 1000;
    const text = scenarioText('30008', 'устаревшие данные');
    // The device is offline when the API goes away, and comes back during the outage: the
    // exporter's cache (and so Prometheus) still says offline, marked by account_up 0.
    await stack.sim.setOnline('30008', false);
    await until(async () => (await stack.prometheus.query(`signage_device_online{platform_id="${PLATFORM}",device_id="30008"}`)).some((s) => s.value[1] === '0'), 20_000, 'offline seen by Prometheus');
    await stack.sim.fail({ mode: 'http', status: 503 });
    await until(async () => (await stack.prometheus.query(`signage_exporter_account_up{platform_id="${PLATFORM}"}`)).some((s) => s.value[1] === '0'), 20_000, 'account down seen by Prometheus');
    await stack.sim.setOnline('30008', true);
    const jobId = await addJob(stack, '30008', text);
    await sleep(poll * 4 + 1000);
    expect((await stack.prometheus.query(`signage_device_online{platform_id="${PLATFORM}",device_id="30008"}`)).map((s) => s.value[1])).toEqual(['0']);
    expect(await executions(stack, jobId)).toHaveLength(0);

    await stack.sim.fail('off');
    await until(async () => (await stack.prometheus.query(`signage_device_online{platform_id="${PLATFORM}",device_id="30008"}`)).some((s) => s.value[1] === '1'), 20_000, 'fresh online state');
    await sleep(poll * 2);
    expect(await executions(stack, jobId)).toHaveLength(0);
    expect(partsOf(stack, text)).toHaveLength(0);
  }, 90_000);
});
