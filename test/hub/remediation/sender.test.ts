// Webhook sender (the I/O shell of hub/remediation/webhook.ts) against a real loopback HTTP
// server: signing, retries, timeouts, redirects, disabled endpoints, bounded concurrency,
// stop() mid-request and secrets kept out of logs. Resolution, pinning and TLS: sender-network.test.ts.
import { describe, expect, it } from 'vitest';
import { createLogger, type Logger } from '../../../hub/common/log.js';
import { DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, verifySignature, type DeliveryRecord } from '../../../hub/remediation/webhook.js';
import { advance, clock, delivery, endpoint, hits, policy, port, SECRET, type Seen, seen, sender, store, until, url, useSenderWorld } from './sender-world.js';

useSenderWorld();

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
    advance(1000);
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
    advance(3600_000);
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
    advance(1); // the fast one is the newest: last in due order
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
});
