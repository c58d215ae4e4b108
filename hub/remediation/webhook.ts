// Webhooks, the pure part (issue 10: "HTTP POST, JSON, HMAC-signed with a per-endpoint secret,
// retried with backoff, with a delivery log. Webhook targets are validated; a failing webhook
// never blocks a playbook"). Signature: `X-Gsmjobs-Signature: t=<unix s>,v1=<hex>` where v1 is
// HMAC-SHA256(secret, "<t>.<body>"); the timestamp is signed, so a captured request cannot be
// replayed after the tolerance. node:crypto is computation, not I/O.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { addressClass } from './address-class.js';
import { z } from 'zod';
import { opaqueId } from '../common/contract/index.js';
import type { WebhookEvent } from './run.js';

export const SIGNATURE_HEADER = 'X-Gsmjobs-Signature';
export const EVENT_HEADER = 'X-Gsmjobs-Event';
export const DELIVERY_HEADER = 'X-Gsmjobs-Delivery';

export const webhookEndpoint = z.object({
  id: opaqueId,
  platform_id: z.string(),
  url: z.string().min(1).max(2000),
  /** Per-endpoint secret (never logged, never returned by the API after creation). */
  secret: z.string().min(16, 'must be at least 16 characters').max(200),
  enabled: z.boolean().default(true),
});
export type WebhookEndpoint = z.infer<typeof webhookEndpoint>;

export const retryPolicy = z.object({
  max_attempts: z.number().int().min(1).max(50).default(8),
  base_ms: z.number().int().min(100).default(5000),
  factor: z.number().min(1).max(10).default(2),
  max_ms: z.number().int().min(1000).default(3600_000),
  /** Share of each delay drawn at random (0 = none, 1 = full jitter). */
  jitter: z.number().min(0).max(1).default(0.5),
  timeout_ms: z.number().int().min(500).max(60_000).default(10_000),
});
export type RetryPolicy = z.infer<typeof retryPolicy>;

// --- signing ---------------------------------------------------------------------------------

export function signature(secret: string, body: string, tSec: number): string {
  return createHmac('sha256', secret).update(`${tSec}.${body}`).digest('hex');
}

export function signatureHeader(secret: string, body: string, tSec: number): string {
  return `t=${tSec},v1=${signature(secret, body, tSec)}`;
}

export type VerifyResult = { ok: true; t: number } | { ok: false; reason: 'malformed' | 'stale' | 'mismatch' };

/** What a receiver does (and what the e2e test server does): check the signature and its age. */
export function verifySignature(secret: string, header: string | undefined, body: string, nowSec: number, toleranceSec = 300): VerifyResult {
  const m = /^t=(\d{1,12}),v1=([0-9a-f]{64})$/.exec(header ?? '');
  if (!m) return { ok: false, reason: 'malformed' };
  const t = Number(m[1]);
  if (Math.abs(nowSec - t) > toleranceSec) return { ok: false, reason: 'stale' };
  const want = Buffer.from(signature(secret, body, t), 'hex');
  const got = Buffer.from(m[2] as string, 'hex');
  return timingSafeEqual(want, got) ? { ok: true, t } : { ok: false, reason: 'mismatch' };
}

export interface WebhookRequest {
  url: string;
  method: 'POST';
  headers: Record<string, string>;
  body: string;
}

/** The exact request for one delivery attempt (the body is fixed for all attempts; the signature time is not). */
export function buildRequest(endpoint: Pick<WebhookEndpoint, 'url' | 'secret'>, delivery_id: string, event: WebhookEvent, now: number): WebhookRequest {
  const body = JSON.stringify({ delivery_id, ...event });
  return {
    url: endpoint.url,
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      'User-Agent': 'gsmjobs-hub',
      [EVENT_HEADER]: event.type,
      [DELIVERY_HEADER]: delivery_id,
      [SIGNATURE_HEADER]: signatureHeader(endpoint.secret, body, Math.floor(now / 1000)),
    },
    body,
  };
}

// --- retries ---------------------------------------------------------------------------------

