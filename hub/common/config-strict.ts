// Strict config keys, shared by the three programs: walks a zod schema beside the raw config
// and reports every key the schema does not know, with its path and a "did you mean" taken
// from the known keys at that level (Levenshtein distance). Pure; loadStrictConfig wraps
// hub/common/config.ts's loadConfig with it, so a misspelt key is an error, never ignored.
import type { z } from 'zod';
import { ConfigError, type LoadConfigOptions, applyEnvOverrides, loadConfig, parseConfigText } from './config.js';
import { readFileSync } from 'node:fs';

export interface UnknownKey {
  path: string;
  suggestion?: string | undefined;
}

/** Edit distance between two strings (insert, delete, substitute). */
export function levenshtein(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

/** The closest known key, when it is close enough to be a likely misspelling. */
export function closest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const d = levenshtein(key.toLowerCase(), k.toLowerCase());
    if (d < bestD) [best, bestD] = [k, d];
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(best.length / 3)) ? best : undefined;
}

interface Def {
  type: string;
  innerType?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  catchall?: z.ZodType;
  valueType?: z.ZodType;
  element?: z.ZodType;
  options?: z.ZodType[];
  discriminator?: string;
  in?: z.ZodType;
  out?: z.ZodType;
  left?: z.ZodType;
  right?: z.ZodType;
  getter?: () => z.ZodType;
}
const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;
const isMap = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const join = (path: string, key: string) => (path ? `${path}.${key}` : key);

/** Keys of `value` that `schema` does not know, depth first, with suggestions. */
export function findUnknownKeys(schema: z.ZodType, value: unknown, path = ''): UnknownKey[] {
  const def = defOf(schema);
  switch (def.type) {
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'catch':
    case 'readonly':
    case 'nonoptional':
      return def.innerType ? findUnknownKeys(def.innerType, value, path) : [];
    case 'pipe': {
      // z.preprocess(fn, schema): walk the schema with the value as fn makes it (e.g. a default
      // discriminator added), so its keys are checked too.
      const pre = def.in ? (defOf(def.in) as { type: string; transform?: (v: unknown, ctx: unknown) => unknown }) : undefined;
      if (pre?.type === 'transform' && pre.transform && def.out) {
        let v: unknown;
        try {
          v = pre.transform(value, { issues: [], addIssue: () => undefined });
        } catch {
          return [];
        }
        return findUnknownKeys(def.out, v, path);
      }
      return def.in ? findUnknownKeys(def.in, value, path) : [];
    }
    case 'lazy':
      return def.getter ? findUnknownKeys(def.getter(), value, path) : [];
    case 'intersection':
      return [];
    case 'array':
      return Array.isArray(value) && def.element ? value.flatMap((v, i) => findUnknownKeys(def.element!, v, join(path, String(i)))) : [];
    case 'record':
      return isMap(value) && def.valueType ? Object.entries(value).flatMap(([k, v]) => findUnknownKeys(def.valueType!, v, join(path, k))) : [];
    case 'union': {
      if (!isMap(value) || !def.options) return [];
      if (def.discriminator) {
        const d = value[def.discriminator];
        const match = def.options.find((o) => {
          const shape = defOf(o).shape;
          const lit = shape?.[def.discriminator!];
          const values = lit ? (defOf(lit) as { values?: unknown[] }).values : undefined;
          return values?.includes(d);
        });
        return match ? findUnknownKeys(match, value, path) : [];
      }
      // A plain union: the option that leaves the fewest unknown keys.
      const found = def.options.map((o) => findUnknownKeys(o, value, path));
      return found.sort((a, b) => a.length - b.length)[0] ?? [];
    }
    case 'object': {
      if (!isMap(value) || !def.shape) return [];
      const known = Object.keys(def.shape);
      const out: UnknownKey[] = [];
      for (const [k, v] of Object.entries(value)) {
        const sub = def.shape[k];
        if (sub) out.push(...findUnknownKeys(sub, v, join(path, k)));
        else if (!def.catchall || defOf(def.catchall).type === 'never') {
          const s = closest(k, known);
          out.push({ path: join(path, k), suggestion: s === undefined ? undefined : join(path, s) });
        }
      }
      return out;
    }
    default:
      return [];
  }
}

/** One line per unknown key, RU+EN. */
export function formatUnknownKey(u: UnknownKey): string {
  return `${u.path}: unknown key / неизвестный ключ${u.suggestion ? ` (did you mean ${u.suggestion}? / может быть, ${u.suggestion}?)` : ''}`;
}

export interface StrictLoadOptions extends LoadConfigOptions {
  /** Environment variables under the prefix that are not config keys (e.g. CONFIG: the file path). */
  reservedEnv?: readonly string[];
}

/** loadConfig, but a key the schema does not know is an error (ConfigError, exit 2). */
export function loadStrictConfig<S extends z.ZodType>(schema: S, options: StrictLoadOptions): z.output<S> {
  const env = { ...(options.env ?? process.env) };
  for (const r of options.reservedEnv ?? []) delete env[`${options.envPrefix}_${r}`];
  const readFile = options.readFile ?? ((p: string) => readFileSync(p, 'utf8'));
  // Validate values first (loadConfig names every bad value), then the keys.
  const config = loadConfig(schema, { ...options, env, readFile });
  let raw: unknown = {};
  if (options.file) raw = parseConfigText(readFile(options.file), options.file);
  const merged = applyEnvOverrides(isMap(raw) ? raw : {}, options.envPrefix, env, readFile);
  const unknown = findUnknownKeys(schema, merged);
  if (unknown.length > 0) {
    const issues = unknown.map(formatUnknownKey);
    throw new ConfigError(`invalid config${options.file ? ` in ${options.file}` : ''}:\n  ${issues.join('\n  ')}`, issues);
  }
  return config;
}
