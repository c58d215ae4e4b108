// The embedded broker's login limits (issue 18), one object with the keys of the hub's config
// `mqtt.limits` (hub/config.ts takes its defaults from here; hub/README.md, Security, explains
// them). Kept apart from broker.ts so that loading the config does not load aedes.
/** Limits on logins (the hub's config `mqtt.limits`, same keys). */
export interface BrokerLimits {
  /** A connection must have logged in this long after it was accepted, or it is closed. */
  connect_timeout_ms: number;
  /** Connections not logged in yet, per address (IPv4, or IPv6 /64). */
  pending_per_address: number;
  /** Connections not logged in yet, in all (addresses someone logged in from are exempt). */
  pending_total: number;
  /** Average share of one core spent on failed password hashes. */
  hash_share: number;
  /** Failed-hash time that may be spent at once above that average (ms). */
  hash_burst_ms: number;
}

export const BROKER_LIMITS: BrokerLimits = {
  connect_timeout_ms: 10_000,
  pending_per_address: 32,
  pending_total: 1000,
  hash_share: 0.1,
  hash_burst_ms: 1_000,
};
