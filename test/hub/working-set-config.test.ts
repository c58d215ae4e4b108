// The hub config's store section (issue 20): lowdb by default, PostgreSQL by URL (also from
// GSMJOBS_HUB_STORE__URL alone), the URL's password masked in `config check` and given to the
// logger's masking, PostgreSQL refused with the embedded broker, a bad URL refused.
import { describe, expect, it } from 'vitest';
import { type CliIo, runCli } from '../../hub/cli.js';
import { ConfigError } from '../../hub/common/config.js';
import { hubSecrets, loadHubConfig, maskedHubConfig } from '../../hub/config.js';

const external = { GSMJOBS_HUB_MQTT__MODE: 'external', GSMJOBS_HUB_MQTT__URL: 'mqtt://broker:1883', GSMJOBS_HUB_MQTT__PASSWORD: 'mqtt-secret' };
const URL_WITH_PASSWORD = 'postgres://hub:p%40ss-w0rd!@db.example:5432/gsmjobs';

describe('hub config: store', () => {
  it('defaults to lowdb', () => {
    expect(loadHubConfig(undefined, {}).store).toEqual({ kind: 'lowdb' });
  });

  it('GSMJOBS_HUB_STORE__URL alone selects postgres, with the pool and timeout defaults', () => {
    const c = loadHubConfig(undefined, { ...external, GSMJOBS_HUB_STORE__URL: URL_WITH_PASSWORD });
    expect(c.store).toEqual({ kind: 'postgres', url: URL_WITH_PASSWORD, pool_max: 10, statement_timeout_ms: 30_000 });
  });

  it('masks the password in the effective config and hands it (decoded and encoded) to the logger', () => {
    const c = loadHubConfig(undefined, { ...external, GSMJOBS_HUB_STORE__URL: URL_WITH_PASSWORD });
    const shown = JSON.stringify(maskedHubConfig(c));
    expect(shown).toContain('postgres://***@db.example:5432/gsmjobs');
    expect(shown).not.toContain('p%40ss');
    expect(hubSecrets(c)).toEqual(expect.arrayContaining(['p@ss-w0rd!', 'p%40ss-w0rd!']));
  });

  it('refuses postgres with the embedded broker, and a URL that is not postgres://', () => {
    expect(() => loadHubConfig(undefined, { GSMJOBS_HUB_STORE__URL: URL_WITH_PASSWORD })).toThrow(/needs the external MQTT broker/);
    expect(() => loadHubConfig(undefined, { ...external, GSMJOBS_HUB_STORE__URL: 'mysql://db/x' })).toThrow(ConfigError);
    expect(() => loadHubConfig(undefined, { ...external, GSMJOBS_HUB_STORE__KIND: 'postgres' })).toThrow(/store\.url/);
    expect(() => loadHubConfig(undefined, { ...external, GSMJOBS_HUB_STORE__URL: URL_WITH_PASSWORD, GSMJOBS_HUB_STORE__POOL: '5' })).toThrow(/store\.pool/);
  });

  it('`hub config check` prints the store with the password masked', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const io: CliIo = { out: (t) => out.push(t), err: (t) => err.push(t), env: { ...external, GSMJOBS_HUB_STORE__URL: URL_WITH_PASSWORD }, stopSignal: () => new Promise(() => undefined), onReload: () => undefined };
    const { writeFileSync, mkdtempSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const file = join(mkdtempSync(join(tmpdir(), 'ws-config-')), 'hub.yaml');
    writeFileSync(file, 'poll_interval_s: 30\n');
    expect(await runCli(['config', 'check', file], io)).toBe(0);
    const printed = JSON.parse(out.join('')) as { store: { url: string } };
    expect(printed.store.url).toBe('postgres://***@db.example:5432/gsmjobs');
    expect(out.join('') + err.join('')).not.toContain('w0rd');
  });
});
