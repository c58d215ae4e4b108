// `agent send` is the service's engine, run as a technician runs it (a child process) against
// the pty modem simulator: a temporary +CMS ERROR is retried [TS 27.005 3.2.5], three multipart
// messages from three runs carry three concatenation references [TS 23.040 9.2.3.24.1], an
// unanswered PDU is `uncertain` (exit 3), an SMS stored on the SIM is journaled before it is
// deleted [TS 27.005 3.4.1], and states that cannot heal end it within 10 s.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../agent/app.js';
import { agentConfigSchema } from '../../agent/config.js';
import { defaultBinding } from '../../agent/modem/stack.js';
import type { SimPty } from '../../agent/sim/pty.js';
import { silentLogger } from '../../hub/common/log.js';
import { agentConfig, rm, startBroker, startHubView, startSim, tmp, waitFor } from './support/rig.js';

const root = new URL('../..', import.meta.url).pathname;
let dir: string;
let sim: SimPty;

function agentCli(args: string[], extra: Record<string, string | undefined> = {}): Promise<{ code: number; out: string; stderr: string; ms: number }> {
  const started = Date.now();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    GSMJOBS_AGENT_DATA_DIR: join(dir, 'data'),
    GSMJOBS_AGENT_PLATFORM_ID: 'p1',
    GSMJOBS_AGENT_SITE_ID: 's1',
    GSMJOBS_AGENT_MODEM__PORT: sim.path,
    GSMJOBS_AGENT_MODEM__PIN: '2580',
    GSMJOBS_AGENT_MODEM__SYNC_TIMEOUT_S: '0.3',
    GSMJOBS_AGENT_MODEM__REGISTRATION_TIMEOUT_S: '3',
    GSMJOBS_AGENT_MODEM__SEND_TIMEOUT_S: '1.5',
    GSMJOBS_AGENT_SEND__RETRY_BASE_S: '0.2',
    GSMJOBS_AGENT_SEND__PER_MODEM_INTERVAL_S: '0',
    GSMJOBS_AGENT_SEND__PER_DESTINATION_INTERVAL_S: '0',
    ...extra,
  };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', join(root, 'agent/main.ts'), ...args],
      {
        cwd: root,
        env,
        timeout: 60_000,
      },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout, stderr, ms: Date.now() - started }),
    );
  });
}

const LONG = 'Проверка длинного сообщения: '.repeat(4); // UCS2, 116 characters: two parts

beforeAll(async () => {
  dir = tmp('gsmjobs-agent-send-');
  sim = await startSim(dir, { model: 'EC25', pin: '2580' });
}, 30_000);

afterAll(async () => {
  await sim?.stop();
  if (dir) rm(dir);
});

