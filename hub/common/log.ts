// Structured logging shared by the three programs: one JSON object per line on stderr (or a
// pretty line when LOG_FORMAT=pretty), a namespace per part (`agent:modem`, `hub:poller`),
// levels, and redaction of secrets by key name and by value.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface Logger {
  readonly namespace: string;
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(sub: string): Logger;
  enabled(level: LogLevel): boolean;
  /** The current level, shared by this logger, its parent and its children. */
  level(): LogLevel;
  /** Change the level of this logger, its parent and every child (SIGHUP reload). */
  setLevel(level: LogLevel): void;
}

export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent'];

export interface LogSink {
  write(line: string): void;
}

export interface LoggerOptions {
  level?: LogLevel;
  format?: 'json' | 'pretty';
  sink?: LogSink;
  /** Literal secret values (tokens, passwords, PINs) to mask wherever they appear in a line. */
  secrets?: readonly string[];
  now?: () => Date;
  /** Shared mutable level (children share their parent's). */
  levelRef?: { level: LogLevel };
}

const SECRET_KEY = /pass(word)?|secret|token|authorization|api[_-]?key|^pin$|cookie/i;

/** Replace secret-looking fields and known secret values with "***". */
export function redact(value: unknown, secrets: readonly string[] = [], depth = 0): unknown {
  if (typeof value === 'string') return maskSecrets(value, secrets);
  if (value instanceof Error) return { name: value.name, message: maskSecrets(value.message, secrets) };
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, secrets, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = SECRET_KEY.test(k) && v != null && v !== '' ? '***' : redact(v, secrets, depth + 1);
  }
  return out;
}

function maskSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join('***');
  return out;
}

const stderrSink: LogSink = { write: (line) => process.stderr.write(`${line}\n`) };

export function createLogger(namespace: string, options: LoggerOptions = {}): Logger {
  const envLevel = process.env.LOG_LEVEL as LogLevel | undefined;
  const ref = options.levelRef ?? { level: options.level ?? (envLevel && envLevel in ORDER ? envLevel : 'info') };
  const format = options.format ?? (process.env.LOG_FORMAT === 'pretty' ? 'pretty' : 'json');
  const sink = options.sink ?? stderrSink;
  const secrets = options.secrets ?? [];
  const now = options.now ?? (() => new Date());

  const emit = (lvl: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[lvl] < ORDER[ref.level]) return;
    const safe = fields ? (redact(fields, secrets) as Record<string, unknown>) : undefined;
    const text = maskSecrets(msg, secrets);
    if (format === 'pretty') {
      const extra = safe && Object.keys(safe).length ? ` ${JSON.stringify(safe)}` : '';
      sink.write(`${now().toISOString()} ${lvl.toUpperCase().padEnd(5)} ${namespace} ${text}${extra}`);
    } else {
      sink.write(JSON.stringify({ time: now().toISOString(), level: lvl, ns: namespace, msg: text, ...safe }));
    }
  };

  return {
    namespace,
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (sub) => createLogger(`${namespace}:${sub}`, { ...options, levelRef: ref, format, sink, secrets }),
    enabled: (l) => ORDER[l] >= ORDER[ref.level],
    level: () => ref.level,
    setLevel: (l) => {
      ref.level = l;
    },
  };
}

/** A logger that drops everything (tests). */
export const silentLogger: Logger = createLogger('silent', { level: 'silent' });
