// Webhook sender: how a target is reached. DNS rebinding (every resolved address vetted), the
// connection pinned to the vetted addresses with the original Host / TLS name, the default
// resolver, fallback to a second address, network and lookup failures, and TLS verification.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { delivery, endpoint, LOOPBACK, policy, port, seen, sender, store, until, url, useSenderWorld } from './sender-world.js';

useSenderWorld();

describe('WebhookSender: resolution, pinning and TLS', () => {
  it('DNS rebinding: a name resolving (also) to 127.0.0.1 or 10.x is refused; nothing reaches the server', async () => {
    const lookups: string[] = [];
    const ep = endpoint('wh1', url('/ok', 'hooks.example.com'));
    delivery('d1', ep);
    const s = sender({
      urlPolicy: { allow_loopback: false, allow_private: false },
      lookup: async (host) => {
        lookups.push(host);
        return [
          { address: '93.184.216.34', family: 4 },
          { address: '127.0.0.1', family: 4 },
        ];
      },
    });
    expect(await s.deliverDue()).toBe(1);
    const r = store.get('d1');
    expect(r.status).toBe('failed');
    expect(r.attempts[0]?.error).toContain('loopback address 127.0.0.1');
    expect(lookups).toEqual(['hooks.example.com']);

    const ep2 = endpoint('wh2', url('/ok', 'intranet.example.com'));
    delivery('d2', ep2);
    const s2 = sender({ urlPolicy: LOOPBACK, lookup: async () => [{ address: '10.1.2.3', family: 4 }] });
    expect(await s2.deliverDue()).toBe(1);
    expect(store.get('d2').attempts[0]?.error).toContain('private address 10.1.2.3');
    const ep3 = endpoint('wh3', url('/ok', 'metadata.example.com'));
    delivery('d3', ep3);
    const s3 = sender({ urlPolicy: LOOPBACK, lookup: async () => [{ address: '::ffff:169.254.169.254', family: 6 }] });
    expect(await s3.deliverDue()).toBe(1);
    expect(store.get('d3')).toMatchObject({ status: 'failed' });
    expect(seen).toHaveLength(0);
  });

  it('the connection is pinned to the vetted address; Host stays the original name; one lookup', async () => {
    const lookups: string[] = [];
    delivery('d1', endpoint('wh1', url('/echo', 'hooks.example.com')));
    const s = sender({
      lookup: async (host) => {
        lookups.push(host);
        return [{ address: '127.0.0.1', family: 4 }];
      },
    });
    expect(await s.deliverDue()).toBe(1);
    expect(store.get('d1').status).toBe('delivered');
    expect(seen[0]?.headers.host).toBe(`hooks.example.com:${port}`);
    expect(lookups).toEqual(['hooks.example.com']);
  });

  it('the default resolver: localhost with allow_loopback reaches the server; without it, refused', async () => {
    delivery('d1', endpoint('wh1', url('/ok', 'localhost')));
    expect(await sender().deliverDue()).toBe(1);
    expect(store.get('d1').status).toBe('delivered');
    expect(seen[0]?.headers.host).toBe(`localhost:${port}`);
    delivery('d2', endpoint('wh2', url('/ok', 'localhost')));
    expect(await sender({ urlPolicy: { allow_loopback: false, allow_private: true } }).deliverDue()).toBe(1);
    expect(store.get('d2').attempts[0]?.error).toMatch(/^not sent: url must not target a loopback/);
    expect(seen).toHaveLength(1);
  });

  it('all vetted addresses are offered to the connection: an unreachable first one falls back to the next', async () => {
    // 127.0.0.2 answers nothing on this port (the server listens on 127.0.0.1 only).
    delivery('d1', endpoint('wh1', url('/ok', 'multi.example.com')));
    const s = sender({ lookup: async () => [{ address: '127.0.0.2', family: 4 }, { address: '127.0.0.1', family: 4 }] });
    expect(await s.deliverDue()).toBe(1);
    expect(store.get('d1').status).toBe('delivered');
    expect(seen[0]?.headers.host).toBe(`multi.example.com:${port}`);
  });

  it('a refused connection is a network error: retrying, the code in the error', async () => {
    const probe = http.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const closedPort = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    delivery('d1', endpoint('wh1', `http://127.0.0.1:${closedPort}/x`));
    expect(await sender().deliverDue()).toBe(1);
    expect(store.get('d1')).toMatchObject({ status: 'retrying', attempts: [expect.objectContaining({ http_status: null, error: expect.stringMatching(/^ECONNREFUSED/) })] });
  });

  it('a lookup that hangs is cut by the same timeout; stop() does not wait for a hanging lookup', async () => {
    delivery('d1', endpoint('wh1', url('/ok', 'slow-dns.example.com')));
    const never = () => new Promise<Array<{ address: string; family: number }>>(() => undefined);
    expect(await sender({ lookup: never }).deliverDue()).toBe(1);
    expect(store.get('d1')).toMatchObject({ status: 'retrying', attempts: [expect.objectContaining({ error: 'timeout after 500 ms (dns lookup of slow-dns.example.com)' })] });
    delivery('d2', endpoint('wh2', url('/ok', 'slow-dns.example.com')));
    let asked = 0;
    const s = sender({ lookup: () => (asked++, never()), policy: { ...policy, timeout_ms: 10_000 } });
    const pass = s.deliverDue();
    await until(() => asked === 1, 'the lookup');
    const t0 = Date.now();
    await s.stop();
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(await pass).toBe(0);
    expect(store.get('d2')).toMatchObject({ status: 'pending', attempts: [] });
  });

  it('a lookup failure is a network error: retrying', async () => {
    delivery('d1', endpoint('wh1', url('/ok', 'gone.example.com')));
    const s = sender({ lookup: async () => Promise.reject(Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' })) });
    expect(await s.deliverDue()).toBe(1);
    expect(store.get('d1')).toMatchObject({ status: 'retrying', attempts: [expect.objectContaining({ error: 'dns lookup of gone.example.com failed: ENOTFOUND' })] });
  });

  const openssl = (() => {
    try {
      execFileSync('openssl', ['version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();

  it.skipIf(!openssl)('https: the TLS server name is the original host (SNI) on the pinned address, and the certificate is verified', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gsmjobs-sender-'));
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=hooks.example.com', '-addext', 'subjectAltName=DNS:hooks.example.com'], { stdio: 'ignore' });
    const snis: string[] = [];
    const tlsServer = https.createServer({ key: readFileSync(key), cert: readFileSync(cert), SNICallback: (name, cb) => (snis.push(name), cb(null, undefined)) }, (_req, res) => res.writeHead(200).end());
    try {
      await new Promise<void>((r) => tlsServer.listen(0, '127.0.0.1', r));
      const tlsPort = (tlsServer.address() as AddressInfo).port;
      delivery('d1', endpoint('wh1', `https://hooks.example.com:${tlsPort}/hook`));
      expect(await sender({ lookup: async () => [{ address: '127.0.0.1', family: 4 }] }).deliverDue()).toBe(1);
      expect(snis).toEqual(['hooks.example.com']);
      // Self-signed: refused by the sender (verification is on), a network-level error, retried.
      const r = store.get('d1');
      expect(r.status).toBe('retrying');
      expect(r.attempts[0]?.error).toMatch(/SELF_SIGNED|self[- ]signed/i);
    } finally {
      tlsServer.closeAllConnections();
      await new Promise<void>((r) => tlsServer.close(() => r()));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
