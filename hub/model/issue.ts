// Validation issues with their code at the source (issue 17): a check that refuses a value says
// which rule it broke (`code`) and with what (`params`) where it is raised, so nothing downstream
// has to recognise its English message. The codes' texts in Russian and English are in
// hub/api/issue-codes.ts. Pure.
import type { z } from 'zod';
import { opaqueId, phoneNumber, platformId } from '../common/contract/index.js';

export type IssueParams = Record<string, unknown>;

/** A refused value: the field (relative to what was checked), the English message, the code. */
export interface CodedIssue {
  field: string;
  message: string;
  code: string;
  params: IssueParams;
}

/** A check's failure with its code (catalog parameters, SMS length, webhook URL policy). */
export type Refusal = { ok: false } & CodedIssue;
export const refuse = (field: string, code: string, message: string, params: IssueParams = {}): Refusal => ({ ok: false, field, message, code, params });

/**
 * Options of a zod `.refine()` / `ctx.addIssue()` whose custom issue carries its code:
 * `params: { code, ...params }` (zod keeps a custom issue's params).
 */
export const coded = (code: string, message: string, params: IssueParams = {}) => ({ message, params: { ...params, code } });

/** The code of a custom zod issue raised with `coded`, or undefined. */
export function customCode(params: unknown): { code: string; params: IssueParams } | undefined {
  if (!params || typeof params !== 'object' || typeof (params as { code?: unknown }).code !== 'string') return undefined;
  const { code, ...rest } = params as { code: string } & IssueParams;
  return { code, params: rest };
}

/**
 * Regular-expression rules (zod `.regex()`, kept so the JSON schemas show the pattern) name their
 * code here, by the pattern's text as zod reports it in the issue (`pattern`).
 */
const PATTERN_CODES = new Map<string, string>();

/** Register the code of a pattern rule; returns the pattern (for `.regex(codedPattern(re, code))`). */
export function codedPattern(re: RegExp, code: string): RegExp {
  PATTERN_CODES.set(String(re), code);
  return re;
}

/** Register the code of every pattern a string schema checks (schemas defined in hub/common). */
export function codeSchemaPatterns(schema: z.ZodType, code: string): void {
  const checks = (schema as unknown as { _zod: { def: { checks?: Array<{ _zod: { def: { pattern?: unknown } } }> } } })._zod.def.checks ?? [];
  for (const c of checks) if (c._zod.def.pattern instanceof RegExp) PATTERN_CODES.set(String(c._zod.def.pattern), code);
}

export const patternCode = (pattern: unknown): string | undefined => (typeof pattern === 'string' ? PATTERN_CODES.get(pattern) : undefined);

// The wire contract's identifiers (hub/common, shared with the agent, knows nothing of codes).
codeSchemaPatterns(platformId, 'id_format');
codeSchemaPatterns(opaqueId, 'key_format');
codeSchemaPatterns(phoneNumber, 'phone');
