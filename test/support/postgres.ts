// A throwaway PostgreSQL 15 cluster for tests and benchmarks (Debian package `postgresql`): initdb
// into a temp dir, the server on a free loopback port with its unix socket in the same dir,
// fsync off. No packaged cluster or service is used. As root, the server runs as the `postgres`
// user (initdb refuses root) through `runuser`; as any other user it runs as that user.
import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './ports.js';

const run = promisify(execFile);

export const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';

export interface PgCluster {
  readonly port: number;
  readonly dir: string;
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  readonly url: string;
  /** The URL of another database of the cluster. */
  urlOf(database: string): string;
  /** Create an empty database and return its URL (one per test keeps tests apart). */
  createDatabase(name?: string): Promise<string>;
  /** Stop the server (fast mode: connections are cut), keeping the data. */
  stop(): Promise<void>;
  /** Start it again after stop(). */
  start(): Promise<void>;
  /** Stop and remove everything. */
  destroy(): Promise<void>;
}

let dbSeq = 0;

async function asServerUser(cmd: string, args: string[], timeout = 60_000): Promise<void> {
  const root = process.getuid?.() === 0;
  const [file, argv] = root ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
  try {
    await run(file, argv, { timeout, env: { ...process.env, LC_ALL: 'C', LANG: 'C' } });
  } catch (err) {
    const e = err as Error & { stderr?: string; stdout?: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`, { cause: err });
  }
}

async function postgresUid(): Promise<{ uid: number; gid: number }> {
  const { stdout: u } = await run('id', ['-u', 'postgres']);
  const { stdout: g } = await run('id', ['-g', 'postgres']);
  return { uid: Number(u.trim()), gid: Number(g.trim()) };
}

export async function startPostgres(options: { port?: number; settings?: Record<string, string> } = {}): Promise<PgCluster> {
  if (!existsSync(join(PG_BIN, 'initdb'))) throw new Error(`PostgreSQL 15 binaries not found in ${PG_BIN}: run .ci/setup (Debian package postgresql)`);
  const dir = mkdtempSync(join(tmpdir(), 'gsmjobs-pg-'));
  if (process.getuid?.() === 0) {
    const { uid, gid } = await postgresUid();
    chownSync(dir, uid, gid);
  }
  const data = join(dir, 'data');
  const log = join(dir, 'server.log');
  await asServerUser(join(PG_BIN, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions']);
  let port = options.port ?? (await freePort());
  const settings: Record<string, string> = {
    fsync: 'off',
    synchronous_commit: 'off',
    full_page_writes: 'off',
    listen_addresses: '127.0.0.1',
    max_connections: '100',
    shared_buffers: '64MB',
    ...options.settings,
  };
  const opts = () => [`-p ${port}`, `-k ${dir}`, ...Object.entries(settings).map(([k, v]) => `-c ${k}=${v}`)].join(' ');
  const urlOf = (db: string) => `postgres://postgres@127.0.0.1:${port}/${db}`;
  const start = async () => {
    try {
      await asServerUser(join(PG_BIN, 'pg_ctl'), ['start', '-w', '-t', '60', '-D', data, '-l', log, '-o', opts()], 90_000);
    } catch (err) {
      const tail = existsSync(log) ? readFileSync(log, 'utf8').slice(-3000) : '';
      throw new Error(`${(err as Error).message}\n${tail}`, { cause: err });
    }
  };
  const stop = async () => {
    await asServerUser(join(PG_BIN, 'pg_ctl'), ['stop', '-w', '-t', '60', '-m', 'fast', '-D', data]).catch(() => undefined);
  };
  try {
    await start();
  } catch {
    // The free port was taken in between: one more try on another.
    port = await freePort();
    await start();
  }
  return {
    get port() {
      return port;
    },
    dir,
    get url() {
      return urlOf('postgres');
    },
    urlOf,
    async createDatabase(name?: string) {
      const db = name ?? `t${process.pid}_${++dbSeq}`;
      const c = new pg.Client({ connectionString: urlOf('postgres') });
      await c.connect();
      try {
        await c.query(`CREATE DATABASE ${pg.escapeIdentifier(db)} TEMPLATE template0`);
      } finally {
        await c.end();
      }
      return urlOf(db);
    },
    stop,
    start,
    async destroy() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
