// The hub's one MQTT client: connects (embedded broker or an external one by URL), keeps a
// persistent session so QoS 1 messages for the hub survive its restarts, subscribes to every
// site's update / status / inbound topics, publishes jobs and public events. Every handler is
// wrapped: one failing message is logged and counted, never a crash.
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

export interface HubMqttOptions {
  /** Broker URL, or a function read at start() (the embedded broker's port is known late). */
  url: string | (() => string);
  username: string;
  password: string;
  clientId: string;
  log: Logger;
  onHandlerError?: (kind: string) => void;
  onUpChange?: (up: boolean) => void;
}

export class HubMqtt implements MqttPublisher {
  private client: MqttClient | null = null;
  private readonly handlers: SiteMessageHandler[] = [];
  private readonly connectListeners: Array<() => void> = [];

  constructor(private readonly options: HubMqttOptions) {}

  get up(): boolean {
    return this.client?.connected ?? false;
  }

  onSiteMessage(h: SiteMessageHandler): void {
    this.handlers.push(h);
  }

  onConnect(fn: () => void): void {
    this.connectListeners.push(fn);
  }

  /**
   * Connect. Resolves at the first connection, or after `waitMs` while the client keeps
   * retrying in the background (the hub serves and reports MQTT down meanwhile); rejects when
   * the signal aborts.
   */
  async start(signal?: AbortSignal, waitMs = 10_000): Promise<void> {
    const { log } = this.options;
    const url = typeof this.options.url === 'function' ? this.options.url() : this.options.url;
    const client = mqtt.connect(url, {
      username: this.options.username,
      password: this.options.password,
      clientId: this.options.clientId,
      clean: false,
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
      protocolVersion: 4,
    });
    this.client = client;
    client.on('connect', (connack) => {
      log.info('mqtt connected', { url, session_present: connack.sessionPresent });
      this.options.onUpChange?.(true);
      const filters = (['update', 'status', 'inbound'] as const).map((k) => allSitesFilter(k));
      client.subscribe(filters, { qos: 1 }, (err) => {
        if (err) log.error('mqtt subscribe failed', { error: err.message });
      });
      for (const fn of this.connectListeners) fn();
    });
    client.on('close', () => this.options.onUpChange?.(false));
    client.on('error', (err) => log.warn('mqtt error', { error: err.message }));
    client.on('message', (topic, payload, packet) => {
      const parsed = parseTopic(topic);
      if (!parsed || parsed.scope !== 'site') return;
      const msg: SiteMessage = { ref: { platform_id: parsed.platform_id, site_id: parsed.site_id }, kind: parsed.kind, payload, retained: packet.retain };
      for (const h of this.handlers) {
        Promise.resolve()
          .then(() => h(msg))
          .catch((err: unknown) => {
            this.options.onHandlerError?.(parsed.kind);
            log.error('mqtt handler failed', { topic, error: (err as Error).message });
          });
      }
    });
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        log.warn('mqtt not connected yet; retrying in the background', { url });
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
    const client = this.client;
    this.client = null;
    if (client) await client.endAsync();
  }
}
