// Strict config keys: unknown keys are errors with their path and a "did you mean".
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError } from '../../hub/common/config.js';
import { closest, findUnknownKeys, levenshtein, loadStrictConfig } from '../../hub/common/config-strict.js';
import { exporterConfigSchema } from '../../exporter/config.js';

describe('strict config', () => {
  it('levenshtein and closest', () => {
    expect(levenshtein('intervl_s', 'interval_s')).toBe(1);
    expect(levenshtein('', 'abc')).toBe(3);
    expect(closest('intervl_s', ['interval_s', 'grace_period_s'])).toBe('interval_s');
    expect(closest('zzzzzz', ['interval_s'])).toBeUndefined();
  });

  it('finds unknown keys through defaults, records and discriminated unions', () => {
    const found = findUnknownKeys(exporterConfigSchema, {
      refresh: { intervl_s: 2 },
      accounts: { a: { platform: 'addreality', page_sise: 3, paging: { offst_param: 'o' } }, b: { platform: 'cubicmedia', macs: [], conurrency: 2 } },
      bogus_top: 1,
    });
    expect(found).toEqual([
      { path: 'refresh.intervl_s', suggestion: 'refresh.interval_s' },
      { path: 'accounts.a.page_sise', suggestion: 'accounts.a.page_size' },
      { path: 'accounts.a.paging.offst_param', suggestion: 'accounts.a.paging.offset_param' },
      { path: 'accounts.b.conurrency', suggestion: 'accounts.b.concurrency' },
      { path: 'bogus_top', suggestion: undefined },
    ]);
  });

  it('loose objects and known keys pass', () => {
    expect(findUnknownKeys(z.looseObject({ a: z.number() }), { a: 1, b: 2 })).toEqual([]);
    expect(findUnknownKeys(exporterConfigSchema, { refresh: { interval_s: 2 }, http: { port: 0 } })).toEqual([]);
  });

  it('loadStrictConfig throws a ConfigError naming the key, also for env overrides; reserved env is skipped', () => {
    const files: Record<string, string> = { '/c.yaml': 'refresh:\n  intervl_s: 2\n' };
    const readFile = (p: string) => files[p]!;
    let err: unknown;
    try {
      loadStrictConfig(exporterConfigSchema, { file: '/c.yaml', envPrefix: 'X', env: {}, readFile });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toContain('refresh.intervl_s: unknown key');
    expect((err as ConfigError).message).toContain('did you mean refresh.interval_s');
    expect(() => loadStrictConfig(exporterConfigSchema, { envPrefix: 'X', env: { X_REFRESH__INTERVL_S: '2' }, readFile })).toThrow(/refresh\.intervl_s/);
    const ok = loadStrictConfig(exporterConfigSchema, { envPrefix: 'X', env: { X_CONFIG: '/c.yaml', X_REFRESH__INTERVAL_S: '7' }, readFile, reservedEnv: ['CONFIG'] });
    expect(ok.refresh.interval_s).toBe(7);
  });
});
