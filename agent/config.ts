// The agent's configuration: one zod schema with defaults, read from YAML plus environment
// overrides (GSMJOBS_AGENT_A__B, *_FILE for secrets) by hub/common/config.ts.
import { z } from 'zod';
import { platformId, siteId } from '#common/contract/index.js';
import { loadStrictConfig } from '#common/config-strict.js';
import { ConfigError, applyEnvOverrides, parseConfigText } from '#common/config.js';
import { readFileSync } from 'node:fs';
import { brokerListProblems, brokerUrls, withoutCredentials } from './mqtt/brokers.js';

export const ENV_PREFIX = 'GSMJOBS_AGENT';

const seconds = (d: number) => z.number().positive().default(d);

/** One modem's port, SIM and timings (the old `modem:` section; each entry of `modems:` has them too). */
export const modemSettings = z
  .object({
    /** Serial port; prefer a stable /dev/serial/by-id/... name. */
    port: z.string().min(1).default('/dev/ttyUSB2'),
    baud_rate: z.number().int().positive().default(115200),
    /** SIM PIN: better from GSMJOBS_AGENT_MODEM__PIN_FILE. */
    // Digits from an environment variable arrive as a number; a leading zero keeps them a string.
    pin: z.union([z.string(), z.number().int()]).transform(String).pipe(z.string().regex(/^\d{4,8}$/, 'must be 4-8 digits')).optional(),
    /** SMS centre number, only when the SIM has none. */
    smsc: z.string().regex(/^\+?\d{3,20}$/, 'must be an optional "+" and digits').optional(),
    /** AT+CNMI parameters: +CMTI for new SMS, +CDS for status reports [TS 27.005 3.4.1]. */
    cnmi: z.string().regex(/^[0-9,]+$/).default('2,1,0,1,0'),
    poll_interval_s: seconds(30),
    registration_timeout_s: seconds(90),
    reset_wait_s: seconds(15),
    reopen_delay_s: seconds(3),
    send_timeout_s: seconds(60),
    sync_attempts: z.number().int().min(1).default(5),
    sync_timeout_s: seconds(1),
    recovery_backoff_s: seconds(1),
    /** Shell command that power-cycles the modem (e.g. `uhubctl -l 1-1 -p 2 -a cycle`). */
    power_cycle_command: z.string().min(1).optional(),
  });

/** One entry of `modems:` (issue 19). */
export const modemEntry = modemSettings.extend({
  /** Names the modem in metrics ({modem="<id>"}), updates and the status. */
  id: z.string().regex(/^[a-z0-9_-]{1,32}$/, 'must be 1-32 of a-z 0-9 _ -'),
  /** File holding the SIM PIN (read at start; keep it mode 0600). */
  pin_file: z.string().min(1).optional(),
  /** Carrier label for people (e.g. MTS). */
  carrier: z.string().max(64).optional(),
  /** Lower is tried first. */
  priority: z.number().int().default(0),
  /** SMS parts this modem may send per hour (absent: no budget). */
  parts_per_hour: z.number().int().min(1).optional(),
  /** Price of one SMS part, for the daily cost estimate. */
  price_per_part: z.number().min(0).optional(),
  currency: z.string().min(1).max(8).optional(),
  /** Number prefixes this modem may send to (e.g. "+7916"); absent: every number. */
  destinations: z.array(z.string().regex(/^\+?\d{1,15}$/, 'must be an optional "+" and digits')).min(1).optional(),
});

export type ModemSettings = z.infer<typeof modemSettings>;
export type ModemConfig = z.infer<typeof modemEntry>;

export const agentConfigSchema = z.object({
  platform_id: platformId,
  site_id: siteId,
  /** Directory for the outbox journal. */
  data_dir: z.string().min(1).default('/var/lib/gsmjobs-agent'),
  /** One modem (kept for configs from before issue 19): a one-modem list with id `modem`. */
  modem: modemSettings.prefault({}),
  /** Several modems (issue 19); not together with `modem:`. */
  modems: z
    .array(modemEntry)
    .min(1)
    .max(16)
    .superRefine((list, ctx) => {
      const seen = new Set<string>();
      list.forEach((m, i) => {
        if (seen.has(m.id)) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `modem id ${m.id} is used twice / id модема ${m.id} повторяется` });
        seen.add(m.id);
        if (m.pin !== undefined && m.pin_file !== undefined) ctx.addIssue({ code: 'custom', path: [i, 'pin_file'], message: 'give pin or pin_file, not both / укажите pin или pin_file, не оба' });
      });
      const ports = list.map((m) => m.port);
      const dup = ports.find((p, i) => ports.indexOf(p) !== i);
      if (dup) ctx.addIssue({ code: 'custom', message: `two modems on one port ${dup} / два модема на одном порту ${dup}` });
    })
    .optional(),
  mqtt: z
    .object({
      /**
       * One broker URL, or a list of 1-8 mqtt:// or mqtts:// URLs of one scheme without
       * credentials: the agent starts with the first and moves to the next on each reconnect.
       */
      url: z
        .union([
          z.string().regex(/^(mqtts?|wss?|tcp|ssl):\/\//, 'must start with mqtt://, mqtts://, ws:// or wss://'),
          z.array(z.string()).superRefine((urls, ctx) => {
            for (const message of brokerListProblems(urls)) ctx.addIssue({ code: 'custom', message });
          }),
        ])
        .default('mqtt://127.0.0.1:1883'),
      /** Defaults to site/<platform_id>/<site_id>, the contract's username for a site. */
      username: z.string().optional(),
      password: z.string().optional(),
      /** Stable client id; defaults to gsmjobs-agent-<platform_id>-<site_id>. */
      client_id: z.string().optional(),
      keepalive_s: z.number().int().positive().default(30),
      reconnect_s: seconds(5),
      tls: z
        .object({
          ca_file: z.string().optional(),
          cert_file: z.string().optional(),
          key_file: z.string().optional(),
          reject_unauthorized: z.boolean().default(true),
        })
        .prefault({}),
    })
    .prefault({}),
  send: z
    .object({
      max_parts: z.number().int().min(1).max(255).default(6),
      max_tries: z.number().int().min(1).default(5),
      retry_base_s: seconds(10),
      retry_max_s: seconds(600),
      per_destination_interval_s: z.number().min(0).default(5),
      per_modem_interval_s: z.number().min(0).default(1),
      /** Resend a message whose fate is unknown after a crash (may then arrive twice). */
      resend_uncertain: z.boolean().default(false),
      report_wait_s: seconds(48 * 3600),
      /** TP-VP relative validity in minutes; omitted when unset. */
      validity_minutes: z.number().int().positive().optional(),
    })
    .prefault({}),
  outbox: z
    .object({
      dedup_retention_s: seconds(7 * 86400),
      compact_bytes: z.number().int().positive().default(4 * 1024 * 1024),
      housekeeping_s: seconds(30),
    })
    .prefault({}),
  http: z
    .object({
      host: z.string().default('0.0.0.0'),
      /** 0 picks a free port (tests); negative turns the server off. */
      port: z.number().int().min(-1).max(65535).default(9464),
    })
    .prefault({}),
  log_level: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
});

