// The embedded MQTT broker (aedes), the zero-setup default: every client authenticates
// (site agents with their per-site password, platform listeners with the platform's events
// password, the hub with its own), and every publish, will and subscription passes the
// contract's `aclAllows`, the same rule the Mosquitto ACL file states.
// Logins under attack (issue 18): scrypt runs off the event loop, a few at a time (`LoginGuard`):
// for strangers on a worker thread at nice 19 (hash-worker.ts), for agents that logged in
// before on libuv's pool; unknown usernames cost the same hash (`DUMMY_HASH`) and get the same
// answer; addresses and usernames that keep failing back off; refusals are counted by reason
// and logged at a bounded rate (`AuthLog`). Before aedes reads a byte (the net server accepts
// paused): a new connection from an address in backoff, or from a new address while no hash
// could start, or beyond the caps on connections not logged in yet (`ConnectionGate`), is reset
// at once, O(1) and without a CONNACK; a connection that has not logged in within
// `connect_timeout_ms` is closed. The pairs that logged in are kept across restarts
// (`knownLoginsFile`, known-logins.ts), so known agents are still served first after one.
// MQTT 3.1 and 3.1.1 only (aedes refuses MQTT 5 with CONNACK 1, "unacceptable protocol version").
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { Aedes, type Client } from 'aedes';
import type { Registry } from 'prom-client';
import { guardMetrics } from '../api/guard-metrics.js';
import { aclAllows } from '../common/contract/index.js';
import type { Logger } from '../common/log.js';
import { filterAccepts } from './accept-filter.js';
import { AuthLog } from './auth-log.js';
import { LowPriorityHasher } from './hash-worker.js';
import { KnownLoginsFile } from './known-logins.js';
import { ConnectionGate } from './connection-gate.js';
import { BROKER_LIMITS, type BrokerLimits } from './limits.js';
import { addressKey, LOGIN_GUARD, LoginGuard } from './login-guard.js';
import { DUMMY_HASH, secretsEqual, verifyPasswordAsync } from './passwords.js';

// CONNACK return codes (MQTT 3.1.1, 3.2.2.3).
const BAD_CREDENTIALS = 4;
const SERVER_UNAVAILABLE = 3;

export interface BrokerAuth {
  /** Stored scrypt hash of a username's password, or null when unknown. */
  passwordHash(username: string): string | null;
  /** The hub's own username/password (kept in memory only). */
  hub: { username: string; password: string };
}

/**
 * Why a CONNECT was refused (the label of gsmjobs_hub_mqtt_auth_failures_total): `throttled` and
 * `busy` also count connections dropped before their CONNECT was read, `timeout` those that did
 * not log in within the deadline.
 */
export type RefusalReason = 'bad_credentials' | 'no_credentials' | 'throttled' | 'busy' | 'timeout';

/** A refused login, as aedes wants it: the CONNACK return code on the error. */
export class LoginRefusedError extends Error {
  constructor(
    readonly reason: RefusalReason,
    readonly returnCode: 3 | 4,
  ) {
    super(returnCode === BAD_CREDENTIALS ? 'bad username or password' : 'server unavailable');
    this.name = 'LoginRefusedError';
  }
}

export interface BrokerOptions {
  host: string;
  port: number;
  auth: BrokerAuth;
  log: Logger;
  /** The hub's registry, for the login and ACL counters. */
  registry?: Registry;
  guard?: LoginGuard;
  /** Defaults: BROKER_LIMITS (the hash budget ones apply when no `guard` is given). */
  limits?: BrokerLimits;
  /** Keep the (address, username) pairs that logged in across restarts in this file (0600). */
  knownLoginsFile?: string;
  now?: () => number;
}

export class EmbeddedBroker {
  private aedes: Aedes | null = null;
  private server: Server | null = null;
  private readonly users = new WeakMap<Client, string>();
  private readonly guard: LoginGuard;
  private readonly authLog: AuthLog;
  private readonly gate: ConnectionGate;
  private readonly limits: BrokerLimits;
  private knownFile: KnownLoginsFile | null = null;
  private readonly hasher = new LowPriorityHasher();
  /** Release of the gate's slot (and the login deadline) of each connection not logged in yet. */
  private readonly pending = new WeakMap<object, () => void>();
  /** Connections closed by the login deadline (already counted as `timeout`). */
  private readonly expired = new WeakSet<object>();
  port = 0;
  authFailures = 0;
  denied = 0;

