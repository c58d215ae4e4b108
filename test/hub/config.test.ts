// The hub's config schema: defaults, environment overrides, secrets from files, field errors.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../hub/common/config.js';
import { loadHubConfig } from '../../hub/config.js';
import { tempDir } from './fixtures.js';

describe('hub config', () => {
  it('has working defaults (embedded broker, 30 s polling)', () => {
    const c = loadHubConfig(undefined, {});
    expect(c).toMatchObject({ http: { port: 8080 }, mqtt: { mode: 'embedded', port: 1883 }, poll_interval_s: 30, prometheus: { timeout_ms: 5000 } });
    expect(c.admin_token).toBeUndefined();
  });

  it('reads overrides and the admin token from a file', () => {
    const secret = join(tempDir('cfg'), 'admin');
    writeFileSync(secret, 'admin-token-from-file-0001-abcdefghijkl\n');
    const c = loadHubConfig(undefined, {
      GSMJOBS_HUB_HTTP__PORT: '9000',
      GSMJOBS_HUB_MQTT__PORT: '1884',
      GSMJOBS_HUB_ADMIN_TOKEN_FILE: secret,
      GSMJOBS_HUB_PLATFORMS: '[{"id":"ar","name":"AR","prometheus":{"url":"http://mimir:9009/prometheus","headers":{"X-Scope-OrgID":"ar"}}}]',
    });
    expect(c.http.port).toBe(9000);
    expect(c.admin_token).toBe('admin-token-from-file-0001-abcdefghijkl');
    expect(c.mqtt).toMatchObject({ mode: 'embedded', port: 1884 });
    expect(c.platforms[0]?.prometheus.headers).toEqual({ 'X-Scope-OrgID': 'ar' });
    expect(() => loadHubConfig(undefined, { GSMJOBS_HUB_ADMIN_TOKEN_FILE: '/nonexistent/x' })).toThrow(/ADMIN_TOKEN_FILE/);
  });

  it('wants an admin token of at least 32 characters that does not look guessable (issue 18)', () => {
    const issues = (env: Record<string, string>) => {
      try {
        loadHubConfig(undefined, env);
        return '';
      } catch (err) {
        return (err as ConfigError).issues.join('\n');
      }
    };
    expect(issues({ GSMJOBS_HUB_ADMIN_TOKEN: 'x'.repeat(31) })).toMatch(/admin_token.*at least 32 characters/);
    expect(issues({ GSMJOBS_HUB_ADMIN_TOKEN: 'ab'.repeat(20) })).toMatch(/admin_token.*guessable/);
    expect(issues({ GSMJOBS_HUB_ADMIN_TOKEN: 'kX3v9Qw2LmZp8RtY6uNb4HcJ7sDf1GaE' })).toBe('');
  });

  it('names the bad fields', () => {
    try {
      loadHubConfig(undefined, { GSMJOBS_HUB_MQTT__MODE: 'external', GSMJOBS_HUB_MQTT__URL: 'http://x', GSMJOBS_HUB_ADMIN_TOKEN: 'short' });
      throw new Error('accepted');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const issues = (err as ConfigError).issues.join('\n');
      expect(issues).toContain('mqtt.url');
      expect(issues).toContain('mqtt.password');
      expect(issues).toContain('admin_token');
    }
  });
});
