// Counters of the hub's defences against hostile load: refused bodies, throttled sign-in and
// token guesses, broker login failures and ACL denials. Registered once per registry (the API,
// the web form and the embedded broker share the hub's registry; tests build several apps on one).
import { Counter, type Registry } from 'prom-client';

export interface GuardMetrics {
  /** Request bodies refused, by reason (too_large, busy). */
  bodiesRefused: Counter<'reason'>;
  /** Wrong tokens (API bearer or sign-in form), by where. */
  authFailures: Counter<'where'>;
  /** Requests answered 429 because their address guessed too often, by where. */
  throttled: Counter<'where'>;
  /** Embedded broker connections refused, by reason (bad_credentials, no_credentials, throttled, busy, timeout). */
  mqttAuthFailures: Counter<'reason'>;
  /** Embedded broker publishes and subscriptions refused by the ACL, by action (publish, subscribe). */
  mqttAclDenials: Counter<'action'>;
}

const cache = new WeakMap<Registry, GuardMetrics>();

export function guardMetrics(registry: Registry): GuardMetrics {
  const hit = cache.get(registry);
  if (hit) return hit;
  const counter = <L extends string>(name: string, help: string, label: L) =>
    (registry.getSingleMetric(name) as Counter<L> | undefined) ?? new Counter<L>({ name, help, labelNames: [label], registers: [registry] });
  const m: GuardMetrics = {
    bodiesRefused: counter('gsmjobs_hub_http_bodies_refused_total', 'HTTP request bodies refused before being read (too large, or too many in flight).', 'reason'),
    authFailures: counter('gsmjobs_hub_auth_failures_total', 'Wrong tokens presented to the API or the sign-in form.', 'where'),
    throttled: counter('gsmjobs_hub_auth_throttled_total', 'Requests refused with 429 because their address guessed tokens too often.', 'where'),
    mqttAuthFailures: counter(
      'gsmjobs_hub_mqtt_auth_failures_total',
      'Embedded broker connections refused: bad_credentials (wrong password or unknown username, deliberately one reason), no_credentials, throttled (backoff), busy (too many logins being checked or waiting), timeout (no login within the deadline); throttled and busy include connections reset before their CONNECT was read.',
      'reason',
    ),
    mqttAclDenials: counter('gsmjobs_hub_mqtt_acl_denials_total', 'Embedded broker publishes and subscriptions refused by the ACL.', 'action'),
  };
  cache.set(registry, m);
  return m;
}