  constructor(private readonly options: BrokerOptions) {
    this.limits = options.limits ?? BROKER_LIMITS;
    this.guard = options.guard ?? new LoginGuard(options.now ?? Date.now, { ...LOGIN_GUARD, hashShare: this.limits.hash_share, hashBurstMs: this.limits.hash_burst_ms });
    this.authLog = new AuthLog(options.log);
    this.gate = new ConnectionGate({ perAddress: this.limits.pending_per_address, total: this.limits.pending_total });
  }

  async start(): Promise<void> {
    const { log } = this.options;
    const metrics = this.options.registry ? guardMetrics(this.options.registry) : null;
    const deny = (action: 'publish' | 'subscribe') => {
      this.denied++;
      metrics?.mqttAclDenials.inc({ action });
    };
    this.authLog.start();
    this.hasher.start();
    if (this.options.knownLoginsFile) {
      const file = new KnownLoginsFile(this.options.knownLoginsFile, () => this.guard.knownLogins(), log);
      const known = file.load();
      this.guard.restoreKnown(known);
      this.knownFile = file;
      if (known.length > 0) log.info('known mqtt logins restored', { pairs: known.length });
    }
    const counters = new Map<RefusalReason, { inc(): void }>();
    const count = (reason: RefusalReason, address: string | undefined, username?: string, clientId?: string) => {
      this.authFailures++;
      if (metrics) {
        let c = counters.get(reason);
        if (!c) counters.set(reason, (c = metrics.mqttAuthFailures.labels({ reason })));
        c.inc();
      }
      this.authLog.refused({ reason, username, clientId, address });
    };
    const aedes = await Aedes.createBroker({
      // Our own deadline (below) closes first and counts; aedes's is only a backstop.
      connectTimeout: this.limits.connect_timeout_ms + 5_000,
      authenticate: (client, username, password, done) => {
        const address = client.conn && 'remoteAddress' in client.conn ? (client.conn.remoteAddress as string | undefined) : undefined;
        const release = this.pending.get(client.conn);
        const refuse = (reason: RefusalReason, returnCode: 3 | 4) => {
          release?.();
          if (!this.expired.has(client.conn)) count(reason, address, username, client.id);
          done(new LoginRefusedError(reason, returnCode), false);
        };
        const accept = (user: string) => {
          release?.();
          this.users.set(client, user);
          done(null, true);
        };
        this.authenticate(username, password, addressKey(address), refuse, accept).catch((err: unknown) => {
          log.error('mqtt login check failed', { err });
          refuse('busy', SERVER_UNAVAILABLE);
        });
      },
      authorizePublish: (client, packet, done) => {
        const user = client ? this.users.get(client) : 'hub';
        if (aclAllows(user, packet.topic, 'write')) return done(null);
        deny('publish');
        done(new Error(`not authorized to publish ${packet.topic}`));
      },
      authorizeSubscribe: (client, sub, done) => {
        if (aclAllows(this.users.get(client), sub.topic, 'read')) return done(null, sub);
        deny('subscribe');
        done(null, null); // SUBACK 0x80 for this filter, the connection stays up
      },
      authorizeForward: (client, packet) => (aclAllows(this.users.get(client), packet.topic, 'read') ? packet : null),
    });
    this.aedes = aedes;
    const server = createServer({ pauseOnConnect: true }, (socket) => this.accept(socket, aedes, count));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port, this.options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    // Refusals decided from the address alone happen on the raw handle, before a Socket exists.
    const filtered = filterAccepts(server, (raw) => {
      const verdict = this.refusalAtAccept(addressKey(raw));
      if (verdict !== null) count(verdict, raw);
      return verdict !== null;
    });
    this.port = (server.address() as AddressInfo).port;
    log.info('embedded mqtt broker listening', { host: this.options.host, port: this.port, refusal_at_accept: filtered ? 'handle' : 'socket' });
  }

