// Issue 17: the remediation settings' If-Match is checked inside the store's write (its
// ifVersion), not by a read in the handler followed by a write: two PUTs at once with the same
// version, one is saved and the other answered 412 with the settings that won.
import { describe, expect, it } from 'vitest';
import { createApp } from '../../hub/api/app.js';
import { createWorld, TOKENS } from './world.js';

describe('PUT /remediation/settings with If-Match', () => {
  it('two concurrent PUTs with the same version: one 200, one 412 carrying the winner', async () => {
    const w = await createWorld();
    const app = createApp(w.deps);
    const call = (method: string, body?: unknown, etag?: string) =>
      app.request('/api/v1/remediation/settings', {
        method,
        headers: { authorization: `Bearer ${TOKENS.a}`, 'content-type': 'application/json', ...(etag ? { 'if-match': etag } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    for (let round = 0; round < 3; round++) {
      const etag = (await call('GET')).headers.get('etag') as string;
      expect(etag).toMatch(/^"\d+"$/);
      const answers = await Promise.all([1, 2].map(async (n) => call('PUT', { device_limit: { max: 10 * round + n, window_s: 3600 } }, etag)));
      expect(answers.map((a) => a.status).sort()).toEqual([200, 412]);
      const won = answers.find((a) => a.status === 200) as Response;
      const lost = ((await (answers.find((a) => a.status === 412) as Response).json()) as { error: { code: string; current_version: number; current: { device_limit: { max: number } } } }).error;
      const winner = (await won.json()) as { version: number; device_limit: { max: number } };
      expect(lost.code).toBe('version_conflict');
      expect(lost.current_version).toBe(winner.version);
      expect(lost.current.device_limit.max).toBe(winner.device_limit.max);
      expect(((await (await call('GET')).json()) as { device_limit: { max: number } }).device_limit.max).toBe(winner.device_limit.max);
    }
  });
});
