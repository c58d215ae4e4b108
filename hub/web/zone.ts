// The platform's display zone (issue 17): its remediation setting `time_zone` (PUT
// /api/v1/remediation/settings, the Remediation page of the form), else the config's default,
// else the hub server's zone. Read once per request by the web middleware; the API's daily
// report counts days in the same zone (hub/api/zone.ts).
export { platformZone } from '../api/zone.js';