  /** Why a new connection from this address is refused unread, or null to read it. O(1). */
  private refusalAtAccept(address: string): RefusalReason | null {
    const verdict = this.guard.atAccept(address);
    if (verdict !== null) return verdict;
    return this.gate.admits(address, this.guard.isKnownAddress(address)) ? null : 'busy';
  }

  /** A new connection: reset at once (nothing read, no CONNACK), or handed to aedes with a deadline. */
  private accept(socket: Socket, aedes: Aedes, count: (reason: RefusalReason, address: string | undefined) => void): void {
    const raw = socket.remoteAddress;
    const address = addressKey(raw);
    const verdict = this.guard.atAccept(address);
    const slot = verdict === null ? this.gate.open(address, this.guard.isKnownAddress(address)) : null;
    if (slot === null || !slot.ok) {
      count(verdict ?? 'busy', raw);
      socket.on('error', noop);
      socket.resetAndDestroy();
      return;
    }
    const deadline = setTimeout(() => {
      this.expired.add(socket);
      count('timeout', raw);
      socket.destroy();
    }, this.limits.connect_timeout_ms);
    const release = () => {
      clearTimeout(deadline);
      slot.release();
    };
    this.pending.set(socket, release);
    socket.once('close', release);
    aedes.handle(socket);
  }

  /** Connections accepted that have not logged in yet. */
  get pendingLogins(): number {
    return this.gate.size;
  }

  private async authenticate(
    username: string | undefined,
    password: Buffer | undefined,
    address: string,
    refuse: (reason: RefusalReason, returnCode: 3 | 4) => void,
    accept: (user: string) => void,
  ): Promise<void> {
    const { auth } = this.options;
    const pass = password?.toString('utf8') ?? '';
    if (!username) return refuse('no_credentials', BAD_CREDENTIALS);
    // The hub's own password is 24 random bytes held in memory: no hash, nothing to throttle.
    if (username === auth.hub.username) {
      if (!secretsEqual(pass, auth.hub.password)) return refuse('bad_credentials', BAD_CREDENTIALS);
      this.guard.trustAddress(address);
      return accept(username);
    }
    if (!this.guard.admit(address, username).ok) {
      this.guard.throttled(address, username);
      return refuse('throttled', SERVER_UNAVAILABLE);
    }
    const stored = auth.passwordHash(username);
    const exempt = this.guard.isKnown(address, username);
    // Strangers are hashed at nice 19 (hash-worker.ts), pairs that logged in before on libuv's pool.
    const hashed = exempt || !this.hasher.running ? verifyPasswordAsync : (p: string, h: string) => this.hasher.verify(p, h);
    const matched = await this.guard.verify(
      () => hashed(pass, stored ?? DUMMY_HASH),
      exempt,
      () => this.guard.admit(address, username).ok,
    );
    if (matched === null) return refuse('busy', SERVER_UNAVAILABLE);
    if (matched === 'throttled') {
      this.guard.throttled(address, username);
      return refuse('throttled', SERVER_UNAVAILABLE);
    }
    if (!matched || stored === null) {
      this.guard.failed(address, username);
      return refuse('bad_credentials', BAD_CREDENTIALS);
    }
    if (this.guard.succeeded(address, username)) this.knownFile?.changed();
    accept(username);
  }

  get url(): string {
    return `mqtt://${this.options.host === '0.0.0.0' ? '127.0.0.1' : this.options.host}:${this.port}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    const aedes = this.aedes;
    this.server = null;
    this.aedes = null;
    this.authLog.stop();
    const known = this.knownFile;
    this.knownFile = null;
    await known?.flush().catch((err: unknown) => this.options.log.error('known mqtt logins not saved', { err }));
    if (aedes) await new Promise<void>((r) => aedes.close(() => r()));
    await this.hasher.stop();
    if (server) {
      await new Promise<void>((r) => server.close(() => r()));
    }
  }
}

function noop(): void {}
