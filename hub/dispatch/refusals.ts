// Refused MQTT payloads from sites (issue 15): every payload the hub drops is logged by its
// handler and counted here by platform, topic kind and reason, for
// gsmjobs_hub_mqtt_rejected_messages_total (CONTRACT.md: "logged, counted and dropped").
import type { SiteRef, SiteTopicKind } from '../common/contract/index.js';

export const REJECT_REASONS = [
  /** Larger than the contract's payload limit. */
  'too_large',
  /** Not JSON. */
  'malformed',
  /** JSON that fails the contract schema. */
  'schema',
  /** The payload names another platform or site than its topic. */
  'site_mismatch',
  /** The topic's site is not (or no longer) defined at the hub. */
  'unknown_site',
  /** An update for an execution (wire id) the hub does not know. */
  'unknown_execution',
  /** An update older than (or a repeat of) one already applied. */
  'stale',
  /** A retained update or inbound SMS: replayed at every subscription, so never acted on. */
  'retained',
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];
/** The topic kind (the hub subscribes to update, status and inbound). */
export type RejectKind = SiteTopicKind;
export type OnRejected = (ref: SiteRef, kind: RejectKind, reason: RejectReason) => void;

/** The reason of a decodePayload() error (hub/common/contract/parse.ts). */
export function decodeReason(error: string): RejectReason {
  if (error.startsWith('(root): payload of')) return 'too_large';
  if (error.startsWith('(root): not valid JSON')) return 'malformed';
  return 'schema';
}
