// Backup-route counters (issue 19) on the hub's registry: messages moved to a backup site, cancels
// sent to the sites they left (at the move, and again for a late acceptance), and messages that
// a site sent after all once the hub had moved them away (double sends: the device got the
// command twice). Kept beside the dispatch code that produces them (hub/remediation/route-mover.ts).
import { Counter, type Registry } from 'prom-client';
import type { RouteEvent } from '../remediation/route-mover.js';

export function createRouteMetrics(registry: Registry): (e: RouteEvent) => void {
  const failovers = new Counter({
    name: 'gsmjobs_hub_route_failovers_total',
    help: 'Commands moved to the next site of their control device route, by why the site before could not send them.',
    labelNames: ['platform_id', 'reason'],
    registers: [registry],
  });
  const cancels = new Counter({
    name: 'gsmjobs_hub_route_cancels_total',
    help: 'Cancels sent to a site a command was moved away from: at the move (moved) or for a late acceptance (late_accept).',
    labelNames: ['platform_id', 'reason'],
    registers: [registry],
  });
  const doubles = new Counter({
    name: 'gsmjobs_hub_route_double_sends_total',
    help: 'Commands a site reported sent after the hub had moved them to another site.',
    labelNames: ['platform_id'],
    registers: [registry],
  });
  return (e) => {
    if (e.type === 'failover') failovers.inc({ platform_id: e.platform_id, reason: e.reason });
    else if (e.type === 'cancel') cancels.inc({ platform_id: e.platform_id, reason: e.reason });
    else doubles.inc({ platform_id: e.platform_id });
  };
}