describe('agent send against the pty simulator', () => {
  // The SIM stays open once its PIN is entered, so the missing-PIN case runs first.
  it('gives up within 10 s, with one message and no modem reset, when no PIN is configured or the port is missing', async () => {
    // What starting node + tsx costs on this machine now, so the assertion is about the agent.
    const startup = (await agentCli(['send', '--help'])).ms;
    const noPin = await agentCli(['send', '--to', '+79161234567', '--text', 'x'], { GSMJOBS_AGENT_MODEM__PIN: undefined });
    expect(noPin.code).toBe(1);
    expect(noPin.out).toContain('not sent: the SIM asks for a PIN and none is configured. What to do: Put the PIN in modem.pin');
    expect(noPin.out).toContain('не отправлено: SIM-карта запрашивает PIN, а он не указан');
    expect(noPin.ms - startup).toBeLessThan(10_000);
    expect(noPin.stderr).toBe(''); // no JSON log lines without --verbose
    expect(noPin.ms).toBeLessThan(20_000);
    expect(sim.modem.pinAttempts).toBe(0);
    expect(sim.modem.sent).toHaveLength(0);

    const noPort = await agentCli(['send', '--to', '+79161234567', '--text', 'x'], { GSMJOBS_AGENT_MODEM__PORT: join(dir, 'absent') });
    expect(noPort.code).toBe(1);
    expect(noPort.out).toMatch(/not sent: cannot open the serial port/);
    expect(noPort.out).toMatch(/не отправлено: последовательный порт недоступен/);
    expect(noPort.ms - startup).toBeLessThan(10_000);
    expect(noPort.ms).toBeLessThan(20_000);
  }, 40_000);

  it('retries a temporary +CMS ERROR 41 with backoff, as the service does', async () => {
    sim.modem.cmsErrors.push(41);
    const r = await agentCli(['send', '--to', '+79161234567', '--text', 'retry me']);
    expect(r.out).toMatch(/temporary failure: Temporary failure \(\+CMS ERROR: 41\); try 1 of 5, next in [\d.]+ s/);
    expect(r.out).toMatch(/sent 1 part\(s\) to \+79161234567, TP-MR \d+/);
    expect(r.out).toMatch(/отправлено частей: 1/);
    expect(r.code).toBe(0);
    expect(sim.modem.sent.filter((s) => s.text === 'retry me')).toHaveLength(1);
  }, 30_000);

  it('--wait asks for a status report and prints it [TS 23.040 9.2.2.3]', async () => {
    const r = await agentCli(['send', '--to', '+79161234567', '--text', 'report please', '--wait', '20']);
    expect(r.out).toMatch(/status report: delivered \(TP-ST 0x0\)\nотчёт о доставке: доставлено/);
    expect(r.code).toBe(0);
    expect(sim.modem.sent.find((s) => s.text === 'report please')?.status_report).toBe(true);
  }, 40_000);

  it('fails at once on a permanent +CMS ERROR', async () => {
    sim.modem.cmsErrors.push(28);
    const r = await agentCli(['send', '--to', '+79161234567', '--text', 'never']);
    expect(r.code).toBe(1);
    expect(r.out).toContain('not sent: Unidentified subscriber (+CMS ERROR: 28)');
    expect(r.out).not.toContain('temporary failure');
  }, 30_000);

  it('gives three multipart messages sent by three runs three concatenation references', async () => {
    for (let i = 0; i < 3; i++) {
      const r = await agentCli(['send', '--to', '+79161234567', '--text', `${LONG}${i}`]);
      expect(r.out).toMatch(/sent 2 part\(s\)/);
      expect(r.code).toBe(0);
    }
    const parts = sim.modem.sent.filter((s) => s.concat);
    expect(parts).toHaveLength(6);
    const refs = [...new Set(parts.map((p) => p.concat?.ref))];
    expect(refs).toHaveLength(3);
    // Both parts of one message share its reference.
    expect(parts[0]?.concat?.ref).toBe(parts[1]?.concat?.ref);
    expect(JSON.parse(readFileSync(join(dir, 'data', 'concat-ref.json'), 'utf8'))).toHaveProperty('next');
  }, 60_000);

  it('keeps an SMS stored on the SIM: journaled in the data directory before it is deleted', async () => {
    sim.modem.receive('+79035550001', 'Питание включено');
    expect(sim.modem.storedCount).toBe(1);
    const r = await agentCli(['send', '--to', '+79161234567', '--text', 'with inbound']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('an SMS from +79035550001 was waiting on the SIM: kept in the data directory');
    const spooled = readFileSync(join(dir, 'data', 'inbound-spool.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { from: string; text: string });
    expect(spooled).toEqual([expect.objectContaining({ from: '+79035550001', text: 'Питание включено' })]);
    expect(sim.modem.storedCount).toBe(0);
    // The service, started next, publishes it on .../inbound and empties the spool.
    const broker = await startBroker(join(dir, 'broker'));
    const hub = await startHubView(broker.url);
    const base = agentConfig(dir, broker.url, sim.path);
    const agent = new Agent(agentConfigSchema.parse({ ...base, modem: { ...base.modem, pin: '2580' } }), { binding: await defaultBinding(), log: silentLogger });
    try {
      await agent.start();
      await waitFor(() => hub.inbound.length > 0, 15_000, 'spooled inbound published');
      expect(hub.inbound).toEqual([expect.objectContaining({ from: '+79035550001', text: 'Питание включено', platform_id: 'p1', site_id: 's1' })]);
      await waitFor(() => !existsSync(join(dir, 'data', 'inbound-spool.jsonl')), 5000, 'spool emptied');
      // While it runs, `agent send` refuses (the service holds the modem).
      const r2 = await agentCli(['send', '--to', '+79161234567', '--text', 'x']);
      expect(r2.code).toBe(1);
      expect(r2.out).toContain(`the agent service is running (pid ${process.pid}) and holds the modem`);
    } finally {
      await agent.stop();
      hub.client.end(true);
      await broker.stop();
    }
    expect(existsSync(join(dir, 'data', 'agent.pid'))).toBe(false);
  }, 60_000);

  it('says "uncertain" and exits 3 when the modem takes the PDU and never answers', async () => {
    sim.modem.hangNextSend = true;
    const r = await agentCli(['send', '--to', '+79161234567', '--text', 'into the void']);
    sim.modem.silent = false;
    expect(r.out).toMatch(/^uncertain: .*no answer from the modem/m);
    expect(r.out).toContain('неизвестно, отправлено ли');
    expect(r.code).toBe(3);
    expect(sim.modem.sent.filter((s) => s.text === 'into the void')).toHaveLength(1); // never resent
  }, 30_000);
});
