import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, applyEnvOverrides, loadConfig } from '../../hub/common/config.js';

const schema = z.object({
  http: z.object({ port: z.number().int().min(1).max(65535).default(8080), host: z.string().default('127.0.0.1') }).default({ port: 8080, host: '127.0.0.1' }),
  mqtt: z.object({ url: z.string().url(), password: z.string().optional() }),
  sites: z.array(z.string()).default([]),
});

const files: Record<string, string> = {
  '/etc/a.yaml': 'mqtt:\n  url: mqtt://127.0.0.1:1883\nhttp:\n  port: 9000\n',
  '/etc/bad.yaml': 'mqtt: [unclosed',
  '/etc/list.yaml': '- a\n- b\n',
  '/run/secrets/mqtt': 's3cret\n',
};
const readFile = (p: string) => {
  const v = files[p];
  if (v === undefined) throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
  return v;
};

describe('loadConfig', () => {
  it('reads YAML, applies schema defaults', () => {
    const c = loadConfig(schema, { file: '/etc/a.yaml', envPrefix: 'T', env: {}, readFile });
    expect(c).toEqual({ http: { port: 9000, host: '127.0.0.1' }, mqtt: { url: 'mqtt://127.0.0.1:1883' }, sites: [] });
  });

  it('lets environment variables override nested fields, JSON-typed', () => {
    const c = loadConfig(schema, {
      file: '/etc/a.yaml',
      envPrefix: 'T',
      env: { T_HTTP__PORT: '7000', T_SITES: '["x","y"]', OTHER: '1' },
      readFile,
    });
    expect(c.http.port).toBe(7000);
    expect(c.sites).toEqual(['x', 'y']);
  });

  it('reads secrets from *_FILE variables', () => {
    const c = loadConfig(schema, { file: '/etc/a.yaml', envPrefix: 'T', env: { T_MQTT__PASSWORD_FILE: '/run/secrets/mqtt' }, readFile });
    expect(c.mqtt.password).toBe('s3cret');
  });

  it('names every invalid field with its path', () => {
    try {
      loadConfig(schema, { file: '/etc/a.yaml', envPrefix: 'T', env: { T_HTTP__PORT: '70000', T_MQTT__URL: 'nope' }, readFile });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const issues = (err as ConfigError).issues;
      expect(issues.some((i) => i.startsWith('http.port: '))).toBe(true);
      expect(issues.some((i) => i.startsWith('mqtt.url: '))).toBe(true);
    }
  });

  it('reports a missing file, broken YAML and a non-mapping top level clearly', () => {
    expect(() => loadConfig(schema, { file: '/etc/none.yaml', envPrefix: 'T', env: {}, readFile })).toThrow(/cannot read config file \/etc\/none.yaml: ENOENT/);
    expect(() => loadConfig(schema, { file: '/etc/bad.yaml', envPrefix: 'T', env: {}, readFile })).toThrow(/not valid YAML/);
    expect(() => loadConfig(schema, { file: '/etc/list.yaml', envPrefix: 'T', env: {}, readFile })).toThrow(/must be a mapping/);
  });

  it('reports an unreadable secret file by variable name', () => {
    expect(() => applyEnvOverrides({}, 'T', { T_MQTT__PASSWORD_FILE: '/missing' }, readFile)).toThrow(/T_MQTT__PASSWORD_FILE: cannot read \/missing/);
  });
});
