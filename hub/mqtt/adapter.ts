// The hub's MQTT adapter: connects (embedded broker or an external one by URL) and owns two
// clients. The hub's own client (client id `gsmjobs-hub-<hub id>`, one per hub, clean session)
// reads every site's retained status (every hub serves the sites' online state) and publishes
// jobs and public events. The leader's session (client id `gsmjobs-hub`, persistent: the id the
// single hub always used, so an upgrade keeps what waits in its session) is
// connected only while this hub leads (lead()/follow()) and subscribes to the sites' updates and
// inbound SMS: whichever hub leads takes the same session over, so QoS 1 messages sent while no
// hub led (a failover) wait at the broker and reach the next leader, and each reaches one hub. (A
// `$share/` group would not do: Mosquitto hands messages round robin to every member, also to
// the persistent session of a dead hub, so part of them would wait for a hub that never returns;
// see hub/README.md "Two or more hubs".) Every handler is wrapped: one failing message is
// logged and counted, never a crash.
import mqtt, { type MqttClient } from 'mqtt';
import { allSitesFilter, parseTopic, type SiteRef, type SiteTopicKind } from '../common/contract/index.js';
import type { Logger } from '../common/log.js';

export interface SiteMessage {
  ref: SiteRef;
  kind: SiteTopicKind;
  payload: Buffer;
  retained: boolean;
}

export type SiteMessageHandler = (msg: SiteMessage) => Promise<void> | void;

export interface MqttPublisher {
  publish(topic: string, payload: string, opts: { retain?: boolean }): Promise<void>;
  readonly up: boolean;
}

/** The leader's persistent session: one client id shared by whichever hub leads (the single hub's id before issue 20). */
export const LEADER_CLIENT_ID = 'gsmjobs-hub';

export interface HubMqttOptions {
  /** Broker URL, or a function read at start() (the embedded broker's port is known late). */
  url: string | (() => string);
  username: string;
  password: string;
  /** This hub's own client id (`gsmjobs-hub-<hub id>`). */
  clientId: string;
  /** The leader's session (default LEADER_CLIENT_ID). */
  leaderClientId?: string;
  log: Logger;
  onHandlerError?: (kind: string) => void;
  onUpChange?: (up: boolean) => void;
}

/** What each client subscribes to. */
export const OWN_FILTERS = [allSitesFilter('status')];
export const LEADER_FILTERS = [allSitesFilter('update'), allSitesFilter('inbound')];

export class HubMqtt implements MqttPublisher {
  private client: MqttClient | null = null;
  private leaderClient: MqttClient | null = null;
  private readonly handlers: SiteMessageHandler[] = [];
  private readonly connectListeners: Array<() => void> = [];

  constructor(private readonly options: HubMqttOptions) {}

  /** This hub's client is connected and, while it leads, the leader's session too. */
  get up(): boolean {
    return (this.client?.connected ?? false) && (this.leaderClient === null || this.leaderClient.connected);
  }

  /** The leader's session is open on this hub. */
  get leading(): boolean {
    return this.leaderClient !== null;
  }

  onSiteMessage(h: SiteMessageHandler): void {
    this.handlers.push(h);
  }

  onConnect(fn: () => void): void {
    this.connectListeners.push(fn);
  }

  private url(): string {
    return typeof this.options.url === 'function' ? this.options.url() : this.options.url;
  }

  private connect(clientId: string, clean: boolean, filters: string[], label: string): MqttClient {
    const { log } = this.options;
    const url = this.url();
    const client = mqtt.connect(url, {
      username: this.options.username,
      password: this.options.password,
      clientId,
      clean,
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
      protocolVersion: 4,
    });
    client.on('connect', (connack) => {
      log.info(`mqtt ${label} connected`, { url, client_id: clientId, session_present: connack.sessionPresent });
      this.options.onUpChange?.(this.up);
      client.subscribe(filters, { qos: 1 }, (err) => {
        if (err) log.error('mqtt subscribe failed', { client_id: clientId, error: err.message });
      });
      // A session from before issue 20 (one hub, one client) also holds the status filter: the hub's own client reads status.
      if (label !== 'hub' && connack.sessionPresent) client.unsubscribe(OWN_FILTERS, (err) => err && log.warn('mqtt unsubscribe failed', { client_id: clientId, error: err.message }));
      if (label === 'hub') for (const fn of this.connectListeners) fn();
    });
    client.on('close', () => this.options.onUpChange?.(this.up));
    client.on('error', (err) => log.warn('mqtt error', { client_id: clientId, error: err.message }));
    client.on('message', (topic, payload, packet) => this.dispatch(topic, payload, packet.retain));
    return client;
  }

  private dispatch(topic: string, payload: Buffer, retained: boolean): void {
    const parsed = parseTopic(topic);
    if (!parsed || parsed.scope !== 'site') return;
    const msg: SiteMessage = { ref: { platform_id: parsed.platform_id, site_id: parsed.site_id }, kind: parsed.kind, payload, retained };
    for (const h of this.handlers) {
      Promise.resolve()
        .then(() => h(msg))
        .catch((err: unknown) => {
          this.options.onHandlerError?.(parsed.kind);
          this.options.log.error('mqtt handler failed', { topic, error: (err as Error).message });
        });
    }
  }

  /**
   * Connect this hub's client. Resolves at the first connection, or after `waitMs` while the
   * client keeps retrying in the background (the hub serves and reports MQTT down meanwhile);
   * rejects when the signal aborts.
   */
  async start(signal?: AbortSignal, waitMs = 10_000): Promise<void> {
    this.client = this.connect(this.options.clientId, true, OWN_FILTERS, 'hub');
    await this.connected(this.client, signal, waitMs);
  }

  /** This hub leads: take the leader's session over (queued updates and inbound SMS arrive now). */
  async lead(signal?: AbortSignal, waitMs = 10_000): Promise<void> {
    if (this.leaderClient) return;
    this.leaderClient = this.connect(this.options.leaderClientId ?? LEADER_CLIENT_ID, false, LEADER_FILTERS, 'leader session');
    await this.connected(this.leaderClient, signal, waitMs);
  }

  /** This hub no longer leads: close the leader's session at once (it stays at the broker for the next leader). */
  async follow(): Promise<void> {
    const c = this.leaderClient;
    this.leaderClient = null;
    if (c) await c.endAsync(true);
    this.options.onUpChange?.(this.up);
  }

  private async connected(client: MqttClient, signal: AbortSignal | undefined, waitMs: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        this.options.log.warn('mqtt not connected yet; retrying in the background', { url: this.url(), client_id: client.options.clientId });
        resolve();
      }, waitMs);
      timer.unref();
      client.once('connect', () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
    });
  }

  /** QoS 1 publish; resolves at PUBACK (queued while disconnected). */
  publish(topic: string, payload: string, opts: { retain?: boolean } = {}): Promise<void> {
    const client = this.client;
    if (!client) return Promise.reject(new Error('mqtt not started'));
    return new Promise((resolve, reject) => {
      client.publish(topic, payload, { qos: 1, retain: opts.retain ?? false }, (err) => (err ? reject(err) : resolve()));
    });
  }

  async stop(): Promise<void> {
    await this.follow();
    const client = this.client;
    this.client = null;
    if (client) await client.endAsync();
  }
}
