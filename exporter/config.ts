// The exporter's configuration: one zod schema, defaults in the schema, loaded by
// hub/common/config.ts from a YAML/JSON file plus GSMJOBS_EXPORTER_* environment overrides.
// Accounts are a mapping (name -> account) so that environment overrides can reach them:
//   GSMJOBS_EXPORTER_ACCOUNTS__MAIN__TOKEN_FILE=/run/secrets/ar   (file read by the loader)
// Tokens come from `token`, `token_file` or `token_env`, never from a log or an error message.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from '#common/config.js';
import { loadStrictConfig } from '#common/config-strict.js';
import { platformId } from '#common/contract/ids.js';
import { normalizeMac } from './core/device.js';

export const ENV_PREFIX = 'GSMJOBS_EXPORTER';

const accountName = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'account names: 1-63 chars of a-z, 0-9, "_" or "-"');

const retryFields = {
  /** Tries per request, including the first. */
  attempts: z.number().int().min(1).max(20),
  base_delay_ms: z.number().int().min(0),
  max_delay_ms: z.number().int().min(0),
  /** Per-attempt timeout (headers and body). */
  timeout_ms: z.number().int().min(100),
  /** A Retry-After longer than this fails the refresh (the next one waits for it). */
  max_retry_after_ms: z.number().int().min(0),
};
const retry = z
  .object({
    attempts: retryFields.attempts.default(4),
    base_delay_ms: retryFields.base_delay_ms.default(500),
    max_delay_ms: retryFields.max_delay_ms.default(30_000),
    timeout_ms: retryFields.timeout_ms.default(30_000),
    max_retry_after_ms: retryFields.max_retry_after_ms.default(60_000),
  })
  .prefault({});
/** Per-account overrides of the top-level retry policy (no defaults: unset fields inherit). */
const retryOverride = z.object(retryFields).partial();

const tokenFields = {
  /** The token itself (prefer token_file or token_env, or GSMJOBS_EXPORTER_ACCOUNTS__<NAME>__TOKEN_FILE). */
  token: z.string().min(1).optional(),
  /** A file holding the token (one trailing newline is trimmed). */
  token_file: z.string().min(1).optional(),
  /** The name of an environment variable holding the token. */
  token_env: z.string().min(1).optional(),
};

const common = {
  platform_id: platformId,
  base_url: z.url({ protocol: /^https?$/ }),
  /** Overrides refresh.interval_s for this account. */
  interval_s: z.number().positive().optional(),
  retry: retryOverride.optional(),
  ...tokenFields,
};

const addreality = z.object({
  platform: z.literal('addreality'),
  ...common,
  page_size: z.number().int().min(1).max(10_000).default(300),
  paging: z
    .object({
      offset_param: z.string().min(1).default('offset'),
      limit_param: z.string().min(1).default('limit'),
      ids_param: z.string().min(1).default('id'),
    })
    .prefault({}),
  max_pages: z.number().int().min(1).default(2000),
});

const mac = z.string().refine((s) => normalizeMac(s) !== undefined, 'must be a MAC address such as 00:1A:2B:3C:4D:5E');
const cubicmedia = z.object({
  platform: z.literal('cubicmedia'),
  ...common,
  macs: z.array(mac).default([]),
  concurrency: z.number().int().min(1).max(64).default(4),
});

export const accountSchema = z.discriminatedUnion('platform', [addreality, cubicmedia]);

export const exporterConfigSchema = z
  .object({
    http: z
      .object({
        host: z.string().default('127.0.0.1'),
        /** 0 picks a free port (tests). */
        port: z.number().int().min(0).max(65535).default(9810),
      })
      .prefault({}),
    refresh: z
      .object({
        interval_s: z.number().positive().default(60),
        /** Devices the API stops listing are exported this long, then dropped. */
        grace_period_s: z.number().min(0).default(3600),
      })
      .prefault({}),
    cache: z
      .object({
        /** Where the last known state persists; empty string: no persistence. */
        file: z.string().default('.data/exporter-cache.json'),
      })
      .prefault({}),
    retry,
    /** Add process_* and nodejs_* metrics. */
    process_metrics: z.boolean().default(true),
    accounts: z.record(accountName, accountSchema).default({}),
  })
  .superRefine((c, ctx) => {
    const seen = new Map<string, string>();
    for (const [name, a] of Object.entries(c.accounts)) {
      const k = `${a.platform}/${a.platform_id}`;
      const other = seen.get(k);
      if (other) ctx.addIssue({ code: 'custom', path: ['accounts', name, 'platform_id'], message: `account "${other}" already serves ${a.platform} devices for platform_id "${a.platform_id}"` });
      seen.set(k, name);
    }
  });

export type ExporterConfig = z.output<typeof exporterConfigSchema>;
export type AccountConfig = z.output<typeof accountSchema>;

/** Resolve each account's token; throws ConfigError naming the account, never the token. */
export function resolveTokens(
  config: ExporterConfig,
  env: NodeJS.ProcessEnv = process.env,
  readFile: (p: string) => string = (p) => readFileSync(p, 'utf8'),
): Map<string, string | undefined> {
  const out = new Map<string, string | undefined>();
  for (const [name, a] of Object.entries(config.accounts)) {
    let token = a.token;
    if (token === undefined && a.token_file !== undefined) {
      try {
        token = readFile(a.token_file).replace(/\r?\n$/, '');
      } catch (err) {
        throw new ConfigError(`accounts.${name}.token_file: cannot read ${a.token_file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
      }
    }
    if (token === undefined && a.token_env !== undefined) {
      token = env[a.token_env];
      if (!token) throw new ConfigError(`accounts.${name}.token_env: environment variable ${a.token_env} is not set`);
    }
    if (token === undefined && a.platform === 'addreality') {
      throw new ConfigError(`accounts.${name}: an AddReality account needs token, token_file or token_env (or ${ENV_PREFIX}_ACCOUNTS__${name.toUpperCase().replace(/-/g, '_')}__TOKEN_FILE)`);
    }
    out.set(name, token);
  }
  return out;
}

export function loadExporterConfig(file?: string, env: NodeJS.ProcessEnv = process.env): ExporterConfig {
  return loadStrictConfig(exporterConfigSchema, { file, envPrefix: ENV_PREFIX, env, reservedEnv: ['CONFIG'] });
}

/** Hide the user:password part of a URL (http://user:pass@host -> http://***@host) in any text. */
export function maskUserinfo(text: string): string {
  return text.replace(/(\bhttps?:\/\/)[^\s/@]+@/gi, '$1***@');
}

/** The effective config for `config check`: tokens and URL passwords masked. */
export function maskedConfig(config: ExporterConfig): unknown {
  return {
    ...config,
    accounts: Object.fromEntries(
      Object.entries(config.accounts).map(([n, a]) => [n, { ...a, base_url: maskUserinfo(a.base_url), ...(a.token === undefined ? {} : { token: '***' }) }]),
    ),
  };
}
