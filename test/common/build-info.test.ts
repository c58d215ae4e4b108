// Build info and reload metrics: the shared helpers every program registers.
import { describe, expect, it } from 'vitest';
import { buildInfo, registerBuildInfo } from '../../hub/common/build-info.js';
import { parseCli } from '../../hub/common/cli-args.js';
import { createRegistry } from '../../hub/common/metrics.js';
import { createReloadMetrics } from '../../hub/common/reload-metrics.js';

describe('build info, reload metrics, cli', () => {
  it('build info takes the revision from GSMJOBS_REVISION and the version from package.json', async () => {
    const b = buildInfo({ GSMJOBS_REVISION: 'abc1234' });
    expect(b).toEqual({ version: '0.1.0', revision: 'abc1234', node_version: process.version });
    const r = createRegistry();
    registerBuildInfo(r, 'test_prog', b);
    expect(await r.metrics()).toContain(`test_prog_build_info{version="0.1.0",revision="abc1234",node_version="${process.version}"} 1`);
    expect(buildInfo({}).revision).toMatch(/^([0-9a-f]{4,}|unknown)$/);
  });

  it('reload metrics', async () => {
    const r = createRegistry();
    const m = createReloadMetrics(r, 'p', 1_000_000);
    expect(await r.metrics()).toMatch(/p_config_last_reload_successful 1\n[^]*p_config_last_reload_success_timestamp_seconds 1000\n/);
    m.failed();
    expect(await r.metrics()).toContain('p_config_last_reload_successful 0');
    expect(await r.metrics()).toContain('p_config_last_reload_success_timestamp_seconds 1000\n');
    m.succeeded(2_000_000);
    expect(await r.metrics()).toContain('p_config_last_reload_success_timestamp_seconds 2000\n');
  });

  it('--help and --version win over everything', () => {
    expect(parseCli(['--config', 'x', '--help'], { strings: ['config'] })).toEqual({ kind: 'help' });
    expect(parseCli(['doctor', '-h'])).toEqual({ kind: 'help' });
    expect(parseCli(['--version'])).toEqual({ kind: 'version' });
    expect(parseCli(['--bogus'], { strings: ['config'] }).kind).toBe('usage_error');
    const r = parseCli(['--config', 'f.yaml', 'config', 'check'], { strings: ['config'] });
    expect(r).toMatchObject({ kind: 'run', values: { config: 'f.yaml' }, positionals: ['config', 'check'] });
  });
});