export type AgentConfig = z.infer<typeof agentConfigSchema>;

/**
 * Environment variables under the prefix that are not config keys: GSMJOBS_AGENT_CONFIG (the
 * file) and GSMJOBS_AGENT_ENV_FILE (read by gsmjobs-agent-doctor).
 */
export const RESERVED_ENV = ['CONFIG', 'ENV_FILE'] as const;

/** Load and validate; an unknown key is an error with its path and a "did you mean" (ConfigError). */
export function loadAgentConfig(file: string | undefined, env: NodeJS.ProcessEnv = process.env, readFile: (p: string) => string = (p) => readFileSync(p, 'utf8')): AgentConfig {
  const config = loadStrictConfig(agentConfigSchema, { file, envPrefix: ENV_PREFIX, env, reservedEnv: RESERVED_ENV, readFile });
  if (config.modems) {
    // `modem:` has defaults, so only the raw input tells whether it was given too.
    const envNow = { ...env };
    for (const r of RESERVED_ENV) delete envNow[`${ENV_PREFIX}_${r}`];
    const raw = file ? parseConfigText(readFile(file), file) : {};
    const merged = applyEnvOverrides(raw && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {}, ENV_PREFIX, envNow, readFile);
    if (merged.modem !== undefined) {
      throw new ConfigError('modem and modems are both given: keep one (modems: a list; the PIN of each in its pin or pin_file, not GSMJOBS_AGENT_MODEM__PIN_FILE) / заданы и modem, и modems: оставьте одно');
    }
    for (const [i, m] of config.modems.entries()) {
      if (!m.pin_file) continue;
      let pin: string;
      try {
        pin = readFile(m.pin_file).trim();
      } catch (err) {
        throw new ConfigError(`modems.${i}.pin_file: cannot read ${m.pin_file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message} / не читается`);
      }
      if (!/^\d{4,8}$/.test(pin)) throw new ConfigError(`modems.${i}.pin_file: ${m.pin_file} must hold 4-8 digits / в файле должно быть 4-8 цифр`);
      m.pin = pin;
    }
  }
  return config;
}

/** Every modem of the config in priority order (lower first; ties keep the config order). A lone `modem:` is one modem with id `modem`. */
export function modemsOf(c: Pick<AgentConfig, 'modem' | 'modems'>): ModemConfig[] {
  const list: ModemConfig[] = c.modems ?? [{ ...c.modem, id: 'modem', priority: 0 }];
  return list.map((m, i) => ({ m, i })).sort((a, b) => a.m.priority - b.m.priority || a.i - b.i).map((x) => x.m);
}

/** The effective config with secrets replaced by "***" (for `agent config check`). */
export function maskedConfig(c: AgentConfig): AgentConfig {
  const copy = structuredClone(c);
  if (copy.modem.pin) copy.modem.pin = '***';
  for (const m of copy.modems ?? []) if (m.pin) m.pin = '***';
  if (copy.mqtt.password) copy.mqtt.password = '***';
  const mask = (u: string) => u.replace(/\/\/([^/@:]*):[^/@]*@/, '//$1:***@');
  copy.mqtt.url = typeof copy.mqtt.url === 'string' ? mask(copy.mqtt.url) : copy.mqtt.url.map(mask);
  return copy;
}

/** Secrets to mask in every log line (a password given inside a broker URL included). */
export function secretsOf(c: AgentConfig): string[] {
  const inUrls = brokerUrls(c.mqtt.url).map((u) => /\/\/[^/@:]*:([^/@]+)@/.exec(u)?.[1]);
  return [c.modem.pin, ...(c.modems ?? []).map((m) => m.pin), c.mqtt.password, ...inUrls].filter((s): s is string => Boolean(s));
}

/** The configured brokers as shown in logs, metrics and `agent config check`: no credentials. */
export function shownBrokers(c: AgentConfig): string[] {
  return brokerUrls(c.mqtt.url).map(withoutCredentials);
}
