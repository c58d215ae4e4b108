// The web form calls the hub's own HTTP API in process (app.request), with the session's
// platform token: the same routes, validation, tenancy and error shapes as any API client.
import type { Hono } from 'hono';
import type { HubEnv } from '../api/context.js';
import type { FieldIssue } from '../api/errors.js';

export interface ApiError {
  code: string;
  message: string;
  field?: string;
  issues?: FieldIssue[];
}

export type ApiResult<T> = { ok: true; status: number; data: T } | { ok: false; status: number; error: ApiError };

export type ApiCall = <T = unknown>(method: string, path: string, body?: unknown) => Promise<ApiResult<T>>;

/** `lang`: the user's language, sent as Accept-Language (automatic names, dry-run reasons). */
export function apiCaller(app: Hono<HubEnv>, token: string, lang?: 'ru' | 'en'): ApiCall {
  return async <T>(method: string, path: string, body?: unknown): Promise<ApiResult<T>> => {
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    if (lang) headers['accept-language'] = lang;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await app.request(`/api/v1${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = null;
    }
    if (res.ok) return { ok: true, status: res.status, data: parsed as T };
    const error = (parsed as { error?: ApiError } | null)?.error ?? { code: 'http', message: `HTTP ${res.status}` };
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
