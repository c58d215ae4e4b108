// A hub's name among hubs sharing one store: the config's `hub_id`, else `<hostname>-<http
// port>` (unique per machine and port). It is the leadership holder shown by /readyz and the
// suffix of the hub's own MQTT client id, so two hubs never take each other's MQTT session.
import { hostname } from 'node:os';

export function hubIdOf(config: { hub_id?: string | undefined; http: { port: number } }, host: string = hostname()): string {
  if (config.hub_id) return config.hub_id;
  const clean = host.replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '') || 'hub';
  return `${clean.slice(0, 56)}-${config.http.port}`;
}

/** This hub's own MQTT client id (the leader's session is mqtt/adapter.ts LEADER_CLIENT_ID). */
export const hubClientId = (hubId: string): string => `gsmjobs-hub-${hubId}`;
