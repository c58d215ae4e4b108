// `hub mqtt ...`: what an external Mosquitto needs from the hub (issue 18).
//   hub mqtt acl                          the ACL file (the contract's rule with %u patterns)
//   hub mqtt users [--config FILE]        the usernames the hub knows (sites, platform listeners)
//   hub mqtt passwd USER [--config FILE]  reads USER's password on stdin, checks it against the
//                                         hub's hash, prints the password-file line
// Read-only: the store the config selects is read (lowdb: definitions.json in the data dir;
// PostgreSQL: through the store port), never written (the running hub is its writer).
// Shaped like the hub CLI's subcommands (name, help, run(args, io) -> exit code).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from './common/config.js';
import { mosquittoAclFile } from './common/contract/index.js';
import { loadHubConfig } from './config.js';
import { checkAgainstStore, type KnownUser, knownUsers, MOSQUITTO_ITERATIONS, mosquittoPasswdLine, type StoredUsers } from './mqtt/tooling.js';
import { PgStore } from './store/pg/adapter.js';
import { scopeOf } from './store/port.js';

export interface MqttCliIo {
  out(text: string): void;
  err(text: string): void;
  env: NodeJS.ProcessEnv;
  /** The whole of stdin (the password to hash). */
  stdin?: () => Promise<string>;
}

const USAGE = `usage: hub mqtt acl
       hub mqtt users  [--config FILE]
       hub mqtt passwd USER [--config FILE] [--iterations N]   (password on stdin / пароль на stdin)
`;

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(typeof c === 'string' ? Buffer.from(c) : c);
  return Buffer.concat(chunks).toString('utf8');
}

/** PostgreSQL: platforms and sites read through the store port (nothing written, no migration). */
async function portUsers(url: string): Promise<KnownUser[]> {
  const port = await PgStore.open({ connectionString: url, max: 2, migrate: false });
  try {
    const platforms = await port.platforms.list();
    const sites = (await Promise.all(platforms.map((p) => port.sites.list(scopeOf(p.id))))).flat();
    return knownUsers({ platforms: Object.fromEntries(platforms.map((p) => [p.id, p])), sites: Object.fromEntries(sites.map((s) => [`${s.platform_id}/${s.id}`, s])) });
  } finally {
    await port.close();
  }
}

/** The users of the store the config selects: PostgreSQL through the port, lowdb from definitions.json. */
async function storedUsers(args: string[], io: MqttCliIo): Promise<KnownUser[]> {
  const config = loadHubConfig(option(args, '--config'), io.env);
  if (config.store.kind === 'postgres') return portUsers(config.store.url);
  let defs: StoredUsers = {};
  try {
    defs = JSON.parse(readFileSync(join(config.data_dir, 'definitions.json'), 'utf8')) as StoredUsers;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  return knownUsers(defs);
}

export const mqttCommand = {
  name: 'mqtt',
  help: [
    ['mqtt acl', 'print the Mosquitto ACL file / ACL-файл для Mosquitto'],
    ['mqtt users [--config F]', 'list the MQTT users the hub knows / пользователи MQTT, известные хабу'],
    ['mqtt passwd USER [--config F]', 'password on stdin -> Mosquitto password-file line / строка для файла паролей'],
  ] as ReadonlyArray<readonly [string, string]>,
  async run(args: string[], io: MqttCliIo): Promise<number> {
    const [sub, ...rest] = args;
    try {
      if (sub === 'acl') {
        io.out(mosquittoAclFile());
        return 0;
      }
      if (sub === 'users') {
        for (const u of await storedUsers(rest, io)) io.out(`${u.username}${u.hash ? '' : '  (no password yet / пароля ещё нет)'}\n`);
        return 0;
      }
      if (sub === 'passwd' && rest[0] && !rest[0].startsWith('-')) {
        const username = rest[0];
        const iterations = Number(option(rest, '--iterations') ?? MOSQUITTO_ITERATIONS);
        if (!Number.isInteger(iterations) || iterations < 1) throw new ConfigError('--iterations must be a positive integer', []);
        const input = await (io.stdin ?? (() => readAll(process.stdin)))();
        const password = input.replace(/\r?\n$/, '');
        if (!password) {
          io.err('hub mqtt passwd: no password on stdin / нет пароля на stdin\n');
          return 2;
        }
        const check = checkAgainstStore(await storedUsers(rest.slice(1), io), username, password);
        if (!check.ok) {
          io.err(`hub mqtt passwd: ${check.message}\n`);
          return 2;
        }
        io.out(`${mosquittoPasswdLine(username, password, { iterations })}\n`);
        return 0;
      }
      io.err(USAGE);
      return 2;
    } catch (err) {
      io.err(`hub mqtt: ${err instanceof ConfigError ? err.message : (err as Error).message}\n`);
      return 2;
    }
  },
};
