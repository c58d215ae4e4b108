// SIGHUP for the hub: re-read the same config file, apply what can change without a restart
// (the log level), name what changed but needs a restart, and keep running on a bad file
// (logging why). planReload is pure; applyReload touches the logger and the reload metrics.
import { ConfigError } from './common/config.js';
import type { Logger, LogLevel } from './common/log.js';
import type { ReloadMetrics } from './common/reload-metrics.js';
import { effectiveLogLevel, type HubConfig, maskedHubConfig } from './config.js';

/** Paths (a.b.c) whose values differ between two configs, secrets compared masked. */
export function changedPaths(a: unknown, b: unknown, path = ''): string[] {
  const isMap = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (isMap(a) && isMap(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => changedPaths(a[k], b[k], path ? `${path}.${k}` : k));
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [path || '(root)'];
}

export interface ReloadPlan {
  /** The new log level, when it changes. */
  level?: { from: LogLevel; to: LogLevel };
  /** Changed settings that take effect only after a restart. */
  needRestart: string[];
}

const RELOADABLE = new Set(['log.level']);

export function planReload(current: HubConfig, next: HubConfig, env: NodeJS.ProcessEnv): ReloadPlan {
  const from = effectiveLogLevel(current, env);
  const to = effectiveLogLevel(next, env);
  const needRestart = changedPaths(maskedHubConfig(current), maskedHubConfig(next)).filter((p) => !RELOADABLE.has(p));
  // A changed secret shows as unchanged once masked; name it without its value.
  if (current.admin_token !== next.admin_token && !needRestart.includes('admin_token')) needRestart.push('admin_token');
  return { ...(from === to ? {} : { level: { from, to } }), needRestart };
}

export interface ReloadTarget {
  log: Logger;
  metrics: ReloadMetrics;
  now(): number;
}

/**
 * Load the file again and apply it. Returns the config now in force: `next` on success, the
 * current one when the new file is bad (the hub keeps running on it).
 */
export function applyReload(current: HubConfig, load: () => HubConfig, target: ReloadTarget, env: NodeJS.ProcessEnv): HubConfig {
  let next: HubConfig;
  try {
    next = load();
  } catch (err) {
    target.metrics.failed();
    target.log.error('config reload failed, keeping the running config / перезагрузка конфигурации не удалась, работаю со старой', {
      error: err instanceof ConfigError ? err.message : (err as Error).message,
    });
    return current;
  }
  const plan = planReload(current, next, env);
  if (plan.level) target.log.setLevel(plan.level.to);
  target.metrics.succeeded(target.now());
  target.log.info('config reloaded / конфигурация перезагружена', {
    ...(plan.level ? { log_level: `${plan.level.from} -> ${plan.level.to}` } : { changed: 'nothing reloadable' }),
    ...(plan.needRestart.length ? { needs_restart: plan.needRestart } : {}),
  });
  // What needs a restart stays as it was; only the reloadable part moves on.
  return { ...current, log: next.log };
}
