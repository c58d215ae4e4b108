// The hub's configuration: one zod schema with its defaults, loaded by hub/common/config.ts from
// an optional YAML/JSON file (GSMJOBS_HUB_CONFIG or --config) and GSMJOBS_HUB_* environment
// overrides, e.g. GSMJOBS_HUB_HTTP__PORT=8080, GSMJOBS_HUB_ADMIN_TOKEN_FILE=/run/secrets/admin.
import { z } from 'zod';
import { loadStrictConfig } from './common/config-strict.js';
import { ConfigError } from './common/config.js';
import { LOG_LEVELS, type LogLevel } from './common/log.js';
import { platformId } from './common/contract/index.js';
import { prometheusEndpoint } from './model/entities.js';
import { staleRule } from './core/freshness.js';
import { remediationSettings } from './model/remediation.js';
import { retryPolicy } from './remediation/webhook.js';
import { BROKER_LIMITS } from './mqtt/limits.js';

export const ENV_PREFIX = 'GSMJOBS_HUB';

/**
 * Login limits of the embedded broker under a login flood (issue 18; hub/README.md, MQTT).
 * Strict by itself: the unknown-key walker does not see into `mqtt` when `mode` is left out.
 */
const brokerLimits = z.strictObject({
  /** A connection that has not logged in this long after it was accepted is closed. */
  connect_timeout_ms: z.number().int().min(1000).max(300_000).default(BROKER_LIMITS.connect_timeout_ms),
  /** Connections not logged in yet from one address (IPv4, or IPv6 /64); more are dropped unread. */
  pending_per_address: z.number().int().min(1).max(100_000).default(BROKER_LIMITS.pending_per_address),
  /** Connections not logged in yet in all (addresses an agent logged in from are exempt). */
  pending_total: z.number().int().min(1).max(1_000_000).default(BROKER_LIMITS.pending_total),
  /** Average share of one core spent on failed password checks (successful ones are not counted). */
  hash_share: z.number().min(0.01).max(1).default(BROKER_LIMITS.hash_share),
  /** Failed-check time that may be spent at once above that average (ms). */
  hash_burst_ms: z.number().int().min(100).max(600_000).default(BROKER_LIMITS.hash_burst_ms),
});

const embedded = z.object({
  mode: z.literal('embedded'),
  host: z.string().default('127.0.0.1'),
  /** 0 picks a free port (tests). */
  port: z.number().int().min(0).max(65535).default(1883),
  limits: brokerLimits.default({ ...BROKER_LIMITS }),
});
const external = z.object({
  mode: z.literal('external'),
  url: z.string().regex(/^mqtts?:\/\/.+/, 'must be an mqtt:// or mqtts:// URL'),
  username: z.string().default('hub'),
  password: z.string().min(1, 'must not be empty'),
});

const lowdbStore = z.object({ kind: z.literal('lowdb') });
const postgresStore = z.object({
  kind: z.literal('postgres'),
  /** postgres://user:password@host:port/database (the password is masked in `config check` and logs). */
  url: z.string().regex(/^postgres(ql)?:\/\/.+/, 'must be a postgres:// or postgresql:// URL'),
  pool_max: z.number().int().min(2).max(200).default(10),
  /** Server-side limit of one statement (0: none). */
  statement_timeout_ms: z.number().int().min(0).max(600_000).default(30_000),
});

