// API errors: thrown as HTTPException (with a field when one is to blame) and rendered by the
// one onError handler as { error: { code, message, field?, issues? } }. Every issue carries a
// code and its params (hub/api/issue-codes.ts) beside the English message. Store errors map to
// HTTP here: a version conflict 409/412, the store unreachable 503 with Retry-After, a scope
// mismatch (a bug) 500.
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { z } from 'zod';
import { loneSurrogatePath, NOT_UNICODE } from '../model/text.js';
import { ScopeError, StoreUnavailableError, VersionConflictError } from '../store/port.js';
import { classifyZod, type IssueParams, UNCODED } from './issue-codes.js';

/** A field error. The API always sends `code` and `params`, given where the issue is raised. */
export interface FieldIssue {
  field: string;
  message: string;
  code?: string;
  params?: IssueParams;
}
export type ApiIssue = Required<FieldIssue>;

/** An issue as sent; one raised without a code is sent as `uncoded` (a bug the issue-code test catches). */
export function withCode(i: FieldIssue): ApiIssue {
  return { field: i.field, message: i.message, code: i.code ?? UNCODED.code, params: i.params ?? {} };
}

export class ApiError extends HTTPException {
  readonly issues: ApiIssue[];
  constructor(
    status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    issues: FieldIssue[] = [],
    /** More members of the error object (e.g. a 412's current record). */
    readonly extra: Record<string, unknown> = {},
  ) {
    super(status, { message });
    this.issues = issues.map(withCode);
  }
}

export function fieldPath(path: ReadonlyArray<PropertyKey>): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.').replace(/\.\[/g, '[') || '(root)';
}

export function invalid(issues: FieldIssue[]): ApiError {
  const msg = issues.map((i) => `${i.field}: ${i.message}`).join('; ');
  return new ApiError(400, 'invalid', msg, issues);
}

export const notFound = (what: string) => new ApiError(404, 'not_found', `${what} not found`);

/** An issue naming a missing reference (code not_found, params {what, id}). */
export const missingRef = (field: string, what: string, id: string, message = `${what.replace('_', ' ')} ${id} not found`): ApiIssue => ({ field, message, code: 'not_found', params: { what, id } });

/** 409 "already exists" for a create whose id is taken. */
export const exists = (what: string, id: string, field = 'id') =>
  new ApiError(409, 'exists', `${what} ${id} already exists`, [{ field, message: 'already exists', code: 'exists', params: { what, id } }]);

export function zodIssues(error: z.ZodError, prefix = ''): ApiIssue[] {
  return error.issues.map((i) => ({ field: fieldPath([...(prefix ? [prefix] : []), ...i.path]), message: i.message, ...classifyZod(i) }));
}

export function parseWith<S extends z.ZodType>(schema: S, value: unknown, prefix = ''): z.output<S> {
  const r = schema.safeParse(value, { reportInput: true });
  if (!r.success) throw invalid(zodIssues(r.error, prefix));
  return r.data;
}

export const BODY_MAX = 256 * 1024;

export async function readJson(c: Context, max = BODY_MAX): Promise<unknown> {
  const text = await c.req.text();
  if (text.length > max) throw new ApiError(413, 'too_large', `body exceeds ${Math.round(max / 1024)} KiB`);
  if (!text.trim()) return {};
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (err) {
    throw invalid([{ field: '(root)', message: `not valid JSON (${(err as Error).message})`, code: 'invalid_json', params: {} }]);
  }
  // Lone surrogates ("\ud800") parse as JSON but are not Unicode: refused anywhere (issue 18).
  const bad = loneSurrogatePath(value);
  if (bad) throw invalid([{ field: fieldPath(bad), message: NOT_UNICODE, code: 'not_unicode', params: {} }]);
  return value;
}

export async function parseBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  return parseWith(schema, await readJson(c));
}

export function parseQuery<S extends z.ZodType>(c: Context, schema: S): z.output<S> {
  return parseWith(schema, c.req.query());
}

/** Seconds a client waits before retrying when the store is unreachable. */
export const STORE_RETRY_AFTER_S = 5;

export function renderError(err: Error, c: Context): Response {
  if (err instanceof VersionConflictError) {
    // Handlers turn conflicts they can describe into ApiErrors; this is the rest.
    if (err.expected === null) return c.json({ error: { code: 'exists', message: `${err.aggregate} ${err.id} already exists` } }, 409);
    return c.json({ error: { code: 'version_conflict', message: err.message, current_version: err.current, current: null } }, 412);
  }
  if (err instanceof StoreUnavailableError) {
    c.header('Retry-After', String(STORE_RETRY_AFTER_S));
    return c.json({ error: { code: 'store_unavailable', message: 'the store is unavailable; retry later' } }, 503);
  }
  if (err instanceof ScopeError) return c.json({ error: { code: 'internal', message: 'internal error (scope)' } }, 500);
  if (err instanceof ApiError) {
    return c.json({ error: { code: err.code, message: err.message, ...(err.issues.length ? { field: err.issues[0]?.field, issues: err.issues } : {}), ...err.extra } }, err.status);
  }
  if (err instanceof HTTPException) return c.json({ error: { code: 'http', message: err.message || 'error' } }, err.status);
  return c.json({ error: { code: 'internal', message: 'internal error' } }, 500);
}

