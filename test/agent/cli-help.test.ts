// The agent's command line without a modem: help for every command needs no config, version,
// exit codes, strict config (unknown keys with their path and a "did you mean"), `config check`
// with secrets masked, the example config (every key commented, the deploy copy identical), and
// the SIGHUP reload rule (log level applied, other keys named, a bad file keeps the running config).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type CliIo, runCli } from '../../agent/cli.js';
import { agentConfigSchema, loadAgentConfig } from '../../agent/config.js';
import { LevelSwitch } from '../../agent/log-switch.js';
import { changedKeys, reloadConfig } from '../../agent/reload.js';
import { createLogger } from '../../hub/common/log.js';
import { rm, tmp } from './support/rig.js';

const root = new URL('../..', import.meta.url).pathname;
const example = join(root, 'agent', 'agent.example.yaml');

function io(env: NodeJS.ProcessEnv = {}) {
  const o = { out: '', err: '' };
  const cli: CliIo = { out: (t) => (o.out += t), err: (t) => (o.err += t), stopSignal: () => new Promise<string>(() => undefined), env };
  return { o, cli };
}

describe('agent --help', () => {
  it.each([
    [['--help'], /usage: agent <command>/],
    [['-h'], /usage: agent <command>/],
    [['help'], /usage: agent <command>/],
    [['send', '--help'], /usage: agent send --to NUMBER --text TEXT/],
    [['send', '--to', '+7916', '--bogus', '--help'], /usage: agent send/],
    [['doctor', '--help'], /usage: agent doctor/],
    [['run', '-h'], /usage: agent run/],
    [['help', 'ports'], /usage: agent ports/],
    [['config', '--help'], /usage: agent config check FILE/],
  ])('%j prints usage, exit 0, with no config and no modem', async (argv, usage) => {
    const { o, cli } = io();
    expect(await runCli(argv, cli)).toBe(0);
    expect(o.out).toMatch(usage);
    expect(o.err).toBe('');
  });

  it('documents the exit codes 0/1/2/3/78 in the usage', async () => {
    const { o, cli } = io();
    await runCli(['--help'], cli);
    for (const code of ['0 ', '1 ', '2 ', '3 ', '78 ']) expect(o.out).toContain(`\n  ${code}`);
    expect(o.out).toMatch(/3 +uncertain/);
  });

  it('--version prints version, revision and Node.js version; a bad option is a usage error (2)', async () => {
    const { o, cli } = io();
    expect(await runCli(['--version'], cli)).toBe(0);
    expect(o.out).toMatch(/^\d+\.\d+\.\d+ \(revision \S+, node v\d+/);
    expect(await runCli(['send', '--bogus'], cli)).toBe(2);
    expect(o.err).toMatch(/Unknown option '--bogus'/);
  });

  it('send without --to/--text is a usage error (2) in RU and EN', async () => {
    const { o, cli } = io({ GSMJOBS_AGENT_PLATFORM_ID: 'p1', GSMJOBS_AGENT_SITE_ID: 's1' });
    expect(await runCli(['send', '--to', '+79161234567'], cli)).toBe(2);
    expect(o.err).toContain('send needs --to <number> and --text <text> / нужны --to <номер> и --text <текст>');
  });
});

describe('strict config', () => {
  it('names an unknown key with its path and a "did you mean", exit 78', async () => {
    const dir = tmp('gsmjobs-agent-conf-');
    try {
      const file = join(dir, 'agent.yaml');
      writeFileSync(file, 'platform_id: p1\nsite_id: s1\nmodem:\n  baudrate: 9600\n  send_timout_s: 5\nlog_levl: debug\n');
      const { o, cli } = io();
      expect(await runCli(['config', 'check', file], cli)).toBe(78);
      expect(o.err).toContain('modem.baudrate: unknown key / неизвестный ключ (did you mean modem.baud_rate?');
      expect(o.err).toContain('modem.send_timout_s: unknown key / неизвестный ключ (did you mean modem.send_timeout_s?');
      expect(o.err).toContain('log_levl: unknown key');
      // The service refuses it the same way.
      expect(await runCli(['run', '--config', file], cli)).toBe(78);
      // An environment override with a typo too.
      expect(() => loadAgentConfig(undefined, { GSMJOBS_AGENT_PLATFORM_ID: 'p1', GSMJOBS_AGENT_SITE_ID: 's1', GSMJOBS_AGENT_MQTT__PASSWROD: 'x' })).toThrow(/mqtt\.passwrod: unknown key.*did you mean mqtt\.password/);
      // The file path variable is not a config key.
      expect(loadAgentConfig(undefined, { GSMJOBS_AGENT_PLATFORM_ID: 'p1', GSMJOBS_AGENT_SITE_ID: 's1', GSMJOBS_AGENT_CONFIG: file, GSMJOBS_AGENT_ENV_FILE: '/etc/gsmjobs/agent.env' }).site_id).toBe('s1');
    } finally {
      rm(dir);
    }
  });

  it('config check prints the effective config with secrets masked', async () => {
    const { o, cli } = io({ GSMJOBS_AGENT_MODEM__PIN: '2580', GSMJOBS_AGENT_MQTT__PASSWORD: 'site-secret-1', GSMJOBS_AGENT_MQTT__URL: 'mqtt://u:pw-in-url@127.0.0.1:1883' });
    expect(await runCli(['config', 'check', example], cli)).toBe(0);
    const shown = JSON.parse(o.out) as { modem: { pin: string; send_timeout_s: number }; mqtt: { password: string; url: string } };
    expect(shown.modem).toMatchObject({ pin: '***', send_timeout_s: 60 });
    expect(shown.mqtt.password).toBe('***');
    expect(shown.mqtt.url).toBe('mqtt://u:***@127.0.0.1:1883');
    expect(o.out).not.toMatch(/2580|site-secret-1|pw-in-url/);
    expect(o.err).toContain('configuration valid / конфигурация верна');
    expect(await runCli(['config', 'check'], cli)).toBe(2);
  });
});

describe('agent.example.yaml', () => {
  const text = readFileSync(example, 'utf8');

  it('is the deploy copy, byte for byte', () => {
    expect(readFileSync(join(root, 'agent', 'deploy', 'agent.example.yaml'), 'utf8')).toBe(text);
  });

  it('has every key of the schema, each with a comment', () => {
    const leaves = (shape: Record<string, unknown>, prefix = ''): string[] =>
      Object.entries(shape).flatMap(([k, v]) => {
        let s = v as { _zod: { def: { type: string; innerType?: unknown; shape?: Record<string, unknown> } } };
        while (s._zod.def.innerType && !s._zod.def.shape) s = s._zod.def.innerType as typeof s;
        return s._zod.def.shape ? leaves(s._zod.def.shape, `${prefix}${k}.`) : [`${prefix}${k}`];
      });
    const keys = leaves(agentConfigSchema.shape as Record<string, unknown>);
    expect(keys).toContain('modem.send_timeout_s');
    expect(keys.length).toBeGreaterThan(40);
    const lines = text.split('\n');
    for (const key of keys) {
      const name = key.split('.').at(-1) as string;
      const i = lines.findIndex((l) => new RegExp(`^\\s*(# )?${name}:`).test(l));
      expect(i, `${key} is missing from agent.example.yaml`).toBeGreaterThanOrEqual(0);
      const line = lines[i] as string;
      const commented = /\S\s+#\s+\S/.test(line.replace(/^\s*# /, '')) || /^\s*#/.test(lines[i - 1] ?? '');
      expect(commented, `${key} has no comment`).toBe(true);
    }
  });

  it('is valid as it stands (with ids, as install.sh installs it)', () => {
    expect(loadAgentConfig(example, {}).modem.port).toBe('/dev/gsmmodem');
  });
});

describe('SIGHUP reload rule', () => {
  const base = agentConfigSchema.parse({ platform_id: 'p1', site_id: 's1', log_level: 'warn' });

  it('applies log_level, names keys that need a restart, keeps running on a bad file', () => {
    const lines: string[] = [];
    const level = new LevelSwitch('warn');
    const log = createLogger('agent', { level: 'debug', sink: { write: (l) => lines.push(l) } });
    const marks: string[] = [];
    const metrics = { succeeded: () => marks.push('ok'), failed: () => marks.push('failed') };
    const next = { ...base, log_level: 'debug' as const, modem: { ...base.modem, port: '/dev/ttyUSB3' } };
    const cur = reloadConfig({ current: base, load: () => next, level, log, metrics, now: () => 0 });
    expect(level.level).toBe('debug');
    expect(cur.log_level).toBe('debug');
    expect(cur.modem.port).toBe(base.modem.port);
    expect(lines.join('\n')).toMatch(/"msg":"configuration reloaded","changes":\["log_level: warn -> debug"\]/);
    expect(lines.join('\n')).toMatch(/need a restart.*"keys":\["modem.port"\]/);
    const after = reloadConfig({ current: cur, load: () => {
      throw new Error('invalid config: log_levl: unknown key');
    }, level, log, metrics, now: () => 0 });
    expect(after).toBe(cur);
    expect(lines.at(-1)).toMatch(/configuration reload failed; keeping the running configuration.*log_levl/);
    expect(marks).toEqual(['ok', 'failed']);
    expect(changedKeys({ a: { b: 1, c: [1] } }, { a: { b: 1, c: [2] }, d: 1 })).toEqual(['a.c', 'd']);
  });
});