export const hubConfigSchema = z.object({
  /** Log level; unset: the LOG_LEVEL environment variable, else info. SIGHUP reloads it. */
  log: z.object({ level: z.enum(LOG_LEVELS as [LogLevel, ...LogLevel[]]).optional() }).default({}),
  /** This hub's name among hubs sharing a store (leadership holder, MQTT client id `gsmjobs-hub-<hub_id>`); default `<hostname>-<http port>`. */
  hub_id: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'letters, digits, ".", "_" and "-" only, at most 63 characters, starting with a letter or digit')
    .optional(),
  http: z
    .object({
      host: z.string().default('127.0.0.1'),
      port: z.number().int().min(0).max(65535).default(8080),
    })
    .default({ host: '127.0.0.1', port: 8080 }),
  data_dir: z.string().default('.data/hub'),
  /** Admin bearer token (all platforms), at least 32 characters (issue 18); use GSMJOBS_HUB_ADMIN_TOKEN_FILE for a secret file. */
  admin_token: z
    .string()
    .min(32, 'must be at least 32 characters of a random secret (e.g. `openssl rand -base64 32`); shorter ones can be guessed')
    .refine((t) => new Set(t).size >= 10, 'looks guessable (fewer than 10 different characters); use a random secret, e.g. `openssl rand -base64 32`')
    .optional(),
  /** Platforms declared in the file (created or updated at start); more can be added by API. */
  platforms: z
    .array(z.object({ id: platformId, name: z.string().min(1), prometheus: prometheusEndpoint, stale_when: staleRule.nullable().optional() }))
    .default([]),
  prometheus: z
    .object({
      timeout_ms: z.number().int().min(100).max(120_000).default(5000),
      concurrency: z.number().int().min(1).max(64).default(4),
    })
    .default({ timeout_ms: 5000, concurrency: 4 }),
  /** mode defaults to embedded, so GSMJOBS_HUB_MQTT__PORT=1884 alone works. */
  mqtt: z
    .preprocess((v) => (v && typeof v === 'object' && !('mode' in v) ? { ...v, mode: 'embedded' } : v), z.discriminatedUnion('mode', [embedded, external]))
    .default({ mode: 'embedded', host: '127.0.0.1', port: 1883, limits: { ...BROKER_LIMITS } }),
  /**
   * Where the hub keeps its data: lowdb files in data_dir (default, one machine) or PostgreSQL
   * (several hubs; needs the external MQTT broker). kind defaults to postgres when a url is
   * given, so GSMJOBS_HUB_STORE__URL=postgres://... alone selects it.
   */
  store: z
    .preprocess((v) => (v && typeof v === 'object' && !('kind' in v) ? { ...v, kind: 'url' in v ? 'postgres' : 'lowdb' } : v), z.discriminatedUnion('kind', [lowdbStore, postgresStore]))
    .default({ kind: 'lowdb' }),
  poll_interval_s: z.number().min(1).max(3600).default(30),
  /** Re-send a job the agent has not acknowledged after this long (when its site is online). */
  resend_after_s: z.number().int().min(5).max(3600).default(60),
  executions: z
    .object({
      max_age_days: z.number().min(1).max(3650).default(30),
      max_per_platform: z.number().int().min(100).max(1_000_000).default(10_000),
    })
    .default({ max_age_days: 30, max_per_platform: 10_000 }),
  /** Playbooks (issue 10): guardrail defaults per platform, the settle delay, webhooks. */
  remediation: z
    .object({
      /** Every new execution waits this long before acting, so a burst is judged as one. */
      settle_s: z.number().int().min(0).max(3600).default(30),
      /** Language of incident notifications. */
      lang: z.enum(['ru', 'en']).default('ru'),
      defaults: remediationSettings.default(remediationSettings.parse({})),
      webhooks: z
        .object({
          allow_loopback: z.boolean().default(false),
          allow_private: z.boolean().default(false),
          retry: retryPolicy.default(retryPolicy.parse({})),
        })
        .default({ allow_loopback: false, allow_private: false, retry: retryPolicy.parse({}) }),
    })
    .default({ settle_s: 30, lang: 'ru', defaults: remediationSettings.parse({}), webhooks: { allow_loopback: false, allow_private: false, retry: retryPolicy.parse({}) } }),
});
export type HubConfig = z.output<typeof hubConfigSchema>;
export type StoreConfig = HubConfig['store'];

/** Settings valid alone but not together (ConfigError at load). */
function crossCheck(config: HubConfig): HubConfig {
  if (config.store.kind === 'postgres' && config.mqtt.mode !== 'external') {
    throw new ConfigError('store.kind postgres needs the external MQTT broker (mqtt.mode: external): several hubs cannot share the embedded one');
  }
  return config;
}

/** Load and validate; a key the schema does not know is an error naming it (ConfigError, exit 2). */
export function loadHubConfig(file?: string, env: NodeJS.ProcessEnv = process.env): HubConfig {
  return crossCheck(loadStrictConfig(hubConfigSchema, { file: file ?? env[`${ENV_PREFIX}_CONFIG`], envPrefix: ENV_PREFIX, env, reservedEnv: ['CONFIG'] }));
}

/** The level the hub logs at: the config's, else LOG_LEVEL, else info. */
export function effectiveLogLevel(config: HubConfig, env: NodeJS.ProcessEnv = process.env): LogLevel {
  const fromEnv = env.LOG_LEVEL as LogLevel | undefined;
  return config.log.level ?? (fromEnv && LOG_LEVELS.includes(fromEnv) ? fromEnv : 'info');
}

const maskUrl = (url: string) => url.replace(/\/\/[^/@]*@/, '//***@');

/** The effective config with every secret replaced by "***" (`hub config check`). */
export function maskedHubConfig(config: HubConfig): unknown {
  return {
    ...config,
    ...(config.admin_token === undefined ? {} : { admin_token: '***' }),
    mqtt: config.mqtt.mode === 'external' ? { ...config.mqtt, url: maskUrl(config.mqtt.url), password: '***' } : config.mqtt,
    store: config.store.kind === 'postgres' ? { ...config.store, url: maskUrl(config.store.url) } : config.store,
    platforms: config.platforms.map((p) => ({
      ...p,
      prometheus: { ...p.prometheus, url: maskUrl(p.prometheus.url), headers: Object.fromEntries(Object.keys(p.prometheus.headers).map((h) => [h, '***'])) },
    })),
  };
}

/** The secret values of a config, for the logger's value masking. */
export function hubSecrets(config: HubConfig): string[] {
  const out: string[] = [];
  if (config.admin_token) out.push(config.admin_token);
  if (config.mqtt.mode === 'external') out.push(config.mqtt.password);
  if (config.store.kind === 'postgres') {
    const pw = storePassword(config.store.url);
    if (pw) out.push(pw, encodeURIComponent(pw));
  }
  for (const p of config.platforms) out.push(...Object.values(p.prometheus.headers));
  return out.filter((s) => s.length >= 4);
}

/** The password of a postgres:// URL, decoded (for the logger's masking). */
export function storePassword(url: string): string | null {
  try {
    const u = new URL(url);
    return u.password ? decodeURIComponent(u.password) : null;
  } catch {
    return null;
  }
}
