// The shared set-up of the webhook sender tests: a loopback receiver whose behaviour is chosen by
// path, a clock that is real time plus a settable offset (retries become due by `advance()`
// instead of sleeping), an in-memory delivery store, and helpers. `useSenderWorld()` registers
// the hooks in the calling test file.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import type { Clock } from '../../../hub/common/clock.js';
import { silentLogger } from '../../../hub/common/log.js';
import { WebhookSender, type DeliveryStore, type SenderDeps } from '../../../hub/remediation/sender.js';
import { escalatedEvent } from './fixtures.js';
import { due, newDelivery, retryPolicy, SIGNATURE_HEADER, type DeliveryRecord, type UrlPolicy, type WebhookEndpoint } from '../../../hub/remediation/webhook.js';

export const SECRET = 'whsec-0123456789abcdef';

export interface Seen {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  closed: Promise<void>;
}

// --- a loopback receiver whose behaviour is chosen by path ----------------------------------

let server: http.Server;
export let port = 0;
export let seen: Seen[] = [];
export const hits = new Map<string, number>();
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

// --- fakes ---------------------------------------------------------------------------------------

let offset = 0;
export const clock: Clock = {
  now: () => Date.now() + offset,
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export class MemStore implements DeliveryStore {
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

export const event = (text?: string) => escalatedEvent(clock.now(), text);

export let store: MemStore;
let senders: WebhookSender[] = [];

export function endpoint(id: string, url: string, enabled = true): WebhookEndpoint {
  const ep = { id, platform_id: 'ar', url, secret: SECRET, enabled };
  store.endpoints.set(id, ep);
  return ep;
}

export function delivery(id: string, ep: WebhookEndpoint, text?: string): DeliveryRecord {
  const rec = newDelivery(id, ep, `ex1:6:${id}`, event(text), clock.now());
  store.rows.set(id, rec);
  return rec;
}

export const policy = retryPolicy.parse({ base_ms: 1000, factor: 2, jitter: 0, max_attempts: 3, timeout_ms: 500 });
export const LOOPBACK: UrlPolicy = { allow_loopback: true, allow_private: false };

export function sender(over: Partial<SenderDeps> = {}): WebhookSender {
  const s = new WebhookSender({ store, policy, urlPolicy: LOOPBACK, clock, log: silentLogger, rand: () => 0.5, intervalMs: 20, ...over });
  senders.push(s);
  return s;
}

export async function until(pred: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export const url = (path: string, host = '127.0.0.1') => `http://${host}:${port}${path}`;

/** Move the clock forward (retries become due). */
export function advance(ms: number): void {
  offset += ms;
}

/** Register the receiver and the per-test reset in the calling test file. */
export function useSenderWorld(): void {
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
}
