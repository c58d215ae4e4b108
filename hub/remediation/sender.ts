// Webhook delivery, the I/O shell around the pure functions in ./webhook.ts: it takes the due
// rows of the delivery log, resolves each endpoint's host once and vets every address (DNS
// rebinding: each must pass the URL policy), POSTs on a connection pinned to them
// (./pinned-post.ts), records the attempt with afterAttempt() and writes the row back durably.
// Redirects are never followed; a slow endpoint is cut at the policy timeout and can take at most
// half of the concurrency slots, so it never blocks the others. stop() aborts what is in flight.
import { promises as dns } from 'node:dns';
import { isIP } from 'node:net';
import type { Clock, TimerHandle } from '../common/clock.js';
import type { Logger } from '../common/log.js';
import type { WebhookEvent } from './run.js';
import { post, scrub, withTimeout } from './pinned-post.js';
import {
  addressClass,
  afterAttempt,
  buildRequest,
  SIGNATURE_HEADER,
  signatureHeader,
  validateWebhookUrl,
  type AttemptResult,
  type DeliveryRecord,
  type RetryPolicy,
  type UrlPolicy,
  type WebhookEndpoint,
  type WebhookRequest,
} from './webhook.js';

export interface DeliveryStore {
  /** Deliveries with next_at <= now (status pending/retrying). */
  dueDeliveries(now: number): DeliveryRecord[];
  putDelivery(rec: DeliveryRecord): Promise<void>; // durable write
  webhookEndpoint(id: string): WebhookEndpoint | undefined;
}

export type HostLookup = (host: string) => Promise<Array<{ address: string; family: number }>>;

export interface SenderDeps {
  store: DeliveryStore;
  policy: RetryPolicy;
  urlPolicy: UrlPolicy;
  clock: Clock;
  log: Logger;
  /** Resolve a host name to all its addresses; default dns.promises.lookup(host, { all: true }). */
  lookup?: HostLookup;
  rand?: () => number;
  onResult?: (rec: DeliveryRecord) => void;
  /** Poll period for due retries. */
  intervalMs?: number;
  /** Requests in flight at most (default 8); one endpoint gets at most half of them. */
  concurrency?: number;
}


const defaultLookup: HostLookup = (host) => dns.lookup(host, { all: true });



export class WebhookSender {
  private readonly concurrency: number;
  private readonly perEndpoint: number;
  private readonly intervalMs: number;
  private readonly lookup: HostLookup;
  private readonly rand: () => number;
  /** Delivery ids queued or in flight in some deliverDue() call: one attempt per record at a time. */
  private readonly claimed = new Set<string>();
  private readonly inFlight = new Map<string, AbortController>();
  private readonly perEndpointBusy = new Map<string, number>();
  private readonly waiters: Array<{ endpoint: string; grant: (ok: boolean) => void }> = [];
  private readonly passes = new Set<Promise<number>>();
  private timer: TimerHandle | null = null;
  private running = false;
  private stopped = false;

  constructor(private readonly deps: SenderDeps) {
    this.concurrency = Math.max(1, deps.concurrency ?? 8);
    this.perEndpoint = Math.max(1, Math.floor(this.concurrency / 2));
    this.intervalMs = deps.intervalMs ?? 1000;
    this.lookup = deps.lookup ?? defaultLookup;
    this.rand = deps.rand ?? Math.random;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.stopped = false;
    this.schedule(0);
  }

  /** Abort the requests in flight (their rows stay due and are sent again later), clear the timer. */
  async stop(): Promise<void> {
    this.running = false;
    this.stopped = true;
    if (this.timer) this.deps.clock.clearTimeout(this.timer);
    this.timer = null;
    for (const w of this.waiters.splice(0)) w.grant(false);
    for (const c of this.inFlight.values()) c.abort(new Error('sender stopped'));
    await Promise.allSettled([...this.passes]);
  }

  /** Wake now (a new delivery was stored). */
  kick(): void {
    if (this.running) this.schedule(0);
  }

