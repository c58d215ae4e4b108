// Config loading shared by the three programs. Each program owns one zod schema (defaults in
// the schema); this module reads a YAML or JSON file, applies environment overrides and secret
// files, validates, and reports every error with its path.
//
// Environment overrides: PREFIX_A__B=value sets a.b (snake or camel case keys as in the schema;
// `__` separates levels). Values are parsed as JSON when they look like JSON (numbers, booleans,
// arrays, objects), else taken as strings. PREFIX_A__B_FILE=/path reads the value from a file
// (for secrets: Docker/systemd credentials), trimming one trailing newline.
import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import type { z } from 'zod';
import { formatIssues } from './contract/parse.js';

export class ConfigError extends Error {
  constructor(
    message: string,
    readonly issues: string[] = [],
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

export interface LoadConfigOptions {
  /** Path to a .yaml/.yml/.json file; optional. */
  file?: string | undefined;
  /** Environment variable prefix, e.g. GSMJOBS_AGENT. */
  envPrefix: string;
  env?: NodeJS.ProcessEnv;
  /** Read a file (injected for tests). */
  readFile?: (path: string) => string;
}

/** Parse a config file's text; YAML is a superset of JSON so one parser serves both. */
export function parseConfigText(text: string, source: string): unknown {
  try {
    const doc = YAML.parse(text) as unknown;
    return doc ?? {};
  } catch (err) {
    throw new ConfigError(`${source}: not valid YAML/JSON: ${(err as Error).message}`);
  }
}

function coerce(value: string): unknown {
  const t = value.trim();
  if (/^(true|false|null|-?\d+(\.\d+)?([eE][+-]?\d+)?)$/.test(t) || /^[[{"]/.test(t)) {
    try {
      return JSON.parse(t) as unknown;
    } catch {
      return value;
    }
  }
  return value;
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (let i = 0; i < path.length - 1; i++) {
    const key = path[i] as string;
    const next = node[key];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1] as string] = value;
}

/** Apply PREFIX_A__B[_FILE] overrides to a raw config object (mutates and returns it). */
export function applyEnvOverrides(
  raw: Record<string, unknown>,
  prefix: string,
  env: NodeJS.ProcessEnv,
  readFile: (path: string) => string,
): Record<string, unknown> {
  const head = `${prefix}_`;
  for (const [name, value] of Object.entries(env).sort(([a], [b]) => a.localeCompare(b))) {
    if (!name.startsWith(head) || value === undefined) continue;
    let key = name.slice(head.length);
    let resolved: unknown;
    if (key.endsWith('_FILE')) {
      key = key.slice(0, -'_FILE'.length);
      try {
        resolved = readFile(value).replace(/\r?\n$/, '');
      } catch (err) {
        throw new ConfigError(`${name}: cannot read ${value}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
    } else {
      resolved = coerce(value);
    }
    const path = key.split('__').map((p) => p.toLowerCase());
    if (path.some((p) => p === '')) throw new ConfigError(`${name}: empty path segment`);
    setPath(raw, path, resolved);
  }
  return raw;
}

/** Load, override and validate a config. Throws ConfigError naming every bad field. */
export function loadConfig<S extends z.ZodType>(schema: S, options: LoadConfigOptions): z.output<S> {
  const readFile = options.readFile ?? ((p: string) => readFileSync(p, 'utf8'));
  const env = options.env ?? process.env;
  let raw: unknown = {};
  if (options.file) {
    let text: string;
    try {
      text = readFile(options.file);
    } catch (err) {
      throw new ConfigError(`cannot read config file ${options.file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    raw = parseConfigText(text, options.file);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(`${options.file ?? 'config'}: the top level must be a mapping of keys to values`);
  }
  const merged = applyEnvOverrides(raw as Record<string, unknown>, options.envPrefix, env, readFile);
  const result = schema.safeParse(merged);
  if (!result.success) {
    const issues = formatIssues(result.error).split('; ');
    throw new ConfigError(`invalid config${options.file ? ` in ${options.file}` : ''}:\n  ${issues.join('\n  ')}`, issues);
  }
  return result.data;
}
