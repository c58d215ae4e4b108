// Issue 17: the remediation settings' If-Match is checked inside the store's write (its
// ifVersion), not by a read in the handler followed by a write: two PUTs at once with the same
// version, one is saved and the other answered 412 with the settings that won. The setting
// time_zone (the zone of the platform's pages) is validated as an IANA name.
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

  it('time_zone: an IANA name is kept, anything else refused with its code on the field, null goes back to the server zone', async () => {
    const w = await createWorld();
    const app = createApp(w.deps);
    const put = async (body: unknown) => {
      const res = await app.request('/api/v1/remediation/settings', { method: 'PUT', headers: { authorization: `Bearer ${TOKENS.a}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return { status: res.status, body: (await res.json()) as { time_zone?: string | null; error?: { issues: Array<{ field: string; code: string }> } } };
    };
    expect((await put({ time_zone: 'Asia/Vladivostok' })).body.time_zone).toBe('Asia/Vladivostok');
    const bad = await put({ time_zone: 'Mars/Olympus_Mons' });
    expect(bad.status).toBe(400);
    expect(bad.body.error?.issues).toEqual([expect.objectContaining({ field: 'time_zone', code: 'invalid_time_zone' })]);
    expect((await put({ failover_after_s: 300 })).body.time_zone).toBe('Asia/Vladivostok');
    expect((await put({ time_zone: null })).body.time_zone).toBeNull();
  });
});
