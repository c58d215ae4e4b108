// Webhooks, pure part (issue 10: "HMAC-signed with a per-endpoint secret, retried with backoff,
// with a delivery log. Webhook targets are validated").
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { addressClass, afterAttempt, backoffMs, buildRequest, due, newDelivery, retryPolicy, SIGNATURE_HEADER, validateWebhookUrl, verifySignature, webhookEndpoint } from '../../../hub/remediation/webhook.js';
import { escalatedEvent, S, T0 } from './fixtures.js';

const SECRET = 'whsec-0123456789abcdef';
const event = escalatedEvent(T0);

describe('signature', () => {
  const req = buildRequest({ url: 'https://example.com/hook', secret: SECRET }, 'd1', event, T0);

  it('is HMAC-SHA256 of "<t>.<body>" with the endpoint secret, computed independently', () => {
    const t = Math.floor(T0 / 1000);
    const expected = createHmac('sha256', SECRET).update(`${t}.${req.body}`).digest('hex');
    expect(req.headers[SIGNATURE_HEADER]).toBe(`t=${t},v1=${expected}`);
    expect(JSON.parse(req.body)).toMatchObject({ delivery_id: 'd1', type: 'execution.escalated', outcome: 'not_recovered' });
    expect(req.headers['Content-Type']).toBe('application/json');
  });

  it('verifies; rejects another secret, a changed body, a replay after the tolerance, garbage', () => {
    const h = req.headers[SIGNATURE_HEADER];
    const now = Math.floor(T0 / 1000);
    expect(verifySignature(SECRET, h, req.body, now + 10)).toEqual({ ok: true, t: now });
    expect(verifySignature('another-secret-000000', h, req.body, now)).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifySignature(SECRET, h, req.body.replace('ex1', 'ex2'), now)).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifySignature(SECRET, h, req.body, now + 301)).toEqual({ ok: false, reason: 'stale' });
    // Moving the timestamp forward to beat the replay check breaks the signature.
    expect(verifySignature(SECRET, h?.replace(`t=${now}`, `t=${now + 600}`), req.body, now + 600)).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifySignature(SECRET, 'v1=abc', req.body, now)).toEqual({ ok: false, reason: 'malformed' });
    expect(verifySignature(SECRET, undefined, req.body, now)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('short secrets are refused by the endpoint schema', () => {
    expect(webhookEndpoint.safeParse({ id: 'w', platform_id: 'ar', url: 'https://x.io', secret: 'short' }).error?.issues[0]).toMatchObject({ path: ['secret'] });
  });
});

describe('retries with exponential backoff and jitter', () => {
  const p = retryPolicy.parse({ max_attempts: 4, base_ms: 1000, factor: 2, max_ms: 5000, jitter: 0.5 });

  it('doubles up to the ceiling; jitter stays within [ceiling*(1-j), ceiling]', () => {
    expect([1, 2, 3, 4, 5].map((a) => backoffMs(a, p, () => 0))).toEqual([500, 1000, 2000, 2500, 2500]);
    expect([1, 2, 3, 4, 5].map((a) => backoffMs(a, p, () => 0.999999))).toEqual([1000, 2000, 4000, 5000, 5000]);
    const full = retryPolicy.parse({ jitter: 1, base_ms: 1000 });
    expect(backoffMs(1, full, () => 0)).toBe(0);
  });

  it('the delivery log: 500 retries, 429 retries, 2xx delivers, 400 fails at once, attempts run out', () => {
    let d = newDelivery('d1', { id: 'w1', platform_id: 'ar' }, 'ex1:6:wh:w1', event, T0);
    expect(due([d], T0)).toEqual([d]);
    d = afterAttempt(d, { at: T0, duration_ms: 100, http_status: 500, error: 'oops' }, p, () => 0);
    expect(d).toMatchObject({ status: 'retrying', next_at: T0 + 100 + 500 });
    expect(due([d], T0 + 599)).toEqual([]);
    d = afterAttempt(d, { at: T0 + 600, duration_ms: 0, http_status: 429, error: null }, p, () => 0);
    d = afterAttempt(d, { at: T0 + 5 * S, duration_ms: 0, http_status: null, error: 'ECONNREFUSED '.repeat(40) }, p, () => 0);
    expect(d.attempts[2]?.error).toHaveLength(200);
    const ok = afterAttempt(d, { at: T0 + 10 * S, duration_ms: 5, http_status: 204, error: null }, p, () => 0);
    expect(ok).toMatchObject({ status: 'delivered', next_at: null });
    expect(ok.attempts).toHaveLength(4);
    const gaveUp = afterAttempt(d, { at: T0 + 10 * S, duration_ms: 5, http_status: 503, error: null }, p, () => 0);
    expect(gaveUp.status).toBe('failed');
    const bad = afterAttempt(newDelivery('d2', { id: 'w1', platform_id: 'ar' }, 'k', event, T0), { at: T0, duration_ms: 1, http_status: 400, error: null }, p, () => 0);
    expect(bad).toMatchObject({ status: 'failed', next_at: null });
  });
});

describe('target URL validation', () => {
  const strict = { allow_loopback: false, allow_private: false };
  const test = { allow_loopback: true, allow_private: false };

  it.each([
    ['https://hooks.example.com/x', true],
    ['http://hooks.example.com:8080/x?a=1', true],
    ['ftp://example.com/', false],
    ['javascript:alert(1)', false],
    ['https://user:pw@example.com/', false],
    ['https://example.com/#frag', false],
    ['not a url', false],
    ['http://127.0.0.1:8080/', false],
    ['http://localhost/', false],
    ['http://2130706433/', false], // 127.0.0.1 in decimal
    ['http://0x7f.1/', false],
    ['http://[::1]/', false],
    ['http://[::ffff:127.0.0.1]/', false],
    ['http://10.1.2.3/', false],
    ['http://172.20.0.1/', false],
    ['http://172.32.0.1/', true],
    ['http://192.168.1.1/', false],
    ['http://169.254.169.254/latest/meta-data', false],
    ['http://100.64.0.1/', false],
    ['http://[fd00::1]/', false],
    ['http://[fe80::1]/', false],
    ['http://0.0.0.0/', false],
  ])('%s -> %s (strict)', (url, ok) => {
    const r = validateWebhookUrl(url, strict);
    expect(r.ok).toBe(ok);
    if (!r.ok) expect(r.field).toBe('url');
  });

  it('loopback is allowed only by config (the e2e test server); private stays refused', () => {
    expect(validateWebhookUrl('http://127.0.0.1:39999/hook', test)).toEqual({ ok: true, url: 'http://127.0.0.1:39999/hook' });
    expect(validateWebhookUrl('http://10.0.0.1/', test).ok).toBe(false);
    expect(validateWebhookUrl('http://10.0.0.1/', { allow_loopback: false, allow_private: true }).ok).toBe(true);
    expect(addressClass('8.8.8.8')).toBeNull();
  });
});
