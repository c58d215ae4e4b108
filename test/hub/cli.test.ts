// The hub CLI dispatcher and SIGHUP reload planning, in-process (the real process is in
// cli.int.test.ts): usage errors exit 2, help never reaches a command, unknown config keys from
// the environment are refused, a reload applies only the log level and names the rest.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type CliIo, COMMANDS, runCli } from '../../hub/cli.js';
import { applyReload, changedPaths, planReload } from '../../hub/cli-reload.js';
import { createLogger } from '../../hub/common/log.js';
import { hubConfigSchema, loadHubConfig } from '../../hub/config.js';
import { tempDir } from './fixtures.js';

function io(env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const cli: CliIo = { out: (t) => out.push(t), err: (t) => err.push(t), env, stopSignal: () => new Promise(() => undefined), onReload: () => undefined };
  return { cli, out, err };
}

describe('hub cli dispatcher', () => {
  it('help wins over every command; unknown commands and bad usage exit 2', async () => {
    const a = io();
    expect(await runCli(['config', 'check', '--help'], a.cli)).toBe(0);
    expect(a.out.join('')).toContain('hub run [--config FILE]');
    for (const c of COMMANDS) for (const [usage] of c.help) expect(a.out.join('')).toContain(`hub ${usage}`);
    const b = io();
    expect(await runCli(['bogus'], b.cli)).toBe(2);
    expect(b.err.join('')).toContain('unknown command "bogus"');
    const c = io();
    expect(await runCli(['config', 'check'], c.cli)).toBe(2);
    expect(c.err.join('')).toContain('usage: hub config check FILE');
    const d = io();
    expect(await runCli(['run', '--nope'], d.cli)).toBe(2);
    expect(d.err.join('')).toContain('usage: hub [run]');
  });

  it('config check refuses an unknown key from the environment and a missing file', async () => {
    const dir = tempDir('cli');
    const file = join(dir, 'hub.yaml');
    writeFileSync(file, 'poll_interval_s: 5\n');
    const a = io({ GSMJOBS_HUB_POLL_INTERVALS: '5' });
    expect(await runCli(['config', 'check', file], a.cli)).toBe(2);
    expect(a.err.join('')).toContain('poll_intervals: unknown key');
    expect(a.err.join('')).toContain('did you mean poll_interval_s?');
    const b = io();
    expect(await runCli(['config', 'check', join(dir, 'missing.yaml')], b.cli)).toBe(2);
    expect(b.err.join('')).toContain('cannot read config file');
    const c = io({ GSMJOBS_HUB_CONFIG: join(dir, 'missing.yaml') });
    expect(await runCli(['config', 'check', file], c.cli)).toBe(0);
    expect(JSON.parse(c.out.join('')).poll_interval_s).toBe(5);
  });

  it('an unknown nested key inside a platform or remediation section is named with its path', () => {
    const dir = tempDir('cli');
    const file = join(dir, 'hub.yaml');
    writeFileSync(file, 'platforms:\n  - id: ar\n    name: AR\n    prometheus: { url: "http://x:9090", header: {} }\nremediation:\n  settle: 5\n');
    expect(() => loadHubConfig(file, {})).toThrow(/platforms\.0\.prometheus\.header: unknown key[^\n]*did you mean platforms\.0\.prometheus\.headers\?[\s\S]*remediation\.settle: unknown key[^\n]*remediation\.settle_s/);
  });
});

describe('hub reload plan', () => {
  const base = hubConfigSchema.parse({});
  it('changes only the log level and names what needs a restart (secrets by name only)', () => {
    const next = hubConfigSchema.parse({ log: { level: 'debug' }, poll_interval_s: 5, admin_token: 'a-new-admin-token-0123456789abcdefgh' });
    const plan = planReload(base, next, {});
    expect(plan.level).toEqual({ from: 'info', to: 'debug' });
    expect(plan.needRestart.sort()).toEqual(['admin_token', 'poll_interval_s']);
    expect(planReload(base, base, { LOG_LEVEL: 'warn' })).toEqual({ needRestart: [] });
    expect(changedPaths({ a: { b: 1, c: [1] } }, { a: { b: 2, c: [1, 2] } })).toEqual(['a.b', 'a.c']);
  });

  it('applyReload sets the level on every child logger; a bad file keeps the running config', () => {
    const lines: string[] = [];
    const log = createLogger('hub', { level: 'info', sink: { write: (l) => lines.push(l) } });
    const child = log.child('poller');
    const calls: string[] = [];
    const metrics = { succeeded: () => calls.push('ok'), failed: () => calls.push('failed') };
    const next = hubConfigSchema.parse({ log: { level: 'debug' }, poll_interval_s: 9 });
    const applied = applyReload(base, () => next, { log, metrics, now: () => 1 }, {});
    expect(applied.log.level).toBe('debug');
    expect(applied.poll_interval_s).toBe(base.poll_interval_s);
    child.debug('visible');
    expect(lines.some((l) => l.includes('"msg":"visible"'))).toBe(true);
    const kept = applyReload(applied, () => {
      throw new Error('broken file');
    }, { log, metrics, now: () => 2 }, {});
    expect(kept).toBe(applied);
    expect(calls).toEqual(['ok', 'failed']);
    expect(lines.at(-1)).toContain('broken file');
  });
});
