// createApp(deps): the hub's HTTP application. Health and metrics at the root, the API under
// /api/v1 with one sub-app per resource, one error handler. The web form (hub/web/) mounts its
// own sub-app on the returned Hono with app.route().
import { Hono } from 'hono';
import { catalogsApi } from './catalogs.js';
import type { ApiDeps, HubEnv } from './context.js';
import { controlDevicesApi } from './control-devices.js';
import { devicesApi } from './devices.js';
import { renderError } from './errors.js';
import { remediationApi } from './remediation.js';
import { executionsApi } from './executions.js';
import { healthApi } from './health.js';
import { jobsApi } from './jobs.js';
import { openApiDocument } from './openapi.js';
import { platformsApi } from './platforms.js';
import { requireAuth } from './auth.js';
import { sitesApi } from './sites.js';
import { bodyLimits } from './body-limit.js';
import { guardMetrics } from './guard-metrics.js';
import { Idempotency } from './idempotency.js';
import { webhooksApi } from './webhooks.js';
import { bulkImport } from './jobs-bulk.js';
import { scope } from './auth.js';

export function createApi(deps: ApiDeps): Hono<HubEnv> {
  const api = new Hono<HubEnv>();
  const doc = openApiDocument();
  api.get('/openapi.json', (c) => c.json(doc));
  api.use('*', requireAuth(deps));
  const idem = new Idempotency();
  api.route('/platforms', platformsApi(idem));
  api.route('/sites', sitesApi(idem));
  api.route('/control-devices', controlDevicesApi(idem));
  api.route('/catalogs', catalogsApi());
  // Bulk import: POST /jobs:bulk (Google's custom-method style), also /jobs/bulk (jobs.ts).
  api.post(
    '/jobs:bulk',
    idem.route(async (c) => (await scope(c)).id, { overlap: true }),
    (c) => bulkImport(c, idem),
  );
  api.route('/jobs', jobsApi(idem));
  api.route('/executions', executionsApi());
  api.route('/devices', devicesApi());
  api.route('/webhooks', webhooksApi(idem));
  api.route('/', remediationApi());
  return api;
}

export function createApp(deps: ApiDeps): Hono<HubEnv> {
  const app = new Hono<HubEnv>();
  // First of all: every body (API, web form, sign-in) is limited while it is read.
  const guard = guardMetrics(deps.registry);
  app.use('*', bodyLimits(undefined, { onRefused: (reason) => guard.bodiesRefused.inc({ reason }) }));
  app.route('/', healthApi(deps));
  app.route('/api/v1', createApi(deps));
  app.notFound((c) => c.json({ error: { code: 'not_found', message: 'no such route' } }, 404));
  app.onError((err, c) => renderError(err, c));
  return app;
}
