// The AddReality API as this exporter uses it: a documented, versioned description of the
// fields read (no public documentation exists; this is what the earlier system saw).
//
// Version 1 (2025-05), endpoint `POST {base}/public/v1/device/list`:
//   request  {"id": [], "limit": 300, "offset": 0}          (empty id list = all devices)
//   response {"pagination": {"offset": 0, "limit": 300, "total": 272},
//             "data": [{"id": 30785, "name": "Arzamas_Lesnaia_1", "connection_state": "online",
//                       "player_status": "playback", "last_online": "2025-05-26T13:29:08.166738Z",
//                       "activation_state": true, "player_version": "4.1.76",
//                       "time_zone": "+01:00", ...}]}
// Every device field but `id` is optional and unknown fields are normal (passthrough). The
// envelope is validated once per page; each record separately, so that one bad record is
// rejected alone and never hides the others.
import { z } from 'zod';
import { formatIssues } from '#common/contract/parse.js';
import { type DeviceRecord, intern, internLabels, normalizeMac, playerStatusCode } from '../core/device.js';

export const ADDREALITY_SCHEMA_VERSION = 1;

/** Short strings only: a label value longer than this is cut (keeps series bounded). */
const MAX_LABEL = 128;
const text = z.string().transform((s) => s.slice(0, MAX_LABEL));
/** Missing and null mean the same: unknown. */
const opt = <T extends z.ZodType>(t: T) => t.nullish().transform((v) => v ?? undefined);

export const addRealityDevice = z.looseObject({
  /** Device id: a positive integer (a numeric string is accepted too). */
  id: z.union([z.number().int().nonnegative(), z.string().regex(/^\d{1,18}$/, 'must be a non-negative integer')]),
  name: opt(text),
  /** "online" | "offline" | other states; only "online" counts as online. */
  connection_state: opt(text),
  /** e.g. "playback", "idle", "error". */
  player_status: opt(text),
  /** ISO 8601 time the platform last saw the device. */
  last_online: opt(z.string()),
  activation_state: opt(z.boolean()),
  player_version: opt(text),
  time_zone: opt(text),
  /** Not seen in the earlier system; exported as a `mac` label if the API ever gives one. */
  mac: opt(z.string()),
});
export type AddRealityDevice = z.output<typeof addRealityDevice>;

export const addRealityPage = z.looseObject({
  pagination: opt(
    z.looseObject({
      offset: opt(z.number().int().nonnegative()),
      limit: opt(z.number().int().nonnegative()),
      total: opt(z.number().int().nonnegative()),
    }),
  ),
  data: z.array(z.unknown()),
});
export type AddRealityPage = z.output<typeof addRealityPage>;

/** Parse an ISO time to epoch seconds; undefined when absent, invalid or before 2000. */
export function parseLastOnline(raw: string | undefined): number | undefined {
  if (!raw) return undefined;
  const ms = Date.parse(raw);
  if (!Number.isFinite(ms) || ms < Date.UTC(2000, 0, 1)) return undefined;
  return Math.round(ms) / 1000;
}

export type ParsedRecord = { ok: true; device: DeviceRecord } | { ok: false; key?: string; error: string };

/** Validate one record of `data[]` and map it to the exporter's model. Never throws. */
export function parseAddRealityRecord(raw: unknown): ParsedRecord {
  const r = addRealityDevice.safeParse(raw);
  if (!r.success) {
    const id = raw !== null && typeof raw === 'object' ? (raw as { id?: unknown }).id : undefined;
    const key = typeof id === 'number' && Number.isInteger(id) && id >= 0 ? String(id) : typeof id === 'string' && /^\d{1,18}$/.test(id) ? id : undefined;
    return { ok: false, key, error: formatIssues(r.error) };
  }
  const d = r.data;
  // Only stable identity goes to `_info` labels; state (connection, player status) is a value.
  const info: Record<string, string> = {};
  if (d.player_version !== undefined) info.player_version = intern(d.player_version);
  if (d.time_zone !== undefined) info.time_zone = intern(d.time_zone);
  const mac = d.mac === undefined ? undefined : normalizeMac(d.mac);
  return {
    ok: true,
    device: {
      key: String(d.id),
      name: d.name ?? '',
      ...(mac === undefined ? {} : { mac }),
      online: d.connection_state === undefined ? undefined : d.connection_state === 'online',
      lastSeenS: parseLastOnline(d.last_online),
      activated: d.activation_state,
      playerStatus: d.player_status === undefined ? undefined : playerStatusCode(d.player_status),
      info: internLabels(info),
    },
  };
}
