// The exporter as operators start it, one real process per test: `--help` and `--version` start
// nothing, `config check FILE` validates and masks secrets, and SIGHUP reloads a good file and
// keeps running on a bad one (issue 21).
import { readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Listening, listen } from '../../exporter/http/listen.js';
import { freePort } from '../support/ports.js';
import { type Proc, startProcess, waitFor } from '../support/process.js';
import { TOKEN, makeSim } from './helpers.js';

const root = new URL('../..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'gsmjobs-exp-cli-'));
const procs: Proc[] = [];
let simServer: Listening;

beforeAll(async () => {
  simServer = await listen(makeSim({ devices: 20, cubic_players: 2 }, Date.now).app, '127.0.0.1', 0);
});
afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop(5000)));
  await simServer?.close();
  rmSync(dir, { recursive: true, force: true });
});

const exporter = (args: string[], env: NodeJS.ProcessEnv = {}) => {
  const p = startProcess(process.execPath, ['--import', 'tsx', join(root, 'exporter/main.ts'), ...args], { cwd: root, env: { ...process.env, LOG_LEVEL: 'info', ...env }, name: 'exporter' });
  procs.push(p);
  return p;
};
const file = (name: string, text: string) => {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
};
/** Whether something accepts connections on the port. */
const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
const metric = (text: string, series: string) => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

describe('exporter command line (real processes)', () => {
  it('--help prints usage and exits 0 without opening its port, even with a config set', async () => {
    const port = await freePort();
    const cfg = file('help.yaml', `http: { port: ${port} }\ncache: { file: "" }\n`);
    const p = exporter(['--help'], { GSMJOBS_EXPORTER_CONFIG: cfg });
    expect(await p.exited).toBe(0);
    expect(p.output()).toMatch(/usage: exporter \[--config FILE\]/);
    expect(p.output()).toContain('Экспортер');
    expect(p.output()).not.toContain('listening');
    expect(await listening(port)).toBe(false);
  }, 60_000);

  it('--version names the package version and exits 0', async () => {
    const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
    const p = exporter(['--version']);
    expect(await p.exited).toBe(0);
    expect(p.output()).toMatch(new RegExp(`^gsmjobs-exporter ${version.replace(/\./g, '\\.')} \\(revision \\S+, node v\\d+`, 'm'));
  }, 60_000);

  it('config check prints the effective config with secrets masked; a misspelt key exits 2 with a suggestion', async () => {
    const secret = 'tok-check-5512ab';
    const good = file('good.yaml', `accounts:\n  main: { platform: addreality, platform_id: demo, base_url: "https://user:pw-9911@api.test", token: "${secret}" }\n`);
    const ok = exporter(['config', 'check', good]);
    expect(await ok.exited).toBe(0);
    const out = ok.output();
    expect(out).toContain('configuration valid');
    expect(out).toContain('"token": "***"');
    expect(out).toContain('https://***@api.test');
    expect(out).toContain('"interval_s": 60'); // defaults shown: the effective config
    expect(out).not.toContain(secret);
    expect(out).not.toContain('pw-9911');

    const bad = file('bad.yaml', `refresh: { intervl_s: 2 }\n`);
    const no = exporter(['config', 'check', bad]);
    expect(await no.exited).toBe(2);
    expect(no.output()).toMatch(/refresh\.intervl_s: unknown key.*did you mean refresh\.interval_s/);
  }, 60_000);

  it('SIGHUP reloads a good file (new account served) and keeps running on a bad one, saying why', async () => {
    const port = await freePort();
    const base = (accounts: string) => `http: { port: ${port} }\ncache: { file: "" }\nrefresh: { interval_s: 1 }\naccounts:\n${accounts}`;
    const main = `  main: { platform: addreality, platform_id: demo, base_url: "${simServer.url}", token_env: SIM_TOKEN }\n`;
    const cubic = `  cubic: { platform: cubicmedia, platform_id: demo, base_url: "${simServer.url}", macs: ["02:00:00:00:00:00"] }\n`;
    const cfg = file('run.yaml', base(main));
    const p = exporter(['--config', cfg], { SIM_TOKEN: TOKEN });
    await p.waitForOutput(/"msg":"listening"/, 60_000);
    const scrape = async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const first = await waitFor(async () => {
      const t = await scrape();
      return metric(t, 'signage_exporter_account_up{platform_id="demo",account="main"}') === 1 ? t : undefined;
    }, 30_000, 'main up');
    expect(metric(first, 'signage_exporter_config_last_reload_successful')).toBe(1);
    const loadedAt = metric(first, 'signage_exporter_config_last_reload_success_timestamp_seconds')!;
    expect(first).not.toContain('account="cubic"');

    // A good file with one more account.
    await new Promise((r) => setTimeout(r, 1100)); // the reload timestamp has second resolution
    writeFileSync(cfg, base(main + cubic));
    p.kill('SIGHUP');
    await p.waitForOutput(/configuration reloaded.*accounts\.cubic: added/, 30_000);
    const second = await waitFor(async () => {
      const t = await scrape();
      return metric(t, 'signage_exporter_account_up{platform_id="demo",account="cubic"}') === 1 ? t : undefined;
    }, 30_000, 'cubic up after reload');
    expect(second).toMatch(/^signage_device_online\{platform_id="demo",account="cubic",mac="02:00:00:00:00:00",/m);
    expect(metric(second, 'signage_exporter_config_last_reload_success_timestamp_seconds')).toBeGreaterThan(loadedAt);

    // A bad file: logged with the reason, the running configuration stays, the metric says so.
    writeFileSync(cfg, base(main + cubic).replace('refresh: { interval_s: 1 }', 'refresh: { intervl_s: 1 }'));
    p.kill('SIGHUP');
    await p.waitForOutput(/configuration reload failed; keeping the running configuration.*refresh\.intervl_s/, 30_000);
    const third = await scrape();
    expect(p.done).toBe(false);
    expect(metric(third, 'signage_exporter_config_last_reload_successful')).toBe(0);
    expect(metric(third, 'signage_exporter_account_up{platform_id="demo",account="cubic"}')).toBe(1);
    expect(p.output()).not.toContain(TOKEN);
    expect(await p.stop(10_000)).toBe(0);
  }, 120_000);
});