  /**
   * Deliver everything due now. Resolves with how many attempts were recorded (a refusal without
   * a request, e.g. a disabled endpoint, is recorded as an attempt too; an attempt aborted by
   * stop() is not recorded and not counted).
   */
  deliverDue(): Promise<number> {
    const pass = this.pass();
    this.passes.add(pass);
    void pass.finally(() => this.passes.delete(pass)).catch(() => undefined);
    return pass;
  }

  private async pass(): Promise<number> {
    if (this.stopped) return 0;
    const list = this.deps.store
      .dueDeliveries(this.deps.clock.now())
      .filter((r) => (r.status === 'pending' || r.status === 'retrying') && !this.claimed.has(r.id));
    for (const r of list) this.claimed.add(r.id);
    const done = await Promise.all(list.map((r) => this.one(r)));
    return done.filter(Boolean).length;
  }

  private schedule(ms: number): void {
    if (this.timer) this.deps.clock.clearTimeout(this.timer);
    this.timer = this.deps.clock.setTimeout(() => this.tick(), ms);
  }

  private tick(): void {
    this.timer = null;
    if (!this.running) return;
    // Passes run side by side: a slow request never delays the next poll.
    this.deliverDue().catch((err: unknown) => this.deps.log.error('webhook pass failed', { err }));
    this.schedule(this.intervalMs);
  }

  // --- slots -----------------------------------------------------------------------------------

  private grantable(endpoint: string): boolean {
    return this.inFlight.size < this.concurrency && (this.perEndpointBusy.get(endpoint) ?? 0) < this.perEndpoint;
  }

