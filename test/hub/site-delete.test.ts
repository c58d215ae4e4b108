// Deleting a site clears its retained public site event and the agent's retained status, so
// subscribers (and a new site with the same id) do not see a ghost; an empty status payload is
// a clearing, not an error.
import { describe, expect, it } from 'vitest';
import { caller } from './api-helpers.js';
import { createWorld, TOKENS } from './world.js';

const status = (state: 'online' | 'offline') =>
  Buffer.from(JSON.stringify({ v: 1, type: 'status', platform_id: 'a', site_id: 's2', state, at: '2026-11-23T10:00:00.000Z', modem: { state: 'up', signal_dbm: -71 }, outbox: { depth: 0 } }));

describe('site deletion', () => {
  it('publishes empty retained payloads on the site event and status topics and forgets the live state', async () => {
    const w = await createWorld();
    const api = caller(w, TOKENS.a);
    expect((await api('POST', '/api/v1/sites', { id: 's2', name: 'Two' })).status).toBe(201);
    await w.sites.handleStatus({ platform_id: 'a', site_id: 's2' }, status('online'));
    expect(w.pub.messages.filter((m) => m.topic === 'gsmjobs/v1/events/a/site/s2' && m.retain && m.payload !== null)).toHaveLength(1);
    expect((await api('GET', '/api/v1/sites/s2')).body.online).toBe(true);

    expect((await api('DELETE', '/api/v1/sites/s2')).status).toBe(204);
    const cleared = w.pub.messages.filter((m) => m.payload === null);
    expect(cleared.map((m) => [m.topic, m.retain]).sort()).toEqual([
      ['gsmjobs/v1/events/a/site/s2', true],
      ['gsmjobs/v1/site/a/s2/status', true],
    ]);
    expect(w.sites.get('a', 's2')).toBeUndefined();
    // Our own clearing comes back through the subscription: taken as a clearing, not refused.
    const rejected = w.sites.rejected;
    await w.sites.handleStatus({ platform_id: 'a', site_id: 's2' }, Buffer.alloc(0));
    expect(w.sites.rejected).toBe(rejected);
  });

  it('another platform cannot delete (or clear) the site', async () => {
    const w = await createWorld();
    expect((await caller(w, TOKENS.a)('POST', '/api/v1/sites', { id: 's2', name: 'Two' })).status).toBe(201);
    expect((await caller(w, TOKENS.b)('DELETE', '/api/v1/sites/s2')).status).toBe(404);
    expect(w.store.site('a', 's2')).toBeDefined();
    expect(w.pub.messages.filter((m) => m.payload === null)).toHaveLength(0);
  });
});
