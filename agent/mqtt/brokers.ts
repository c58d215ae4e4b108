// The agent's list of MQTT brokers (issue 20 step 4): pure parsing and rotation. `mqtt.url` is
// one URL (any scheme MQTT.js takes, credentials allowed, the old form) or a list of 1-8
// mqtt:// or mqtts:// URLs of one scheme (the TLS options apply to all), without credentials
// (those live in mqtt.username / mqtt.password, the same on every broker). The adapter starts
// with the first and, each time MQTT.js reconnects, moves to the next one, round robin.
import { isIP } from 'node:net';

export const MAX_BROKERS = 8;

export interface Broker {
  /** The URL as configured (may hold credentials in the single-URL form). */
  readonly url: string;
  /** The URL without user and password: safe for logs, metrics and status. */
  readonly shown: string;
  readonly protocol: string;
  readonly host: string;
  /** Explicit or the scheme's default (1883, 8883). */
  readonly port: number;
}

const DEFAULT_PORTS: Record<string, number> = { mqtt: 1883, tcp: 1883, mqtts: 8883, ssl: 8883, ws: 80, wss: 443 };

/** The URL with any user:password@ removed (a URL that does not parse is shown as "(invalid)"). */
export function withoutCredentials(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return '(invalid)';
  }
}

/** One URL into its parts; throws an Error naming the problem. */
export function parseBroker(url: string): Broker {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`not a URL / не адрес: ${withoutCredentials(url)}`);
  }
  const protocol = u.protocol.replace(/:$/, '');
  const host = u.hostname.replace(/^\[|\]$/g, '');
  if (!host) throw new Error(`no host in ${withoutCredentials(url)} / в адресе нет хоста`);
  const port = u.port ? Number(u.port) : (DEFAULT_PORTS[protocol] ?? 1883);
  return { url, shown: withoutCredentials(url), protocol, host, port };
}

/** Problems of a configured broker list (empty when valid); each names the entry. */
export function brokerListProblems(urls: readonly string[]): string[] {
  const problems: string[] = [];
  if (urls.length < 1 || urls.length > MAX_BROKERS) problems.push(`give 1 to ${MAX_BROKERS} broker URLs (got ${urls.length}) / укажите от 1 до ${MAX_BROKERS} адресов брокеров (указано ${urls.length})`);
  const schemes = new Set<string>();
  const seen = new Set<string>();
  urls.forEach((url, i) => {
    if (!/^mqtts?:\/\//.test(url)) {
      problems.push(`[${i}] must start with mqtt:// or mqtts:// (a list takes no ws://, tcp:// or ssl://) / адрес в списке должен начинаться с mqtt:// или mqtts://`);
      return;
    }
    let b: Broker;
    try {
      b = parseBroker(url);
    } catch (err) {
      problems.push(`[${i}] ${(err as Error).message}`);
      return;
    }
    const u = new URL(url);
    if (u.username || u.password) problems.push(`[${i}] has credentials in the URL: put them in mqtt.username and mqtt.password (the same on every broker) / уберите логин и пароль из адреса: укажите их в mqtt.username и mqtt.password (одни для всех брокеров)`);
    if (u.pathname.length > 1 || u.search) problems.push(`[${i}] takes no path or query / адрес брокера без пути и параметров`);
    schemes.add(b.protocol);
    const key = `${b.protocol}://${b.host}:${b.port}`;
    if (seen.has(key)) problems.push(`[${i}] ${b.shown} is listed twice / брокер указан дважды`);
    seen.add(key);
  });
  if (schemes.size > 1) problems.push('all brokers of a list must use one scheme (all mqtt:// or all mqtts://), so the TLS options fit each / все брокеры списка должны быть с одной схемой (все mqtt:// или все mqtts://), чтобы настройки TLS подходили каждому');
  return problems;
}

/** `mqtt.url` as a list. */
export function brokerUrls(url: string | readonly string[]): string[] {
  return typeof url === 'string' ? [url] : [...url];
}

/** Round robin over the brokers, starting at the first. */
export class BrokerRotation {
  private index = 0;
  readonly brokers: readonly Broker[];

  constructor(urls: readonly string[]) {
    this.brokers = urls.map(parseBroker);
    if (this.brokers.length === 0) throw new Error('no broker URL');
  }

  get current(): Broker {
    return this.brokers[this.index] as Broker;
  }

  /** Move to the next broker (wrapping) and return it. */
  next(): Broker {
    this.index = (this.index + 1) % this.brokers.length;
    return this.current;
  }
}

/**
 * Point MQTT.js's connection options at `b` (they are read again on every reconnect): host,
 * port and, for TLS, the server name checked against the certificate (MQTT.js keeps the first
 * host's otherwise).
 */
export function aimOptions(opts: { host?: string; hostname?: string; port?: number; servername?: string }, b: Broker): void {
  opts.host = b.host;
  opts.hostname = b.host;
  opts.port = b.port;
  if (isIP(b.host) === 0) opts.servername = b.host;
  else delete opts.servername;
}
