// The simulator's configuration (one zod schema; GSMJOBS_SIM_* environment overrides).
import { z } from 'zod';

const rate = z.number().min(0).max(1);

export const simConfigSchema = z.object({
  host: z.string().default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(9811),
  /** AddReality devices generated at start. */
  devices: z.number().int().min(0).max(1_000_000).default(273),
  /** First generated device id. */
  first_id: z.number().int().min(0).default(30000),
  /** Share of generated devices that start offline. */
  offline_rate: rate.default(0.05),
  /** CubicMedia players generated at start (MACs 02:00:00:xx:xx:xx). */
  cubic_players: z.number().int().min(0).max(100_000).default(3),
  /** Accepted X-API-Token values; empty: no token check. */
  tokens: z.array(z.string().min(1)).default(['demo-token']),
  /** The API caps `limit` at this. */
  max_page_size: z.number().int().min(1).default(300),
  offset_param: z.string().min(1).default('offset'),
  limit_param: z.string().min(1).default('limit'),
  /** Added to every API answer. */
  latency_ms: z.number().int().min(0).default(0),
  /** Share of API requests answered HTTP 500 / 429 (random). */
  error_rate: rate.default(0),
  rate_limit_rate: rate.default(0),
  retry_after_s: z.number().int().min(0).default(1),
  /** Share of device records sent broken (a field of the wrong type). */
  bad_record_rate: rate.default(0),
  seed: z.number().int().default(1),
});

export type SimConfig = z.output<typeof simConfigSchema>;

/** Forced failure of the platform APIs, set with POST /_sim/fail. */
export const failSchema = z.object({
  mode: z.enum(['off', 'http', 'network', 'timeout', 'auth', 'rate_limit', 'malformed']),
  /** HTTP status for mode "http" (default 503). */
  status: z.number().int().min(400).max(599).default(503),
  retry_after_s: z.number().int().min(0).default(1),
  /** Fail only this many requests, then recover; absent: until cleared. */
  count: z.number().int().min(1).optional(),
  /** Which API fails. */
  api: z.enum(['all', 'addreality', 'cubicmedia']).default('all'),
  /** How long mode "timeout" holds a request before answering 504. */
  hold_ms: z.number().int().min(0).default(60_000),
});
export type FailMode = z.output<typeof failSchema>;

/** Runtime-tunable settings (POST /_sim/config). */
export const tunableSchema = simConfigSchema
  .pick({ tokens: true, max_page_size: true, offset_param: true, limit_param: true, latency_ms: true, error_rate: true, rate_limit_rate: true, retry_after_s: true, bad_record_rate: true })
  .partial()
  .strict();
