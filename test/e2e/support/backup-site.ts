// A second site agent for the backup-route tests (issue 19): its own modem simulator on its own
// pty and its own agent process (the agent's real CLI, as the stack runs the first one), for the
// stack's second site (OTHER_SITE) on the same broker. Stopped by the caller (stop()).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort } from '../../support/ports.js';
import { OTHER_SITE, PASSWORDS, PLATFORM, type SimSms, type Stack } from '../stack.js';
import { type Child, startProgram, until } from './child.js';

export interface BackupSite {
  site: string;
  agent: Child;
  modem: Child;
  /** The SMS parts this site's simulated modem accepted. */
  sms(): SimSms[];
  waitOnline(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startBackupSite(stack: Stack, onLine?: (program: string, line: string) => void): Promise<BackupSite> {
  const dir = join(stack.dir, `site-${OTHER_SITE}`);
  for (const d of ['modem', 'agent']) mkdirSync(join(dir, d), { recursive: true });
  const smsLog = join(dir, 'modem', 'sms.jsonl');
  writeFileSync(smsLog, '');
  const modem = startProgram('modem-sim-b', 'agent/sim/main.ts', ['--dir', join(dir, 'modem'), '--model', 'SIM800', '--log', smsLog, '--status-report-ms', '300'], onLine ? { onLine: (l) => onLine('modem-sim-b', l) } : {});
  const children: Child[] = [modem];
  const stop = async () => {
    await Promise.allSettled(children.filter((c) => !c.done).map((c) => c.stop()));
  };
  try {
    const modemPath = (await modem.waitForOutput(/modem-sim ready: \S+ at (\S+)/))[1] as string;
    const port = await freePort();
    const config = join(dir, 'agent', 'agent.yaml');
    writeFileSync(
      config,
      stringify({
        platform_id: PLATFORM,
        site_id: OTHER_SITE,
        data_dir: join(dir, 'agent', 'data'),
        modem: { port: modemPath, poll_interval_s: 2, reset_wait_s: 1, reopen_delay_s: 0.5, send_timeout_s: 10, recovery_backoff_s: 0.5, sync_timeout_s: 0.5 },
        mqtt: { url: stack.hub.mqttUrl, password: PASSWORDS.other, reconnect_s: 0.5, keepalive_s: 5 },
        send: { per_destination_interval_s: 0, per_modem_interval_s: 0, retry_base_s: 1 },
        http: { host: '127.0.0.1', port },
        log_level: 'info',
      }),
    );
    const agent = startProgram('agent-b', 'agent/main.ts', ['run', '--config', config], onLine ? { onLine: (l) => onLine('agent-b', l) } : {});
    children.push(agent);
    await until(async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).ok, 30_000, 'agent b /metrics');
    const site: BackupSite = {
      site: OTHER_SITE,
      agent,
      modem,
      sms: () =>
        readFileSync(smsLog, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as SimSms),
      async waitOnline(timeoutMs = 30_000) {
        await until(
          async () => {
            const s = await stack.hub.api('GET', `/api/v1/sites/${OTHER_SITE}`);
            return s.online === true && s.status?.modem?.state === 'up';
          },
          timeoutMs,
          `site ${OTHER_SITE} online with its modem up`,
          200,
        );
      },
      stop,
    };
    await site.waitOnline();
    return site;
  } catch (err) {
    await stop();
    throw err;
  }
}
