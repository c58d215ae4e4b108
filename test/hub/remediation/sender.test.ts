// Webhook sender (the I/O shell of hub/remediation/webhook.ts) against a real loopback HTTP
// server: signing, retries, timeouts, redirects, DNS rebinding and pinning, disabled endpoints,
// bounded concurrency and stop() mid-request. The clock is real time plus a settable offset, so
// retries become due by moving the offset instead of sleeping.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Clock } from '../../../hub/common/clock.js';
import { createLogger, silentLogger, type Logger } from '../../../hub/common/log.js';
import type { WebhookEvent } from '../../../hub/remediation/run.js';
import { WebhookSender, type DeliveryStore, type SenderDeps } from '../../../hub/remediation/sender.js';
import {
  DELIVERY_HEADER,
  due,
  EVENT_HEADER,
  newDelivery,
  retryPolicy,
  SIGNATURE_HEADER,
  verifySignature,
  type DeliveryRecord,
  type UrlPolicy,
  type WebhookEndpoint,
} from '../../../hub/remediation/webhook.js';

const SECRET = 'whsec-0123456789abcdef';

interface Seen {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  closed: Promise<void>;
}

// --- a loopback receiver whose behaviour is chosen by path ----------------------------------

let server: http.Server;
let port = 0;
let seen: Seen[] = [];
const hits = new Map<string, number>();
const LONG = 'x'.repeat(1000);

