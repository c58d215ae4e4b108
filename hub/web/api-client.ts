// The web form calls the hub's own HTTP API in process (app.request), with the session's
// platform token: the same routes, validation, tenancy and error shapes as any API client.
import type { Hono } from 'hono';
import type { HubEnv } from '../api/context.js';
import type { FieldIssue } from '../api/errors.js';
import { INTERNAL_TOKEN_HASH } from '../api/auth.js';

export interface ApiError {
  code: string;
  message: string;
  field?: string;
  issues?: FieldIssue[];
}

export type ApiResult<T> = { ok: true; status: number; data: T } | { ok: false; status: number; error: ApiError };

export type ApiCall = <T = unknown>(method: string, path: string, body?: unknown) => Promise<ApiResult<T>>;

/** Who calls: a bearer token, or a token's hash (sessions) with the platform an admin chose. */
export type ApiAuth = string | { tokenHash: string; platformId?: string | undefined };

/** The raw response of an API call (e.g. CSV downloads proxied through the pages). */
export type ApiRaw = (method: string, path: string, body?: unknown) => Promise<Response>;

export function apiRequester(app: Hono<HubEnv>, auth: ApiAuth, lang?: 'ru' | 'en'): ApiRaw {
  return async (method, path, body) => {
    const headers: Record<string, string> = typeof auth === 'string' ? { authorization: `Bearer ${auth}` } : {};
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
  return async <T>(method: string, path: string, body?: unknown): Promise<ApiResult<T>> => {
    const res = await raw(method, path, body);
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = null;
    }
    if (res.ok) return { ok: true, status: res.status, data: parsed as T };
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
export function normalIssue(i: unknown): FieldIssue {
  const o = (i ?? {}) as { field?: unknown; path?: unknown; message?: unknown };
  let field = typeof o.field === 'string' ? o.field : '';
  if (!field && typeof o.path === 'string') field = o.path;
  if (!field && Array.isArray(o.path)) field = o.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
  return { field, message: typeof o.message === 'string' ? o.message : String(o.message ?? '') };
}