  private acquire(endpoint: string, id: string, ctl: AbortController): Promise<boolean> {
    const take = () => {
      this.inFlight.set(id, ctl);
      this.perEndpointBusy.set(endpoint, (this.perEndpointBusy.get(endpoint) ?? 0) + 1);
    };
    if (this.stopped) return Promise.resolve(false);
    if (this.waiters.length === 0 && this.grantable(endpoint)) {
      take();
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      this.waiters.push({
        endpoint,
        grant: (ok) => {
          if (ok) take();
          resolve(ok);
        },
      });
      this.drainWaiters();
    });
  }

  private release(endpoint: string, id: string): void {
    this.inFlight.delete(id);
    const n = (this.perEndpointBusy.get(endpoint) ?? 1) - 1;
    if (n > 0) this.perEndpointBusy.set(endpoint, n);
    else this.perEndpointBusy.delete(endpoint);
    this.drainWaiters();
  }

  /** Grant waiting deliveries in order, skipping those whose endpoint is at its share. */
  private drainWaiters(): void {
    for (let i = 0; i < this.waiters.length && this.inFlight.size < this.concurrency; ) {
      const w = this.waiters[i] as (typeof this.waiters)[number];
      if (this.grantable(w.endpoint)) {
        this.waiters.splice(i, 1);
        w.grant(true);
      } else i++;
    }
  }

  // --- one delivery ----------------------------------------------------------------------------

  /** One attempt for one row; true when an attempt was recorded. */
  private async one(rec: DeliveryRecord): Promise<boolean> {
    const ctl = new AbortController();
    try {
      if (!(await this.acquire(rec.endpoint_id, rec.id, ctl))) return false;
      try {
        return await this.attempt(rec, ctl.signal);
      } finally {
        this.release(rec.endpoint_id, rec.id);
      }
    } catch (err) {
      this.deps.log.error('webhook delivery failed unexpectedly', { delivery_id: rec.id, err });
      return false;
    } finally {
      this.claimed.delete(rec.id);
    }
  }

  private async attempt(rec: DeliveryRecord, signal: AbortSignal): Promise<boolean> {
    const { clock } = this.deps;
    if (signal.aborted) return false;
    const at = clock.now();
    const refuse = (error: string) => this.record(rec, { at, duration_ms: 0, http_status: null, error }, true);
    const ep = this.deps.store.webhookEndpoint(rec.endpoint_id);
    if (!ep) return refuse('not sent: the webhook endpoint was deleted');
    if (!ep.enabled) return refuse('not sent: the webhook endpoint is disabled');
    const check = validateWebhookUrl(ep.url, this.deps.urlPolicy);
    if (!check.ok) return refuse(`not sent: url ${check.message}`);

    const url = new URL(check.url);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    let addresses: Array<{ address: string; family: number }>;
    if (isIP(host)) addresses = [{ address: host, family: isIP(host) }];
    else {
      try {
        addresses = await withTimeout(this.lookup(host), this.deps.policy.timeout_ms, clock, signal, `timeout after ${this.deps.policy.timeout_ms} ms (dns lookup of ${host})`);
      } catch (err) {
        if (signal.aborted) return false;
        const e = err as NodeJS.ErrnoException;
        const error = e.message.startsWith('timeout') ? e.message : `dns lookup of ${host} failed: ${e.code ?? e.message}`;
        return this.record(rec, { at, duration_ms: clock.now() - at, http_status: null, error });
      }
      if (signal.aborted) return false;
      if (addresses.length === 0) return this.record(rec, { at, duration_ms: clock.now() - at, http_status: null, error: `dns lookup of ${host} found no address` });
    }
    // Every address must pass: a public name resolving (also) to an inside address is refused.
    for (const a of addresses) {
      const cls = addressClass(a.address);
      if (cls === 'loopback' && !this.deps.urlPolicy.allow_loopback) return refuse(`not sent: ${host} resolves to loopback address ${a.address} (allow_loopback is off)`);
      if (cls === 'private' && !this.deps.urlPolicy.allow_private) return refuse(`not sent: ${host} resolves to private address ${a.address} (allow_private is off)`);
    }
    const req = this.request(ep, rec, at);
    // The timeout covers the whole attempt, the lookup included.
    const left = Math.max(1, this.deps.policy.timeout_ms - (clock.now() - at));
    const out = await post({ url, host, addresses }, req, { left, total: this.deps.policy.timeout_ms }, signal, clock);
    if (out.kind === 'aborted') {
      this.deps.log.info('webhook attempt aborted: sender stopped', { delivery_id: rec.id, endpoint_id: rec.endpoint_id });
      return false;
    }
    const error = out.error === null ? null : scrub(out.error, ep.secret, req.headers[SIGNATURE_HEADER]);
    return this.record(rec, { at, duration_ms: Math.max(0, clock.now() - at), http_status: out.http_status, error });
  }

  /** The signed request; the stored body is what is sent, byte for byte, on every attempt. */
  private request(ep: WebhookEndpoint, rec: DeliveryRecord, now: number): WebhookRequest {
    let event = { type: rec.event_type } as WebhookEvent;
    try {
      const { delivery_id: _id, ...rest } = JSON.parse(rec.body) as Record<string, unknown>;
      event = { ...rest, type: rec.event_type } as unknown as WebhookEvent;
    } catch {
      // not JSON: signed as stored below
    }
    const built = buildRequest(ep, rec.id, event, now);
    if (built.body === rec.body) return built;
    // A body not shaped by newDelivery(): sign the stored bytes themselves.
    return { ...built, body: rec.body, headers: { ...built.headers, [SIGNATURE_HEADER]: signatureHeader(ep.secret, rec.body, Math.floor(now / 1000)) } };
  }

  private async record(rec: DeliveryRecord, r: AttemptResult, final = false): Promise<boolean> {
    let next = afterAttempt(rec, r, this.deps.policy, this.rand);
    if (final && next.status !== 'failed') next = { ...next, status: 'failed', next_at: null };
    await this.deps.store.putDelivery(next);
    const fields = { delivery_id: rec.id, endpoint_id: rec.endpoint_id, platform_id: rec.platform_id, event_type: rec.event_type, attempt: next.attempts.length, status: next.status, http_status: r.http_status, duration_ms: r.duration_ms };
    if (next.status === 'delivered') this.deps.log.info('webhook delivered', fields);
    else this.deps.log.warn(next.status === 'failed' ? 'webhook delivery failed' : 'webhook delivery will be retried', { ...fields, error: r.error, next_at: next.next_at });
    this.deps.onResult?.(next);
    return true;
  }
}