function handle(req: http.IncomingMessage, res: http.ServerResponse, body: string): void {
  const path = req.url ?? '/';
  const n = (hits.get(path) ?? 0) + 1;
  hits.set(path, n);
  if (path === '/ok') res.writeHead(200).end('thanks');
  else if (path === '/flaky' && n === 1) res.writeHead(500).end(`boom ${LONG}`);
  else if (path === '/flaky') res.writeHead(204).end();
  else if (path === '/bad') res.writeHead(400, { 'Content-Type': 'text/plain' }).end('bad payload');
  else if (path === '/redirect') res.writeHead(302, { Location: `http://127.0.0.1:${port}/ok` }).end();
  else if (path === '/echo') res.writeHead(200).end(body);
  else if (path === '/echo-bad') res.writeHead(422).end(`${String(req.headers[SIGNATURE_HEADER.toLowerCase()])} ${SECRET}`);
  else if (path === '/hang') return; // never answers
  else res.writeHead(404).end();
}

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    const closed = new Promise<void>((r) => res.on('close', () => r()));
    req.on('end', () => {
      seen.push({ path: req.url ?? '/', headers: req.headers, body, closed });
      handle(req, res, body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

// --- fakes ---------------------------------------------------------------------------------------

let offset = 0;
const clock: Clock = {
  now: () => Date.now() + offset,
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

class MemStore implements DeliveryStore {
  readonly rows = new Map<string, DeliveryRecord>();
  readonly endpoints = new Map<string, WebhookEndpoint>();
  writes = 0;
  dueDeliveries(now: number): DeliveryRecord[] {
    return due([...this.rows.values()], now).filter((d) => d.status === 'pending' || d.status === 'retrying');
  }
  async putDelivery(rec: DeliveryRecord): Promise<void> {
    this.writes++;
    this.rows.set(rec.id, rec);
  }
  webhookEndpoint(id: string): WebhookEndpoint | undefined {
    return this.endpoints.get(id);
  }
  get(id: string): DeliveryRecord {
    const r = this.rows.get(id);
    if (!r) throw new Error(`no delivery ${id}`);
    return r;
  }
}

const event = (text = 'Player 7 not recovered'): WebhookEvent => ({
  type: 'execution.escalated',
  execution_id: 'ex1',
  platform_id: 'ar',
  job_id: 'job1',
  job_name: 'Player 7 offline',
  device: { key: '10007', name: 'Player 7' },
  outcome: 'not_recovered',
  ttr_s: null,
  escalation_reason: null,
  step: 6,
  text,
  at: new Date(clock.now()).toISOString(),
});

let store: MemStore;
let senders: WebhookSender[] = [];

function endpoint(id: string, url: string, enabled = true): WebhookEndpoint {
  const ep = { id, platform_id: 'ar', url, secret: SECRET, enabled };
  store.endpoints.set(id, ep);
  return ep;
}

function delivery(id: string, ep: WebhookEndpoint, text?: string): DeliveryRecord {
  const rec = newDelivery(id, ep, `ex1:6:${id}`, event(text), clock.now());
  store.rows.set(id, rec);
  return rec;
}

const policy = retryPolicy.parse({ base_ms: 1000, factor: 2, jitter: 0, max_attempts: 3, timeout_ms: 500 });
const LOOPBACK: UrlPolicy = { allow_loopback: true, allow_private: false };

function sender(over: Partial<SenderDeps> = {}): WebhookSender {
  const s = new WebhookSender({ store, policy, urlPolicy: LOOPBACK, clock, log: silentLogger, rand: () => 0.5, intervalMs: 20, ...over });
  senders.push(s);
  return s;
}

async function until(pred: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const url = (path: string, host = '127.0.0.1') => `http://${host}:${port}${path}`;

beforeEach(() => {
  store = new MemStore();
  seen = [];
  hits.clear();
  offset = 0;
});

afterEach(async () => {
  for (const s of senders) await s.stop();
  senders = [];
  server.closeAllConnections();
});

// --- tests -----------------------------------------------------------------------------------------

describe('WebhookSender over real HTTP', () => {
  it('POSTs the stored body, signed so that verifySignature accepts it; delivered after one attempt', async () => {
    const ep = endpoint('wh1', url('/ok'));
    const rec = delivery('d1', ep);
    expect(await sender().deliverDue()).toBe(1);
    expect(seen).toHaveLength(1);
    const got = seen[0] as Seen;
    expect(got.body).toBe(rec.body);
    expect(verifySignature(SECRET, got.headers[SIGNATURE_HEADER.toLowerCase()] as string, got.body, Math.floor(clock.now() / 1000))).toMatchObject({ ok: true });
    expect(verifySignature('another-secret-00000', got.headers[SIGNATURE_HEADER.toLowerCase()] as string, got.body, Math.floor(clock.now() / 1000))).toEqual({ ok: false, reason: 'mismatch' });
    expect(got.headers[EVENT_HEADER.toLowerCase()]).toBe('execution.escalated');
    expect(got.headers[DELIVERY_HEADER.toLowerCase()]).toBe('d1');
    expect(got.headers['content-type']).toBe('application/json');
    const after = store.get('d1');
    expect(after).toMatchObject({ status: 'delivered', next_at: null });
    expect(after.attempts).toEqual([expect.objectContaining({ http_status: 200, error: null })]);
  });

  it('500 then 200: retrying with backoff, then delivered with two attempts; the error keeps 200 chars of the body', async () => {
    const ep = endpoint('wh1', url('/flaky'));
    delivery('d1', ep);
    const s = sender();
    expect(await s.deliverDue()).toBe(1);
    const first = store.get('d1');
    expect(first.status).toBe('retrying');
    const a1 = first.attempts[0];
    expect(a1).toMatchObject({ http_status: 500 });
    expect(a1?.error).toHaveLength(200);
    expect(a1?.error?.startsWith('boom x')).toBe(true);
    // jitter 0: first retry after base_ms exactly
    expect(first.next_at).toBe((a1?.at ?? 0) + (a1?.duration_ms ?? 0) + 1000);
    expect(await s.deliverDue()).toBe(0); // not due yet
    offset += 1000;
    expect(await s.deliverDue()).toBe(1);
    const second = store.get('d1');
    expect(second.status).toBe('delivered');
    expect(second.attempts.map((a) => a.http_status)).toEqual([500, 204]);
    expect(hits.get('/flaky')).toBe(2);
  });

  it('400 fails at once and is never tried again', async () => {
    delivery('d1', endpoint('wh1', url('/bad')));
    const s = sender();
    expect(await s.deliverDue()).toBe(1);
    expect(store.get('d1')).toMatchObject({ status: 'failed', next_at: null, attempts: [expect.objectContaining({ http_status: 400, error: 'bad payload' })] });
    offset += 3600_000;
    expect(await s.deliverDue()).toBe(0);
    expect(hits.get('/bad')).toBe(1);
  });

  it('a request with no answer within timeout_ms is cut and retried later', async () => {
    delivery('d1', endpoint('wh1', url('/hang')));
    const t0 = Date.now();
    expect(await sender().deliverDue()).toBe(1);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(450);
    const r = store.get('d1');
    expect(r).toMatchObject({ status: 'retrying', attempts: [expect.objectContaining({ http_status: null, error: 'timeout after 500 ms' })] });
    await (seen[0] as Seen).closed; // the connection was closed by the sender
  });

  it('a redirect is not followed: failed, the Location in the error', async () => {
    delivery('d1', endpoint('wh1', url('/redirect')));
    expect(await sender().deliverDue()).toBe(1);
    const r = store.get('d1');
    expect(r.status).toBe('failed');
    expect(r.attempts[0]?.http_status).toBe(302);
    expect(r.attempts[0]?.error).toContain(`Location http://127.0.0.1:${port}/ok`);
    expect(seen.map((x) => x.path)).toEqual(['/redirect']);
  });

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

  it('disabled, deleted or no-longer-valid endpoints: failed with a clear error, no request', async () => {
    delivery('d1', endpoint('wh1', url('/ok'), false));
    delivery('d2', { id: 'gone', platform_id: 'ar', url: url('/ok'), secret: SECRET, enabled: true });
    delivery('d3', endpoint('wh3', url('/ok')));
    expect(await sender({ urlPolicy: { allow_loopback: false, allow_private: false } }).deliverDue()).toBe(3);
    expect(store.get('d1')).toMatchObject({ status: 'failed', next_at: null, attempts: [expect.objectContaining({ error: 'not sent: the webhook endpoint is disabled' })] });
    expect(store.get('d2')).toMatchObject({ status: 'failed', attempts: [expect.objectContaining({ error: 'not sent: the webhook endpoint was deleted' })] });
    expect(store.get('d3').status).toBe('failed');
    expect(store.get('d3').attempts[0]?.error).toMatch(/^not sent: url must not target a loopback address/);
    expect(seen).toHaveLength(0);
  });

  it('stop() mid-request aborts it, leaves the row due and unchanged, and releases the timer', async () => {
    delivery('d1', endpoint('wh1', url('/hang')));
    const s = sender({ policy: { ...policy, timeout_ms: 10_000 } });
    s.start();
    await until(() => seen.length === 1, 'the request');
    const t0 = Date.now();
    await s.stop();
    expect(Date.now() - t0).toBeLessThan(1000);
    await (seen[0] as Seen).closed;
    expect(store.get('d1')).toMatchObject({ status: 'pending', attempts: [] });
    expect(store.writes).toBe(0);
    // stopped: no more polls
    await new Promise((r) => setTimeout(r, 60));
    expect(seen).toHaveLength(1);
    expect(await s.deliverDue()).toBe(0);
  });

  it('a hanging endpoint never blocks the others (bounded concurrency, one endpoint gets half)', async () => {
    const slow = endpoint('slow', url('/hang'));
    const fast = endpoint('fast', url('/ok'));
    for (const id of ['s1', 's2', 's3']) delivery(id, slow);
    offset += 1; // the fast one is the newest: last in due order
    delivery('f1', fast);
    const results: DeliveryRecord[] = [];
    const s = sender({ concurrency: 2, policy: { ...policy, timeout_ms: 10_000 }, onResult: (r) => results.push(r) });
    const pass = s.deliverDue();
    await until(() => results.some((r) => r.id === 'f1'), 'the fast delivery');
    expect(store.get('f1').status).toBe('delivered');
    expect(seen.filter((x) => x.path === '/hang')).toHaveLength(1); // the slow endpoint holds one of two slots
    expect(await s.deliverDue()).toBe(0); // rows in flight are not taken twice
    await s.stop();
    expect(await pass).toBe(1);
    expect(['s1', 's2', 's3'].map((id) => store.get(id).status)).toEqual(['pending', 'pending', 'pending']);
  });

  it('start() + kick(): a stored delivery goes out without waiting for the poll; logs carry no secret or signature', async () => {
    const lines: string[] = [];
    const log: Logger = createLogger('hub', { level: 'debug', sink: { write: (l) => lines.push(l) } }).child('webhooks');
    const delivered = new Promise<DeliveryRecord>((resolve) => {
      const s = sender({ log, intervalMs: 60_000, onResult: resolve });
      s.start();
      delivery('d1', endpoint('wh1', url('/ok')));
      delivery('d2', endpoint('wh2', url('/echo-bad')));
      s.kick();
    });
    expect((await delivered).status).toMatch(/delivered|failed/);
    await until(() => ['d1', 'd2'].every((id) => store.get(id).status !== 'pending'), 'both deliveries');
    expect(store.get('d1').status).toBe('delivered');
    expect(lines.length).toBeGreaterThanOrEqual(2);
    const all = lines.join('\n');
    const sig = (seen[0]?.headers[SIGNATURE_HEADER.toLowerCase()] as string).split('v1=')[1] as string;
    expect(all).not.toContain(SECRET);
    expect(all).not.toContain(sig);
    expect(all).not.toContain('v1=');
    expect(all).toContain('webhook delivered');
    expect(all).toContain('webhook delivery failed');
    // the receiver echoed the signature and the secret in its error page: masked in the log row too
    expect(store.get('d2')).toMatchObject({ status: 'failed', attempts: [expect.objectContaining({ http_status: 422, error: '*** ***' })] });
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
