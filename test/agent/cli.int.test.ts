// The CLI as a technician runs it, against the modem simulator's own CLI on a pty pair:
// `doctor` (all good, wrong PIN, missing port), `send`, `ports`.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Proc, startProcess } from '../support/process.js';
import { rm, tmp } from './support/rig.js';

const root = new URL('../..', import.meta.url).pathname;
let dir: string;
let sim: Proc;

function agentCli(args: string[], env: Record<string, string>): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', join(root, 'agent/main.ts'), ...args], { cwd: root, env: { ...process.env, LOG_LEVEL: 'error', GSMJOBS_AGENT_DATA_DIR: join(dir, 'data'), GSMJOBS_AGENT_PLATFORM_ID: 'p1', GSMJOBS_AGENT_SITE_ID: 's1', GSMJOBS_AGENT_MODEM__SYNC_TIMEOUT_S: '0.3', GSMJOBS_AGENT_MODEM__REGISTRATION_TIMEOUT_S: '3', ...env }, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}` });
    });
  });
}

beforeAll(async () => {
  dir = tmp('gsmjobs-agent-cli-');
  sim = startProcess(process.execPath, ['--import', 'tsx', join(root, 'agent/sim/main.ts'), '--dir', dir, '--model', 'E3372', '--pin', '2580', '--spam', '--log', join(dir, 'sms.jsonl')], { name: 'modem-sim', cwd: root });
  await sim.waitForOutput(/modem-sim ready/, 20_000);
}, 30_000);

afterAll(async () => {
  await sim?.stop();
  if (dir) rm(dir);
});

describe('agent CLI against the modem simulator CLI', () => {
  // A SIM stays unlocked once its PIN is entered (until power-off), so the missing-PIN case runs first.
  it('doctor explains a missing PIN and a missing port', async () => {
    const noPin = await agentCli(['doctor'], { GSMJOBS_AGENT_MODEM__PORT: join(dir, 'modem') });
    expect(noPin.code).toBe(1);
    expect(noPin.out).toMatch(/FAIL sim +the SIM asks for a PIN and none is configured\n +SIM-карта запрашивает PIN, а он не указан\n +what to do: Put the PIN in modem\.pin/);
    const noPort = await agentCli(['doctor'], { GSMJOBS_AGENT_MODEM__PORT: join(dir, 'absent') });
    expect(noPort.code).toBe(1);
    expect(noPort.out).toMatch(/FAIL port +.*absent does not exist/);
  }, 30_000);

  it('doctor says all is well with the right PIN', async () => {
    const r = await agentCli(['doctor'], { GSMJOBS_AGENT_MODEM__PORT: join(dir, 'modem'), GSMJOBS_AGENT_MODEM__PIN: '2580' });
    expect(r.out).toMatch(/OK {3}modem +huawei \/ E3372/);
    expect(r.out).toMatch(/OK {3}network +registered \(home\) on MTS RUS/);
    expect(r.out).toContain('All checks passed');
    expect(r.out).not.toContain('2580');
    expect(r.code).toBe(0);
  }, 30_000);

  it('send delivers one SMS through the modem', async () => {
    const r = await agentCli(['send', '--to', '+79161234567', '--text', 'Тест связи'], { GSMJOBS_AGENT_MODEM__PORT: join(dir, 'modem'), GSMJOBS_AGENT_MODEM__PIN: '2580' });
    expect(r.out).toMatch(/sent 1 part\(s\) to \+79161234567, TP-MR \d+/);
    expect(r.code).toBe(0);
    const log = readFileSync(join(dir, 'sms.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { to: string; text: string });
    expect(log.filter((s) => s.text === 'Тест связи')).toHaveLength(1);
  }, 30_000);
});
