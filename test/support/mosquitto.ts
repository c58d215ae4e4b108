// A real Mosquitto broker for integration tests (Debian package `mosquitto`), on a free
// loopback port, optionally with passwords and the contract's ACL.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect } from 'node:net';
import { join } from 'node:path';
import { mosquittoAclFile } from '../../hub/common/contract/index.js';
import { freePort } from './ports.js';
import { type Proc, startProcess, waitFor } from './process.js';

export const MOSQUITTO_BIN = process.env.MOSQUITTO_BIN ?? '/usr/sbin/mosquitto';

export interface MosquittoOptions {
  /** username -> password; when given, anonymous access is off and the contract ACL applies. */
  users?: Record<string, string>;
  /** Reuse a port (to restart a broker where clients expect it). */
  port?: number;
  /** Keep retained messages and sessions across restarts (persistence file in the temp dir). */
  persistence?: boolean;
  dir?: string;
}

export interface Mosquitto {
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  proc: Proc;
  /** Stop (SIGTERM) and start again on the same port, keeping persistence. */
  restart(downMs?: number): Promise<void>;
  stop(): Promise<void>;
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host: '127.0.0.1', port }, () => {
      sock.destroy();
      resolve(true);
    });
    sock.on('error', () => resolve(false));
  });
}

async function launch(conf: string, port: number): Promise<Proc> {
  const proc = startProcess(MOSQUITTO_BIN, ['-c', conf], { name: 'mosquitto' });
  // Mosquitto block-buffers its log on a pipe, so readiness is a successful TCP connect.
  await waitFor(
    async () => {
      if (proc.done) throw new Error(`mosquitto exited:\n${proc.output().slice(-3000)}`);
      return canConnect(port);
    },
    10_000,
    `mosquitto listening on ${port}`,
    25,
  );
  return proc;
}

export async function startMosquitto(options: MosquittoOptions = {}): Promise<Mosquitto> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'gsmjobs-mosquitto-'));
  const port = options.port ?? (await freePort());
  const lines = [
    `listener ${port} 127.0.0.1`,
    // Running as root, Mosquitto would drop to user "mosquitto" and lose access to our files.
    'user root',
    'log_dest stderr',
    'log_type all',
    `persistence ${options.persistence ? 'true' : 'false'}`,
    `persistence_location ${dir}/`,
    'max_queued_messages 10000',
  ];
  if (options.users) {
    const pw = join(dir, 'passwd');
    writeFileSync(pw, '');
    chmodSync(pw, 0o600);
    for (const [user, pass] of Object.entries(options.users)) execFileSync('mosquitto_passwd', ['-b', pw, user, pass]);
    const acl = join(dir, 'acl');
    writeFileSync(acl, mosquittoAclFile());
    chmodSync(acl, 0o600);
    lines.push('allow_anonymous false', `password_file ${pw}`, `acl_file ${acl}`);
  } else {
    lines.push('allow_anonymous true');
  }
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(conf, `${lines.join('\n')}\n`);
  const broker: Mosquitto = {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    dir,
    proc: await launch(conf, port),
    async restart(downMs = 500) {
      await broker.proc.stop();
      await new Promise((r) => setTimeout(r, downMs));
      broker.proc = await launch(conf, port);
    },
    async stop() {
      await broker.proc.stop();
      if (!options.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
  return broker;
}
