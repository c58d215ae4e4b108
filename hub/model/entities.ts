// Platforms (tenants), sites and control devices.
import { z } from 'zod';
import { codedPattern } from './issue.js';
import { displayName } from './text.js';
import { opaqueId, phoneNumber, platformId, siteId } from '../common/contract/index.js';
import { staleRule } from '../core/freshness.js';

const headerName = z.string().regex(codedPattern(/^[A-Za-z0-9-]{1,100}$/, 'header_name'), 'must be an HTTP header name');

export const prometheusEndpoint = z.object({
  url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
  /** Extra headers for every query, e.g. X-Scope-OrgID for Mimir/Cortex, Authorization. */
  headers: z.record(headerName, z.string().max(4000)).default({}),
  /**
   * Samples older than this count as no data and each cycle reports them, with duplicate series
   * (hub/poller/sample-checks.ts). Unset or null: no check (plain Prometheus already drops
   * series after its 5-minute lookback; set it for Mimir, Thanos, VictoriaMetrics or federation).
   */
  max_sample_age_s: z.number().int().min(1).max(86400).nullable().optional(),
});
export type PrometheusEndpoint = z.infer<typeof prometheusEndpoint>;

export const platformInput = z
  .object({
    id: platformId,
    name: displayName(1, 200),
    prometheus: prometheusEndpoint,
    /**
     * While the source is stale the platform's data counts as no data. Omitted: the gsmjobs
     * exporter's rule (signage_exporter_account_up == 0); null: no freshness check.
     */
    stale_when: staleRule.nullable().optional(),
  })
  .strict();
export type PlatformInput = z.input<typeof platformInput>;

// Stored records keep the plain name rule: a store written before the input checks still loads.
export const platform = platformInput.extend({
  name: z.string().min(1).max(200),
  created_at: z.string(),
  /** sha256 hex of each API token of the platform, with a label. */
  tokens: z.array(z.object({ id: z.string(), hash: z.string(), label: z.string(), created_at: z.string() })).default([]),
  /** scrypt hash of the password of the platform's event listener (`events/<platform>`). */
  events_password: z.string().nullable().default(null),
});
export type Platform = z.infer<typeof platform>;

export const siteInput = z
  .object({
    id: siteId,
    name: displayName(1, 200),
    /** MQTT password of the site's agent; generated when omitted and returned once. */
    mqtt_password: z.string().min(12, 'must be at least 12 characters').max(200).optional(),
  })
  .strict();
export type SiteInput = z.input<typeof siteInput>;

export const site = z.object({
  id: siteId,
  platform_id: platformId,
  name: z.string(),
  /** scrypt$<salt>$<hash>, used by the embedded broker. */
  mqtt_password: z.string().nullable(),
  created_at: z.string(),
});
export type Site = z.infer<typeof site>;

export const controlDeviceInput = z
  .object({
    name: displayName(1, 200, 'must not be empty'),
    phone: phoneNumber,
    /** Catalog model id (e.g. SIMPAL_D210) or `generic` for free text only. */
    model: z.string().min(1).max(64),
    /**
     * Sites whose modem numbers are registered on the device (it obeys only those), in route
     * order (issue 19): the first is its home, the others are backups the hub moves a command to
     * when the one before cannot send it (remediation setting `failover_after_s`).
     */
    site_ids: z.array(siteId).min(1, 'must name at least one site').max(50),
  })
  .strict();
export type ControlDeviceInput = z.input<typeof controlDeviceInput>;

export const controlDevice = controlDeviceInput.extend({
  name: z.string().min(1).max(200),
  id: opaqueId,
  platform_id: platformId,
  created_at: z.string(),
  updated_at: z.string(),
});
export type ControlDevice = z.infer<typeof controlDevice>;

export const tokenInput = z.object({ label: displayName(1, 100).default('api') }).strict();
