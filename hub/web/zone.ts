// The platform's display zone (issue 17): its remediation setting `time_zone` (PUT
// /api/v1/remediation/settings, the Remediation page of the form), else the config's default,
// else the hub server's zone. Read once per request by the web middleware.
import type { ApiDeps } from '../api/context.js';
import { scopeOf } from '../store/port.js';
import { DISPLAY_ZONE } from './i18n.js';

export async function platformZone(deps: ApiDeps, platformId: string): Promise<string> {
  const stored = await deps.port.remediation.settings(scopeOf(platformId));
  return stored?.time_zone ?? deps.remediationConfig.defaults.time_zone ?? DISPLAY_ZONE;
}
