// The hub's command line as an operator uses it, on the real process (`node --import tsx
// hub/main.ts`): --help and --version start nothing, `config check` names unknown keys with a
// "did you mean" and masks secrets, SIGHUP reloads the log level from a good file and keeps
// running on a bad one, build info and reload metrics on /metrics, a clean SIGTERM logs info.
import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../support/ports.js';
import { startProcess, waitFor } from '../support/process.js';
import { tempDir } from './fixtures.js';

const root = new URL('../..', import.meta.url).pathname;
const hubArgs = ['--import', 'tsx', join(root, 'hub/main.ts')];

function hubCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [...hubArgs, ...args], { cwd: root, env: { ...process.env, ...env }, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

async function portOpen(port: number): Promise<boolean> {
  try {
    await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(1000) });
    return true;
  } catch {
    return false;
  }
}

describe('hub command line', () => {
  it('--help and --version print and exit 0 without starting anything', async () => {
    const dir = tempDir('cli');
    const port = await freePort();
    const env = { GSMJOBS_HUB_HTTP__PORT: String(port), GSMJOBS_HUB_DATA_DIR: join(dir, 'data'), GSMJOBS_HUB_MQTT__PORT: String(await freePort()) };
    const [help, version] = await Promise.all([hubCli(['run', '--config', 'missing.yaml', '--help'], env), hubCli(['--version'], env)]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/hub config check FILE/);
    expect(help.stdout).toMatch(/2 {2}configuration or usage error/);
    expect(version.code).toBe(0);
    expect(version.stdout).toMatch(/^gsmjobs-hub \d+\.\d+\.\d+ \(revision \S+, node v\d+/);
    for (const r of [help, version]) expect(r.stdout + r.stderr).not.toMatch(/listening|hub started/);
    expect(existsSync(join(dir, 'data'))).toBe(false);
    expect(await portOpen(port)).toBe(false);
  }, 60_000);

  it('config check: unknown keys exit 2 with did-you-mean; a valid file prints the effective config with secrets masked', async () => {
    const dir = tempDir('cli');
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'http:\n  prot: 8081\npoll_intervl_s: 10\nremediation:\n  settle_s: 0\n');
    const good = join(dir, 'good.yaml');
    writeFileSync(
      good,
      [
        'admin_token: cli-admin-token-0123456789abcdefghij',
        'poll_interval_s: 7',
        'platforms:',
        '  - id: ar',
        '    name: AR',
        '    prometheus:',
        '      url: http://reader:prom-pass-4242@127.0.0.1:9090',
        '      headers: { X-Scope-OrgID: tenant-secret-77 }',
      ].join('\n'),
    );
    const [b, g] = await Promise.all([hubCli(['config', 'check', bad]), hubCli(['config', 'check', good], { GSMJOBS_HUB_HTTP__PORT: '9999', GSMJOBS_HUB_CONFIG: bad })]);
    expect(b.code).toBe(2);
    expect(b.stderr).toContain('http.prot: unknown key');
    expect(b.stderr).toContain('did you mean http.port?');
    expect(b.stderr).toContain('poll_intervl_s: unknown key');
    expect(b.stderr).toContain('did you mean poll_interval_s?');
    expect(b.stdout).toBe('');
    expect(g.code).toBe(0);
    const effective = JSON.parse(g.stdout) as { poll_interval_s: number; http: { port: number }; admin_token: string; platforms: Array<{ prometheus: { url: string; headers: Record<string, string> } }> };
    expect(effective.poll_interval_s).toBe(7);
    expect(effective.http.port).toBe(9999);
    expect(effective.admin_token).toBe('***');
    expect(effective.platforms[0]!.prometheus).toEqual({ url: 'http://***@127.0.0.1:9090', headers: { 'X-Scope-OrgID': '***' } });
    for (const secret of ['cli-admin-token-0123456789abcdefghij', 'prom-pass-4242', 'tenant-secret-77']) expect(g.stdout + g.stderr).not.toContain(secret);
  }, 60_000);

  it('SIGHUP reloads the log level from a good file, keeps running on a bad one; SIGTERM logs info and exits 0', async () => {
    const dir = tempDir('cli');
    const file = join(dir, 'hub.yaml');
    const port = await freePort();
    // A Prometheus that accepts and never answers: a cycle is always in flight when SIGTERM comes.
    const sockets = new Set<Socket>();
    let queries = 0;
    const silent = createServer((s) => {
      sockets.add(s);
      s.on('data', () => queries++);
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const promPort = (silent.address() as { port: number }).port;
    const base = (level: string) =>
      ['http:', `  port: ${port}`, `data_dir: ${join(dir, 'data')}`, 'mqtt:', '  port: 0', 'poll_interval_s: 1', 'prometheus:', '  timeout_ms: 1500', 'log:', `  level: ${level}`, 'platforms:', '  - id: ar', '    name: AR', '    prometheus:', `      url: http://127.0.0.1:${promPort}`].join('\n');
    writeFileSync(file, base('info'));
    const proc = startProcess(process.execPath, [...hubArgs, '--config', file], { cwd: root, name: 'hub', env: { ...process.env, LOG_LEVEL: 'info' } });
    const metric = async (name: string) => {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith(name));
      return line;
    };
    try {
      await proc.waitForOutput(/gsmjobs hub listening/, 30_000);
      expect(await metric('gsmjobs_hub_build_info{')).toMatch(/^gsmjobs_hub_build_info\{version="\d+\.\d+\.\d+",revision="[^"]+",node_version="v\d+[^"]*"\} 1$/);
      expect(await metric('gsmjobs_hub_config_last_reload_successful')).toBe('gsmjobs_hub_config_last_reload_successful 1');
      const startedAt = Number((await metric('gsmjobs_hub_config_last_reload_success_timestamp_seconds'))!.split(' ')[1]);
      expect(startedAt).toBeGreaterThan(Date.now() / 1000 - 120);
      // At info no per-cycle debug line is written.
      await waitFor(async () => /gsmjobs_hub_poll_cycle_duration_seconds_count [2-9]/.test(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()), 20_000, 'two cycles');
      expect(proc.output()).not.toContain('"cycle done"');

      writeFileSync(file, base('debug'));
      proc.kill('SIGHUP');
      await proc.waitForOutput(/"config reloaded[^\n]*"log_level":"info -> debug"/, 15_000);
      await proc.waitForOutput(/"level":"debug","ns":"hub:poller","msg":"cycle done"/, 15_000);
      const okAt = Number((await metric('gsmjobs_hub_config_last_reload_success_timestamp_seconds'))!.split(' ')[1]);
      expect(okAt).toBeGreaterThanOrEqual(startedAt);

      // A misspelt key: the reload fails, the hub keeps running at debug, the metric says 0.
      writeFileSync(file, `${base('error')}\npoll_intervl_s: 5\n`);
      proc.kill('SIGHUP');
      await proc.waitForOutput(/"config reload failed[^\n]*poll_intervl_s: unknown key/, 15_000);
      expect(await metric('gsmjobs_hub_config_last_reload_successful')).toBe('gsmjobs_hub_config_last_reload_successful 0');
      const before = proc.output().split('"msg":"cycle done"').length;
      await waitFor(() => proc.output().split('"msg":"cycle done"').length > before + 1, 15_000, 'debug lines still written after the bad reload');
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);

      // A change that needs a restart is named, not applied.
      writeFileSync(file, base('info').replace('poll_interval_s: 1', 'poll_interval_s: 2'));
      proc.kill('SIGHUP');
      await proc.waitForOutput(/"config reloaded[^\n]*"log_level":"debug -> info"[^\n]*"needs_restart":\["poll_interval_s"\]/, 15_000);
      expect(await metric('gsmjobs_hub_config_last_reload_successful')).toBe('gsmjobs_hub_config_last_reload_successful 1');
      // SIGTERM while a cycle waits on the silent Prometheus.
      const seen = queries;
      await waitFor(() => queries > seen, 10_000, 'a query in flight');
    } finally {
      expect(await proc.stop(15_000)).toBe(0);
      for (const s of sockets) s.destroy();
      silent.close();
    }
    const out = proc.output();
    expect(out).toMatch(/"level":"info","ns":"hub","msg":"stopping","signal":"SIGTERM"/);
    expect(out).toMatch(/"level":"info","ns":"hub","msg":"cycle interrupted by stop"/);
    // The only error line is the bad reload.
    expect(out.split('\n').filter((l) => l.includes('"level":"error"')).map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual([expect.stringMatching(/^config reload failed/)]);
    expect(out).not.toContain('cycle failed');
  }, 120_000);
});
