// SIGHUP reload metrics shared by the programs, as Prometheus and Alertmanager have them:
// `<prefix>_config_last_reload_successful` (1/0) and
// `<prefix>_config_last_reload_success_timestamp_seconds` (the start counts as a load).
import { Gauge, type Registry } from 'prom-client';

export interface ReloadMetrics {
  succeeded(nowMs: number): void;
  failed(): void;
}

export function createReloadMetrics(registry: Registry, prefix: string, startMs: number): ReloadMetrics {
  const ok = new Gauge({ name: `${prefix}_config_last_reload_successful`, help: 'Whether the last configuration reload (SIGHUP) succeeded (1) or failed (0).', registers: [registry] });
  const at = new Gauge({ name: `${prefix}_config_last_reload_success_timestamp_seconds`, help: 'When the configuration was last loaded successfully, seconds since the epoch.', registers: [registry] });
  ok.set(1);
  at.set(startMs / 1000);
  return {
    succeeded(nowMs) {
      ok.set(1);
      at.set(nowMs / 1000);
    },
    failed() {
      ok.set(0);
    },
  };
}