/** Delay before attempt `attempt + 1` after attempt `attempt` (1-based) failed; `rand` in [0, 1). */
export function backoffMs(attempt: number, p: RetryPolicy, rand: () => number): number {
  const ceiling = Math.min(p.max_ms, p.base_ms * p.factor ** Math.max(0, attempt - 1));
  return Math.round(ceiling * (1 - p.jitter) + ceiling * p.jitter * rand());
}

/** HTTP status that is worth retrying (network errors are: pass status null). */
export function retryable(status: number | null): boolean {
  return status === null || status === 408 || status === 425 || status === 429 || status >= 500;
}

export { deliveryRecord, deliveryStatus } from '../model/delivery.js';
export type { DeliveryRecord } from '../model/delivery.js';
import type { DeliveryRecord } from '../model/delivery.js';
import { type Refusal, refuse } from '../model/issue.js';

export function newDelivery(id: string, endpoint: Pick<WebhookEndpoint, 'id' | 'platform_id'>, key: string, event: WebhookEvent, now: number): DeliveryRecord {
  return { id, endpoint_id: endpoint.id, platform_id: endpoint.platform_id, key, event_type: event.type, body: JSON.stringify({ delivery_id: id, ...event }), status: 'pending', created_at: now, next_at: now, attempts: [] };
}

export interface AttemptResult {
  at: number;
  duration_ms: number;
  http_status: number | null;
  error: string | null;
}

/** Record an attempt and decide: delivered, retry at a later time, or failed for good. */
export function afterAttempt(rec: DeliveryRecord, r: AttemptResult, p: RetryPolicy, rand: () => number): DeliveryRecord {
  const attempts = [...rec.attempts, { ...r, error: r.error === null ? null : r.error.slice(0, 200) }];
  if (r.http_status !== null && r.http_status >= 200 && r.http_status < 300) return { ...rec, attempts, status: 'delivered', next_at: null };
  if (!retryable(r.http_status) || attempts.length >= p.max_attempts) return { ...rec, attempts, status: 'failed', next_at: null };
  return { ...rec, attempts, status: 'retrying', next_at: r.at + r.duration_ms + backoffMs(attempts.length, p, rand) };
}

/** Deliveries due now, oldest first. */
export function due(log: readonly DeliveryRecord[], now: number): DeliveryRecord[] {
  return log.filter((d) => d.next_at !== null && d.next_at <= now).sort((a, b) => (a.next_at ?? 0) - (b.next_at ?? 0));
}

// --- target validation -----------------------------------------------------------------------

export interface UrlPolicy {
  /** Allow loopback targets (127.0.0.0/8, ::1, localhost): tests and same-host receivers. */
  allow_loopback: boolean;
  /** Allow private, link-local and carrier-grade NAT targets. */
  allow_private: boolean;
}

// The address classes live in address-class.ts (every IPv6 form embedding IPv4, special ranges, issue 18).
export { addressClass } from './address-class.js';

export type UrlCheck = { ok: true; url: string } | (Refusal & { field: 'url' });

export function validateWebhookUrl(raw: string, policy: UrlPolicy): UrlCheck {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return { ...refuse('url', 'url_scheme', 'must be an absolute http(s) URL'), field: 'url' };
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return { ...refuse('url', 'url_scheme', 'must use http or https'), field: 'url' };
  if (u.username || u.password) return { ...refuse('url', 'url_credentials', 'must not contain credentials (use the signature secret)'), field: 'url' };
  if (u.hash) return { ...refuse('url', 'url_fragment', 'must not contain a #fragment'), field: 'url' };
  const cls = addressClass(u.hostname);
  if (cls === 'loopback' && !policy.allow_loopback) return { ...refuse('url', 'url_loopback', 'must not target a loopback address (allow_loopback is off)'), field: 'url' };
  if (cls === 'private' && !policy.allow_private) return { ...refuse('url', 'url_private', 'must not target a private, link-local or special-purpose address (allow_private is off)'), field: 'url' };
  return { ok: true, url: u.toString() };
}
