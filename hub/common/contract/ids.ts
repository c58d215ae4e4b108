// Identifier and value schemas shared by every payload of the wire contract.
// Identifiers become MQTT topic levels and broker usernames, so they never contain
// '/', '+', '#' or whitespace.
import { z } from 'zod';

/** Platform (tenant) id: lower-case letters, digits, '_' and '-', 1-63 characters. */
export const platformId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'must be 1-63 chars of a-z, 0-9, "_" or "-", starting with a letter or digit');

/** Site id: same alphabet as platform ids; unique within a platform. */
export const siteId = platformId;

/** Execution / job / message ids: URL- and topic-safe tokens (UUIDs, ULIDs, nanoids). */
export const opaqueId = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 chars of A-Z, a-z, 0-9, "_" or "-"');

/**
 * A phone number as an SMS address: optional '+' then 3-20 digits (TS 23.040 TP-DA holds up to
 * 20 digits; short service numbers have 3-6). National and international forms are both allowed.
 */
export const phoneNumber = z
  .string()
  .regex(/^\+?[0-9]{3,20}$/, 'must be an optional "+" followed by 3-20 digits, no spaces');

/** An ISO 8601 timestamp with time zone, e.g. 2026-11-25T08:30:00.000Z. */
export const isoTime = z.iso.datetime({ offset: true });

/** Device key type: AddReality devices are keyed by device_id, CubicMedia players by mac. */
export const deviceKeyType = z.enum(['device_id', 'mac']);
