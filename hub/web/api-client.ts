// The web form calls the hub's own HTTP API in process (app.request), with the session's
// platform token: the same routes, validation, tenancy and error shapes as any API client.
import type { Hono } from 'hono';
import type { HubEnv } from '../api/context.js';
import type { FieldIssue } from '../api/errors.js';
import { INTERNAL_TOKEN_HASH } from '../api/auth.js';

/** A field issue of the API: `code` and `params` (issue 17) name the problem in any language. */
export interface WebIssue extends FieldIssue {
  code?: string;
  params?: Record<string, unknown>;
}

export interface ApiError {
  code: string;
  message: string;
  field?: string;
  issues?: WebIssue[];
  /** 412 version_conflict: the stored version and record (null: deleted meanwhile). */
  current_version?: string | number | null;
  current?: unknown;
}

export type ApiResult<T> = { ok: true; status: number; data: T; etag: string | null; replayed: boolean } | { ok: false; status: number; error: ApiError };

/** Extra request headers, e.g. Idempotency-Key and If-Match. */
export type ApiHeaders = Record<string, string>;

export type ApiCall = <T = unknown>(method: string, path: string, body?: unknown, headers?: ApiHeaders) => Promise<ApiResult<T>>;

/** Who calls: a bearer token, or a token's hash (sessions) with the platform an admin chose. */
export type ApiAuth = string | { tokenHash: string; platformId?: string | undefined };

/** The raw response of an API call (e.g. CSV downloads proxied through the pages). */
export type ApiRaw = (method: string, path: string, body?: unknown, extra?: ApiHeaders) => Promise<Response>;

export function apiRequester(app: Hono<HubEnv>, auth: ApiAuth, lang?: 'ru' | 'en'): ApiRaw {
  return async (method, path, body, extra) => {
    const headers: Record<string, string> = { ...extra, ...(typeof auth === 'string' ? { authorization: `Bearer ${auth}` } : {}) };
    if (lang) headers['accept-language'] = lang;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let url = `/api/v1${path}`;
    if (typeof auth !== 'string' && auth.platformId) url += `${url.includes('?') ? '&' : '?'}platform_id=${encodeURIComponent(auth.platformId)}`;
    const env = typeof auth === 'string' ? undefined : { [INTERNAL_TOKEN_HASH]: auth.tokenHash };
    return app.request(url, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) }, env);
  };
}

/** `lang`: the user's language, sent as Accept-Language (automatic names, dry-run reasons). */
export function apiCaller(app: Hono<HubEnv>, auth: ApiAuth, lang?: 'ru' | 'en'): ApiCall {
  const raw = apiRequester(app, auth, lang);
  return async <T>(method: string, path: string, body?: unknown, headers?: ApiHeaders): Promise<ApiResult<T>> => {
    const res = await raw(method, path, body, headers);
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = null;
    }
    if (res.ok) return { ok: true, status: res.status, data: parsed as T, etag: res.headers.get('etag'), replayed: res.headers.get('idempotent-replayed') === 'true' };
    const error = (parsed as { error?: ApiError } | null)?.error ?? { code: 'http', message: `HTTP ${res.status}` };
    if (error.issues) error.issues = error.issues.map(normalIssue);
    return { ok: false, status: res.status, error };
  };
}

/** Build a query string from defined, non-empty values. */
export function qs(params: Record<string, string | number | undefined | null>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') u.set(k, String(v));
  const s = u.toString();
  return s ? `?${s}` : '';
}

/** Issues name their field as `field` (jobs) or `path` (string or array, remediation routes): one shape. */
export function normalIssue(i: unknown): WebIssue {
  const o = (i ?? {}) as { field?: unknown; path?: unknown; message?: unknown; code?: unknown; params?: unknown };
  let field = typeof o.field === 'string' ? o.field : '';
  if (!field && typeof o.path === 'string') field = o.path;
  if (!field && Array.isArray(o.path)) field = o.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
  const out: WebIssue = { field, message: typeof o.message === 'string' ? o.message : String(o.message ?? '') };
  if (typeof o.code === 'string') out.code = o.code;
  if (o.params && typeof o.params === 'object') out.params = o.params as Record<string, unknown>;
  return out;
}
