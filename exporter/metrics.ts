// The exporter's own health metrics (signage_exporter_*), on the program's registry.
// Point-in-time values are read from the account runners in collect() at scrape time.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Clock } from '#common/clock.js';
import type { AccountRunner } from './runner.js';
import type { ErrorKind } from './sources/http.js';

export const ERROR_KINDS: readonly ErrorKind[] = ['network', 'timeout', 'server', 'rate_limited', 'auth', 'client', 'malformed'];

export interface ExporterMetrics {
  apiError(r: { platformId: string; name: string }, kind: ErrorKind): void;
  /** One HTTP attempt to the platform API (retries are attempts too). */
  request(r: { platformId: string; name: string }, durationS: number, result: 'success' | ErrorKind): void;
  refreshed(r: AccountRunner, ok: boolean, durationS: number, rejected: number): void;
  cacheWrite(ok: boolean): void;
  /** A reload added an account: its counters start at zero. */
  addAccount(r: AccountRunner): void;
  /** A reload removed an account: its counter series go. */
  removeAccount(r: AccountRunner): void;
}

export function createExporterMetrics(registry: Registry, runners: () => readonly AccountRunner[], clock: Clock): ExporterMetrics {
  const labelNames = ['platform_id', 'account'] as const;
  const perAccount = (name: string, help: string, value: (r: AccountRunner) => number | undefined) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        for (const r of runners()) {
          const v = value(r);
          if (v !== undefined) this.set({ platform_id: r.platformId, account: r.name }, v);
        }
      },
    });
  perAccount('signage_exporter_account_up', '1 when the last refresh of the account succeeded, 0 when it failed or has not run yet.', (r) => (r.up ? 1 : 0));
  perAccount('signage_exporter_account_polling', '1 while the account is polled; 0 after the API refused its token (401/403) or at shutdown.', (r) => (r.polling ? 1 : 0));
  perAccount('signage_exporter_account_auth_failed', '1 when the API refused the account token (401/403); polling stops until restart.', (r) => (r.state === 'auth_failed' ? 1 : 0));
  perAccount('signage_exporter_last_success_timestamp_seconds', 'When the last successful refresh finished, seconds since the epoch; absent before the first.', (r) => (r.lastSuccessMs === undefined ? undefined : r.lastSuccessMs / 1000));
  perAccount('signage_exporter_cache_age_seconds', 'Age of the device state served for the account (now minus the last successful refresh); absent when nothing is known.', (r) =>
    r.lastSuccessMs === undefined ? undefined : Math.max(0, (clock.now() - r.lastSuccessMs) / 1000),
  );
  perAccount('signage_exporter_served_from_persistent_cache', '1 when the state served was loaded from the cache file at start-up and no refresh has succeeded since.', (r) => (r.fromCache ? 1 : 0));
  perAccount('signage_exporter_last_refresh_duration_seconds', 'Duration of the last refresh attempt, retries included.', (r) => r.lastDurationS);
  perAccount('signage_exporter_devices', 'Devices exported for the account (listed now or vanished within the grace period).', (r) => r.devices.size);
  perAccount('signage_exporter_devices_vanished', 'Devices still exported although the last successful refresh did not list them (grace period).', (r) => r.vanished);
  perAccount('signage_exporter_records_rejected', 'Device records refused in the last successful refresh (bad or partial records; the others are used).', (r) => r.rejectedLast);

  const duration = new Histogram({
    name: 'signage_exporter_refresh_duration_seconds',
    help: 'Duration of refresh attempts, retries included.',
    labelNames: [...labelNames, 'result'],
    buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    registers: [registry],
  });
  const requests = new Histogram({
    name: 'signage_exporter_request_duration_seconds',
    help: 'Duration of each HTTP request to the platform API (every try), by result: success or the error kind.',
    labelNames: [...labelNames, 'result'],
    buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const refreshes = new Counter({ name: 'signage_exporter_refreshes_total', help: 'Refresh attempts by result (success, failure).', labelNames: [...labelNames, 'result'], registers: [registry] });
  const errors = new Counter({ name: 'signage_exporter_api_errors_total', help: 'Failed API requests by kind (network, timeout, server, rate_limited, auth, client, malformed), each retry counted.', labelNames: [...labelNames, 'kind'], registers: [registry] });
  const rejectedTotal = new Counter({ name: 'signage_exporter_records_rejected_total', help: 'Device records refused one by one.', labelNames, registers: [registry] });
  const cacheWrites = new Counter({ name: 'signage_exporter_cache_writes_total', help: 'Writes of the persistent cache file by result (ok, error).', labelNames: ['result'], registers: [registry] });
  cacheWrites.inc({ result: 'ok' }, 0);
  cacheWrites.inc({ result: 'error' }, 0);
  const addAccount = (r: AccountRunner) => {
    const l = { platform_id: r.platformId, account: r.name };
    for (const kind of ERROR_KINDS) errors.inc({ ...l, kind }, 0);
    for (const result of ['success', 'failure']) refreshes.inc({ ...l, result }, 0);
    rejectedTotal.inc(l, 0);
  };
  for (const r of runners()) addAccount(r);

  return {
    request(r, durationS, result) {
      requests.observe({ platform_id: r.platformId, account: r.name, result }, durationS);
    },
    apiError(r, kind) {
      errors.inc({ platform_id: r.platformId, account: r.name, kind });
    },
    refreshed(r, ok, durationS, rejected) {
      const l = { platform_id: r.platformId, account: r.name };
      const result = ok ? 'success' : 'failure';
      duration.observe({ ...l, result }, durationS);
      refreshes.inc({ ...l, result });
      if (rejected > 0) rejectedTotal.inc(l, rejected);
    },
    addAccount,
    removeAccount(r) {
      const l = { platform_id: r.platformId, account: r.name };
      for (const kind of ERROR_KINDS) errors.remove({ ...l, kind });
      for (const result of ['success', 'failure']) {
        refreshes.remove({ ...l, result });
        duration.remove({ ...l, result });
      }
      rejectedTotal.remove(l);
      for (const result of ['success', ...ERROR_KINDS, 'invalid_record']) requests.remove({ ...l, result });
    },
    cacheWrite(ok) {
      cacheWrites.inc({ result: ok ? 'ok' : 'error' });
    },
  };
}
