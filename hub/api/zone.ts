// The platform's time zone (issue 17): its remediation setting `time_zone`, else the config's
// default, else the hub server's zone. The web pages show times in it and the daily report
// counts its calendar days.
import { SERVER_ZONE } from '../core/days.js';
import { scopeOf } from '../store/port.js';
import type { ApiDeps } from './context.js';

export async function platformZone(deps: Pick<ApiDeps, 'port' | 'remediationConfig'>, platformId: string): Promise<string> {
  const stored = await deps.port.remediation.settings(scopeOf(platformId));
  return stored?.time_zone ?? deps.remediationConfig.defaults.time_zone ?? SERVER_ZONE;
}
