// The embedded MQTT broker (aedes), the zero-setup default: every client authenticates
// (site agents with their per-site password, platform listeners with the platform's events
// password, the hub with its own), and every publish, will and subscription passes the
// contract's `aclAllows`, the same rule the Mosquitto ACL file states.
import { type AddressInfo, createServer, type Server } from 'node:net';
import { Aedes, type Client } from 'aedes';
import { aclAllows } from '../common/contract/index.js';
import type { Logger } from '../common/log.js';
import { verifyPassword } from './passwords.js';

export interface BrokerAuth {
  /** Stored scrypt hash of a username's password, or null when unknown. */
  passwordHash(username: string): string | null;
  /** The hub's own username/password (kept in memory only). */
  hub: { username: string; password: string };
}

export class EmbeddedBroker {
  private aedes: Aedes | null = null;
  private server: Server | null = null;
  private readonly users = new WeakMap<Client, string>();
  port = 0;
  authFailures = 0;
  denied = 0;

  constructor(
    private readonly options: { host: string; port: number; auth: BrokerAuth; log: Logger },
  ) {}

  async start(): Promise<void> {
    const { auth, log } = this.options;
    const aedes = await Aedes.createBroker({
      authenticate: (client, username, password, done) => {
        const pass = password?.toString('utf8') ?? '';
        let ok = false;
        if (username === auth.hub.username) ok = pass === auth.hub.password;
        else if (username) {
          const hash = auth.passwordHash(username);
          ok = hash !== null && verifyPassword(pass, hash);
        }
        if (!ok) {
          this.authFailures++;
          log.warn('mqtt authentication refused', { username, client: client.id });
          const err = Object.assign(new Error('bad username or password'), { returnCode: 4 as const });
          done(err, false);
          return;
        }
        this.users.set(client, username as string);
        done(null, true);
      },
      authorizePublish: (client, packet, done) => {
        const user = client ? this.users.get(client) : 'hub';
        if (aclAllows(user, packet.topic, 'write')) return done(null);
        this.denied++;
        done(new Error(`not authorized to publish ${packet.topic}`));
      },
      authorizeSubscribe: (client, sub, done) => {
        if (aclAllows(this.users.get(client), sub.topic, 'read')) return done(null, sub);
        this.denied++;
        done(null, null); // SUBACK 0x80 for this filter, the connection stays up
      },
      authorizeForward: (client, packet) => (aclAllows(this.users.get(client), packet.topic, 'read') ? packet : null),
    });
    this.aedes = aedes;
    const server = createServer((socket) => aedes.handle(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port, this.options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.port = (server.address() as AddressInfo).port;
    log.info('embedded mqtt broker listening', { host: this.options.host, port: this.port });
  }

  get url(): string {
    return `mqtt://${this.options.host === '0.0.0.0' ? '127.0.0.1' : this.options.host}:${this.port}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    const aedes = this.aedes;
    this.server = null;
    this.aedes = null;
    if (aedes) await new Promise<void>((r) => aedes.close(() => r()));
    if (server) {
      await new Promise<void>((r) => server.close(() => r()));
    }
  }
}
