// SIGHUP for `agent run`: read the config file again; apply what can change without a restart
// (log_level), name what cannot, keep running on a bad file. Pure apart from the injected loader.
import type { LogLevel, Logger } from '#common/log.js';
import type { ReloadMetrics } from '#common/reload-metrics.js';
import type { AgentConfig } from './config.js';
import type { LevelSwitch } from './log-switch.js';

/** Dotted paths of the leaves that differ between two configs. */
export function changedKeys(a: unknown, b: unknown, path = ''): string[] {
  const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (isObj(a) && isObj(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => changedKeys(a[k], b[k], path ? `${path}.${k}` : k));
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [path];
}

export interface ReloadDeps {
  current: AgentConfig;
  load(): AgentConfig;
  level: LevelSwitch;
  log: Logger;
  metrics: ReloadMetrics;
  now(): number;
}

/** Returns the config now in force (the old one, with the new log level when that changed). */
export function reloadConfig(d: ReloadDeps): AgentConfig {
  let next: AgentConfig;
  try {
    next = d.load();
  } catch (err) {
    d.metrics.failed();
    d.log.error('configuration reload failed; keeping the running configuration', { error: (err as Error).message });
    return d.current;
  }
  const changed = changedKeys(d.current, next);
  const restartOnly = changed.filter((k) => k !== 'log_level');
  const applied: string[] = [];
  const from: LogLevel = d.current.log_level;
  const to: LogLevel = next.log_level;
  if (from !== to) applied.push(`log_level: ${from} -> ${to}`);
  const report = () => {
    const lvl = d.level.allows('info') ? 'info' : 'warn';
    d.log[lvl](applied.length ? 'configuration reloaded' : 'configuration reloaded: nothing changed', { changes: applied });
    if (restartOnly.length) d.log.warn('reload: these keys need a restart and keep their old values', { keys: restartOnly });
  };
  // Say it at the more talkative of the two levels, so the line that announces the change shows.
  const louder = !d.level.allows(to);
  if (!louder) report();
  d.level.level = to;
  if (louder) report();
  d.metrics.succeeded(d.now());
  return { ...d.current, log_level: to };
}
