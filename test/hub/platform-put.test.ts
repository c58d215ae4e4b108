// PUT /platforms/:id replaces what it names and keeps the write-only Prometheus headers unless
// they are sent (issue 21): GET shows only their names, so a read-modify-write client must not
// lose `X-Scope-OrgID` / `Authorization` by sending back what it read.
import { describe, expect, it } from 'vitest';
import { caller } from './api-helpers.js';
import { ADMIN_TOKEN, createWorld } from './world.js';

describe('PUT /platforms/:id', () => {
  it('keeps stored headers when omitted, replaces them when sent, {} removes them; unknown keys are refused', async () => {
    const w = await createWorld();
    const admin = caller(w, ADMIN_TOKEN);
    const headersOf = () => w.store.platform('a')?.prometheus.headers;
    expect(headersOf()).toEqual({ 'X-Scope-OrgID': 'tenant-a' });

    // Read, change the name and URL, send back what GET gave (header names only, no values).
    const got = (await admin('GET', '/api/v1/platforms/a')).body;
    expect(got.prometheus).toEqual({ url: expect.any(String), headers: ['X-Scope-OrgID'], max_sample_age_s: null });
    const put = await admin('PUT', '/api/v1/platforms/a', { name: 'Renamed', prometheus: { url: 'http://mimir.invalid:9009/prometheus' } });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ name: 'Renamed', prometheus: { url: 'http://mimir.invalid:9009/prometheus', headers: ['X-Scope-OrgID'] } });
    expect(headersOf()).toEqual({ 'X-Scope-OrgID': 'tenant-a' });

    // Sent: replaced as a whole.
    expect((await admin('PUT', '/api/v1/platforms/a', { name: 'Renamed', prometheus: { url: 'http://mimir.invalid:9009/prometheus', headers: { Authorization: 'Bearer x-123' } } })).status).toBe(200);
    expect(headersOf()).toEqual({ Authorization: 'Bearer x-123' });
    // {} removes them.
    expect((await admin('PUT', '/api/v1/platforms/a', { name: 'Renamed', prometheus: { url: 'http://mimir.invalid:9009/prometheus', headers: {} } })).status).toBe(200);
    expect(headersOf()).toEqual({});

    // A misspelt key would otherwise silently keep the old headers: it is refused.
    const typo = await admin('PUT', '/api/v1/platforms/a', { name: 'Renamed', prometheus: { url: 'http://mimir.invalid:9009/prometheus', header: { A: 'b' } } });
    expect(typo.status).toBe(400);
    expect(JSON.stringify(typo.body)).toContain('header');
    // stale_when: omitted keeps, null turns the check off.
    await admin('PUT', '/api/v1/platforms/a', { name: 'Renamed', prometheus: { url: 'http://mimir.invalid:9009/prometheus' }, stale_when: null });
    expect(w.store.platform('a')?.stale_when).toBeNull();
    await admin('PUT', '/api/v1/platforms/a', { name: 'Again', prometheus: { url: 'http://mimir.invalid:9009/prometheus' } });
    expect(w.store.platform('a')).toMatchObject({ name: 'Again', stale_when: null });
  });
});
