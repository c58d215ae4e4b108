// API errors: thrown as HTTPException (with a field when one is to blame) and rendered by the
// one onError handler as { error: { code, message, field?, issues? } }.
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { z } from 'zod';
import { loneSurrogatePath, NOT_UNICODE } from '../model/text.js';

export interface FieldIssue {
  field: string;
  message: string;
}

export class ApiError extends HTTPException {
  constructor(
    status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly issues: FieldIssue[] = [],
  ) {
    super(status, { message });
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

export function zodIssues(error: z.ZodError, prefix = ''): FieldIssue[] {
  return error.issues.map((i) => ({ field: fieldPath([...(prefix ? [prefix] : []), ...i.path]), message: i.message }));
}

export function parseWith<S extends z.ZodType>(schema: S, value: unknown, prefix = ''): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw invalid(zodIssues(r.error, prefix));
  return r.data;
}

export async function readJson(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (text.length > 256 * 1024) throw new ApiError(413, 'too_large', 'body exceeds 256 KiB');
  if (!text.trim()) return {};
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (err) {
    throw invalid([{ field: '(root)', message: `not valid JSON (${(err as Error).message})` }]);
  }
  // Lone surrogates ("\ud800") parse as JSON but are not Unicode: refused anywhere (issue 18).
  const bad = loneSurrogatePath(value);
  if (bad) throw invalid([{ field: fieldPath(bad), message: NOT_UNICODE }]);
  return value;
}

export async function parseBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  return parseWith(schema, await readJson(c));
}

export function parseQuery<S extends z.ZodType>(c: Context, schema: S): z.output<S> {
  return parseWith(schema, c.req.query());
}

export function renderError(err: Error, c: Context): Response {
  if (err instanceof ApiError) {
    return c.json({ error: { code: err.code, message: err.message, ...(err.issues.length ? { field: err.issues[0]?.field, issues: err.issues } : {}) } }, err.status);
  }
  if (err instanceof HTTPException) return c.json({ error: { code: 'http', message: err.message || 'error' } }, err.status);
  return c.json({ error: { code: 'internal', message: 'internal error' } }, 500);
}
