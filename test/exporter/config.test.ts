import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../hub/common/config.js';
import { ENV_PREFIX, exporterConfigSchema, resolveTokens } from '../../exporter/config.js';

const files: Record<string, string> = {
  '/etc/exp.yaml': [
    'refresh: { interval_s: 30 }',
    'accounts:',
    '  main:',
    '    platform: addreality',
    '    platform_id: demo',
    '    base_url: https://api.ar.digital',
    '  cubic:',
    '    platform: cubicmedia',
    '    platform_id: demo',
    '    base_url: https://vision-cms-api.cubicservice.ru',
    '    macs: ["00:1A:2B:3C:4D:5E"]',
  ].join('\n'),
  '/run/secrets/ar': 'secret-token-1\n',
};
const readFile = (p: string) => {
  const v = files[p];
  if (v === undefined) throw Object.assign(new Error('nope'), { code: 'ENOENT' });
  return v;
};
const load = (env: NodeJS.ProcessEnv = {}, file = '/etc/exp.yaml') => loadConfig(exporterConfigSchema, { file, envPrefix: ENV_PREFIX, env, readFile });

describe('exporter config', () => {
  it('fills defaults from the schema', () => {
    const c = load();
    expect(c.http).toEqual({ host: '127.0.0.1', port: 9810 });
    expect(c.refresh).toEqual({ interval_s: 30, grace_period_s: 3600 });
    const main = c.accounts.main!;
    expect(main.platform).toBe('addreality');
    if (main.platform === 'addreality') {
      expect(main.page_size).toBe(300);
      expect(main.paging).toEqual({ offset_param: 'offset', limit_param: 'limit', ids_param: 'id' });
    }
    expect(c.retry.attempts).toBe(4);
  });

  it('takes a token from a *_FILE environment variable, never echoing it in errors', () => {
    const c = load({ GSMJOBS_EXPORTER_ACCOUNTS__MAIN__TOKEN_FILE: '/run/secrets/ar', GSMJOBS_EXPORTER_HTTP__PORT: '0' });
    expect(c.http.port).toBe(0);
    expect(resolveTokens(c, {}, readFile).get('main')).toBe('secret-token-1');
  });

  it('resolves token_file and token_env, and names the account when a token is missing', () => {
    const base = load();
    const withFile = { ...base, accounts: { ...base.accounts, main: { ...base.accounts.main!, token_file: '/run/secrets/ar' } } };
    expect(resolveTokens(withFile, {}, readFile).get('main')).toBe('secret-token-1');
    const withEnv = { ...base, accounts: { ...base.accounts, main: { ...base.accounts.main!, token_env: 'AR_TOKEN' } } };
    expect(resolveTokens(withEnv, { AR_TOKEN: 'from-env-9' }, readFile).get('main')).toBe('from-env-9');
    expect(() => resolveTokens(withEnv, {}, readFile)).toThrow(/accounts\.main\.token_env: environment variable AR_TOKEN is not set/);
    expect(() => resolveTokens(base, {}, readFile)).toThrow(/accounts\.main: an AddReality account needs token/);
    const missing = { ...base, accounts: { main: { ...base.accounts.main!, token_file: '/nope' } } };
    expect(() => resolveTokens(missing, {}, readFile)).toThrow(ConfigError);
  });

  it('names every bad field', () => {
    files['/etc/bad.yaml'] = [
      'accounts:',
      '  main:',
      '    platform: addreality',
      '    platform_id: Bad Id',
      '    base_url: not-a-url',
      '  cm:',
      '    platform: cubicmedia',
      '    platform_id: x',
      '    base_url: https://x.test',
      '    macs: ["12:34"]',
    ].join('\n');
    const err = (() => {
      try {
        load({}, '/etc/bad.yaml');
      } catch (e) {
        return e as ConfigError;
      }
      throw new Error('expected a ConfigError');
    })();
    expect(err.message).toContain('accounts.main.platform_id');
    expect(err.message).toContain('accounts.main.base_url');
    expect(err.message).toContain('accounts.cm.macs[0]');
  });

  it('refuses two accounts serving the same platform kind for one platform_id', () => {
    files['/etc/dup.yaml'] = [
      'accounts:',
      '  a: { platform: addreality, platform_id: demo, base_url: "https://a.test", token: t1 }',
      '  b: { platform: addreality, platform_id: demo, base_url: "https://b.test", token: t2 }',
    ].join('\n');
    expect(() => load({}, '/etc/dup.yaml')).toThrow(/accounts\.b\.platform_id: account "a" already serves/);
  });
});

describe('exporter/exporter.example.yaml', () => {
  it('is a valid config whose tokens resolve from the environment', async () => {
    const { readFileSync } = await import('node:fs');
    const file = new URL('../../exporter/exporter.example.yaml', import.meta.url).pathname;
    const c = loadConfig(exporterConfigSchema, { file, envPrefix: ENV_PREFIX, env: {}, readFile: (p) => readFileSync(p, 'utf8') });
    expect(Object.keys(c.accounts)).toEqual(['main', 'cubic']);
    expect(resolveTokens(c, { ADDREALITY_TOKEN: 'x-1234' }).get('main')).toBe('x-1234');
  });
});
