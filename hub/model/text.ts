// Text that people name things with (issue 18). A lone UTF-16 surrogate (JSON "\ud800") is not
// Unicode: stored, it makes definitions.json unreadable to strict JSON parsers, so it is refused
// wherever it appears in a request (`loneSurrogatePath`, applied to every JSON body) and in
// names; names also refuse control characters (line breaks, tabs, escapes), which no form
// produces and which break logs, CSV and SMS texts. Pure.
import { z } from 'zod';
import { coded } from './issue.js';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

// Both languages in one message: the web form shows schema messages as they are.
export const NOT_UNICODE = 'must be valid Unicode text (it holds a lone UTF-16 surrogate) / недопустимый текст: одиночный суррогат UTF-16';
export const HAS_CONTROL = 'must not contain control characters (line breaks, tabs, escapes) / не должно содержать управляющих символов (переводов строки, табуляции)';

export function hasLoneSurrogate(s: string): boolean {
  return LONE_SURROGATE.test(s);
}

/** A display name of `min`..`max` characters: valid Unicode, no control characters. */
export function displayName(min: number, max: number, tooShort?: string) {
  return z
    .string()
    .min(min, tooShort)
    .max(max)
    .refine((s) => !hasLoneSurrogate(s), coded('not_unicode', NOT_UNICODE))
    .refine((s) => !CONTROL.test(s), coded('control_chars', HAS_CONTROL));
}

/** The path of the first string (value or key) holding a lone surrogate in a parsed JSON value, or null. */
export function loneSurrogatePath(value: unknown, path: Array<string | number> = [], depth = 0): Array<string | number> | null {
  if (typeof value === 'string') return hasLoneSurrogate(value) ? path : null;
  if (value === null || typeof value !== 'object' || depth > 64) return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const p = loneSurrogatePath(value[i], [...path, i], depth + 1);
      if (p) return p;
    }
    return null;
  }
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (hasLoneSurrogate(k)) return [...path, k];
    const p = loneSurrogatePath(v, [...path, k], depth + 1);
    if (p) return p;
  }
  return null;
}
