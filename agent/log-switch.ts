// A logger whose level can change while the agent runs (SIGHUP reloads log_level): every line
// is formatted by hub/common/log.ts at debug and let through here by the current level. Pure.
import { type LogLevel, type Logger, type LoggerOptions, createLogger } from '#common/log.js';

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export class LevelSwitch {
  constructor(public level: LogLevel) {}

  allows(l: LogLevel): boolean {
    return ORDER[l] >= ORDER[this.level];
  }
}

function wrap(inner: Logger, sw: LevelSwitch): Logger {
  return {
    namespace: inner.namespace,
    debug: (m, f) => {
      if (sw.allows('debug')) inner.debug(m, f);
    },
    info: (m, f) => {
      if (sw.allows('info')) inner.info(m, f);
    },
    warn: (m, f) => {
      if (sw.allows('warn')) inner.warn(m, f);
    },
    error: (m, f) => {
      if (sw.allows('error')) inner.error(m, f);
    },
    child: (sub) => wrap(inner.child(sub), sw),
    enabled: (l) => sw.allows(l),
    level: () => sw.level,
    setLevel: (l) => {
      sw.level = l;
    },
  };
}

export function switchableLogger(namespace: string, sw: LevelSwitch, options: Omit<LoggerOptions, 'level'> = {}): Logger {
  return wrap(createLogger(namespace, { ...options, level: 'debug' }), sw);
}
