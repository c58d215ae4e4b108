// The embedded broker's limits on connections that have not logged in (issue 18), with small
// values: beyond `pending_per_address` from one address or `pending_total` in all, a connection
// is reset before anything is read; a silent one is closed by the login deadline; both are
// counted; the hub's own address is never dropped for backoff; the slots come back when the
// connections go.
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../hub/common/log.js';
import { createRegistry } from '../../hub/common/metrics.js';
import { EmbeddedBroker } from '../../hub/mqtt/broker.js';
import { BROKER_LIMITS } from '../../hub/mqtt/limits.js';
import { hashPassword } from '../../hub/mqtt/passwords.js';
import { rawConnect } from '../support/mqtt-raw.js';
import { waitFor } from '../support/process.js';

const registry = createRegistry({ defaultMetrics: false, prefix: 'gsmjobs_hub_' });
const hashes: Record<string, string> = { 'site/p/s1': hashPassword('pw-site-s1-123') };
const broker = new EmbeddedBroker({
  host: '127.0.0.1',
  port: 0,
  log: silentLogger,
  registry,
  limits: { ...BROKER_LIMITS, connect_timeout_ms: 1_500, pending_per_address: 2, pending_total: 3, hash_burst_ms: 60_000 },
  auth: { hub: { username: 'hub', password: 'hub-pw-1234567' }, passwordHash: (u) => hashes[u] ?? null },
});

async function counter(reason: string): Promise<number> {
  const m = (await registry.getMetricsAsJSON()).find((x) => x.name === 'gsmjobs_hub_mqtt_auth_failures_total');
  return (m?.values as Array<{ labels: Record<string, string>; value: number }> | undefined)?.find((x) => x.labels.reason === reason)?.value ?? 0;
}

/** A socket that connects and never sends; resolves when it is connected (or reset first: on loopback the reset can come before `connect`), records when it closes. */
function silent(localAddress: string): Promise<{ socket: Socket; closed: () => boolean; closedIn: Promise<number> }> {
  return new Promise((resolve) => {
    const t = performance.now();
    const socket = connect({ host: '127.0.0.1', port: broker.port, localAddress });
    let closed = false;
    const closedIn = new Promise<number>((r) =>
      socket.on('close', () => {
        closed = true;
        r(performance.now() - t);
        resolve({ socket, closed: () => closed, closedIn });
      }),
    );
    socket.on('error', () => undefined);
    socket.on('connect', () => resolve({ socket, closed: () => closed, closedIn }));
  });
}

beforeAll(async () => {
  await broker.start();
});
afterAll(async () => {
  await broker.stop();
});

describe('embedded broker: connections not logged in yet', () => {
  it('resets beyond the per-address and total caps, closes silent ones at the deadline, counts both', async () => {
    const busy0 = await counter('busy');
    const a1 = await silent('127.0.20.1');
    const a2 = await silent('127.0.20.1');
    const a3 = await silent('127.0.20.1'); // a third from the same address: reset unread
    expect(await a3.closedIn).toBeLessThan(1_000);
    const b1 = await silent('127.0.20.2'); // the third in all
    const c1 = await silent('127.0.20.3'); // a fourth in all: reset
    expect(await c1.closedIn).toBeLessThan(1_000);
    await waitFor(() => broker.pendingLogins === 3, 5_000, 'three pending logins');
    expect((await counter('busy')) - busy0).toBe(2);
    expect(a1.closed() || a2.closed() || b1.closed()).toBe(false);
    // The login deadline closes the three silent ones, each counted as a timeout.
    const closedAfter = await Promise.all([a1.closedIn, a2.closedIn, b1.closedIn]);
    for (const ms of closedAfter) expect(ms).toBeGreaterThanOrEqual(1_400);
    expect(await counter('timeout')).toBe(3);
    await waitFor(() => broker.pendingLogins === 0, 5_000, 'no pending logins');
    // The slots are back: an agent logs in from the address that was over its cap.
    expect((await rawConnect({ port: broker.port, localAddress: '127.0.20.1', username: 'site/p/s1', password: 'pw-site-s1-123' })).returnCode).toBe(0);
  });

  it('never drops the address the hub logged in from, even when it is in backoff', async () => {
    expect((await rawConnect({ port: broker.port, localAddress: '127.0.21.1', username: 'hub', password: 'hub-pw-1234567' })).returnCode).toBe(0);
    for (let i = 0; i < 6; i++) await rawConnect({ port: broker.port, localAddress: '127.0.21.1', username: `site/p/x${i}`, password: 'nope' });
    // A stranger from that address is judged after its CONNECT (CONNACK 3), not reset unread...
    expect((await rawConnect({ port: broker.port, localAddress: '127.0.21.1', username: 'site/p/x9', password: 'nope' })).returnCode).toBe(3);
    // ...and the hub gets in.
    expect((await rawConnect({ port: broker.port, localAddress: '127.0.21.1', username: 'hub', password: 'hub-pw-1234567' })).returnCode).toBe(0);
    // Another address that failed as often is reset before its CONNECT is read.
    for (let i = 0; i < 6; i++) await rawConnect({ port: broker.port, localAddress: '127.0.21.2', username: `site/p/y${i}`, password: 'nope' });
    expect((await rawConnect({ port: broker.port, localAddress: '127.0.21.2', username: 'site/p/y9', password: 'nope' })).returnCode).toBeNull();
  });
});
