// `agent run` as a real process: SIGHUP reloads log_level from the same file and logs what
// changed, a bad file is logged and the running config kept (the process lives on), the reload
// and build-info metrics are served and pass `promtool check metrics`, and /healthz names a
// missing port in English and Russian.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/ports.js';
import { type Proc, startProcess, waitFor } from '../support/process.js';
import { rm, tmp } from './support/rig.js';

const root = new URL('../..', import.meta.url).pathname;
const dir = tmp('gsmjobs-agent-reload-');
let agent: Proc | undefined;

afterAll(async () => {
  await agent?.stop();
  rm(dir);
});

const configText = (httpPort: number, mqttPort: number, extra: string) =>
  `platform_id: p1\nsite_id: s1\ndata_dir: ${join(dir, 'data')}\nmodem:\n  port: ${join(dir, 'no-modem')}\n  reopen_delay_s: 0.5\nmqtt:\n  url: mqtt://127.0.0.1:${mqttPort}\n  reconnect_s: 1\nhttp:\n  host: 127.0.0.1\n  port: ${httpPort}\n${extra}`;

async function get(url: string): Promise<{ status: number; body: string }> {
  const r = await fetch(url);
  return { status: r.status, body: await r.text() };
}

describe('agent run and SIGHUP', () => {
  it('reloads the log level, keeps running on a bad file, serves build and reload metrics', async () => {
    const [httpPort, mqttPort] = [await freePort(), await freePort()];
    const file = join(dir, 'agent.yaml');
    writeFileSync(file, configText(httpPort, mqttPort, 'log_level: warn\n'));
    agent = startProcess(process.execPath, ['--import', 'tsx', join(root, 'agent/main.ts'), 'run', '--config', file], { name: 'agent', cwd: root, env: { ...process.env, GSMJOBS_REVISION: 'test-rev' } });
    const base = `http://127.0.0.1:${httpPort}`;
    await waitFor(async () => (await get(`${base}/metrics`).catch(() => ({ status: 0 }))).status === 200, 20_000, '/metrics');
    const m1 = (await get(`${base}/metrics`)).body;
    expect(m1).toMatch(/gsmjobs_agent_build_info\{version="\d+\.\d+\.\d+",revision="test-rev",node_version="v\d+[^"]*"\} 1/);
    expect(m1).toMatch(/gsmjobs_agent_config_last_reload_successful 1/);
    expect(m1).toMatch(/gsmjobs_agent_sim_state\{state="unknown",modem="modem"\} 1/);
    // The missing port, in both languages, on /healthz.
    await waitFor(async () => (await get(`${base}/healthz`)).body.includes('последовательный порт'), 10_000, 'healthz error');
    const h = JSON.parse((await get(`${base}/healthz`)).body) as { ok: boolean; modem: string; error: string };
    expect(h).toMatchObject({ ok: false, modem: 'down' });
    expect(h.error).toMatch(/cannot open the serial port.* \/ последовательный порт недоступен/);
    // Info lines are hidden at warn.
    expect(agent.output()).not.toContain('"msg":"agent ready"');

    writeFileSync(file, configText(httpPort, mqttPort, 'log_level: debug\n'));
    agent.kill('SIGHUP');
    await agent.waitForOutput(/"msg":"configuration reloaded","changes":\["log_level: warn -> debug"\]/, 10_000);
    // Debug lines now show (the MQTT reconnects, the modem port retries).
    await agent.waitForOutput(/"level":"debug"/, 10_000);

    writeFileSync(file, configText(httpPort, mqttPort, 'log_level: debug\nlog_levl: error\n'));
    agent.kill('SIGHUP');
    await agent.waitForOutput(/configuration reload failed; keeping the running configuration.*log_levl: unknown key/, 10_000);
    const m2 = (await get(`${base}/metrics`)).body;
    expect(m2).toMatch(/gsmjobs_agent_config_last_reload_successful 0/);
    expect(agent.done).toBe(false);
    execFileSync('promtool', ['check', 'metrics'], { input: m2 });

    expect(await agent.stop()).toBe(0);
  }, 60_000);
});
