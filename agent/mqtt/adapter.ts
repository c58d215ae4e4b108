// The only module that touches the MQTT client. Persistent session (stable client id,
// clean: false), QoS 1, the site's username from the contract, TLS from config, a retained
// status with last will `offline`. A job is acknowledged (PUBACK) only after the outbox has it
// on disk: mqtt.js sends the PUBACK when handleMessage's callback runs. A malformed payload is
// logged, counted and acknowledged (dropped) so it never blocks the session.
// Several brokers (issue 20 step 4): one MqttClient for the whole life of the agent (its
// in-flight QoS 1 messages and client id survive a move); before each reconnect the client's
// options are pointed at the next broker of the list, so losing one moves to the next within
// reconnect_s. (MQTT.js's own `servers` option keeps the first host's TLS server name.)
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import mqtt, { type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import {
  type AgentStatus,
  type ExecutionUpdate,
  type InboundSms,
  type JobCancel,
  type JobRequest,
  agentStatus,
  decodePayload,
  encodePayload,
  executionUpdate,
  inboundSms,
  jobCancel,
  jobRequest,
  opaqueId,
  siteTopic,
  usernames,
} from '#common/contract/index.js';
import type { Logger } from '#common/log.js';
import type { AgentConfig } from '../config.js';
import { type Broker, BrokerRotation, aimOptions, brokerUrls } from './brokers.js';

/** Enough of a job to answer it even when the rest is invalid. */
const jobIds = z.object({ execution_id: opaqueId, job_id: opaqueId, attempt: z.number().int().min(1).catch(1) });

export interface MqttAdapterDeps {
  config: AgentConfig;
  log: Logger;
  /** Store the job durably; the message is acknowledged when this resolves. */
  onJob(job: JobRequest): Promise<void>;
  /** Journal a cancel from the hub (issue 19); the message is acknowledged when this resolves. */
  onCancel?(c: JobCancel): Promise<void>;
  /** A job refused as malformed; `ids` when the payload still names its execution (then the hub is told). */
  onMalformed(reason: string, ids?: { execution_id: string; job_id: string; attempt: number }): void;
  onUpdateAcked(u: ExecutionUpdate): void;
  onConnection?(connected: boolean): void;
  /** Updates still to deliver (journaled, not acknowledged), published after each connect. */
  pendingUpdates(): ExecutionUpdate[];
  connect?: (url: string, opts: IClientOptions) => MqttClient;
}

export class MqttAdapter {
  private client: MqttClient | undefined;
  private readonly inFlight = new Set<string>();
  private lastStatus: AgentStatus | undefined;
  private readonly rotation: BrokerRotation;
  private stayOnce = false;
  connected = false;

  constructor(private readonly d: MqttAdapterDeps) {
    this.rotation = new BrokerRotation(brokerUrls(d.config.mqtt.url));
  }

  /** The broker connected to, or being tried while disconnected (URL without credentials). */
  get broker(): string {
    return this.rotation.current.shown;
  }

  private get ref() {
    return { platform_id: this.d.config.platform_id, site_id: this.d.config.site_id };
  }

  clientOptions(): IClientOptions {
    const m = this.d.config.mqtt;
    const read = (f?: string) => (f ? readFileSync(f) : undefined);
    const will: AgentStatus = { v: 1, type: 'status', ...this.ref, state: 'offline', at: new Date().toISOString() };
    const opts: IClientOptions = {
      clientId: m.client_id ?? `gsmjobs-agent-${this.ref.platform_id}-${this.ref.site_id}`,
      clean: false,
      protocolVersion: 4,
      keepalive: m.keepalive_s,
      reconnectPeriod: m.reconnect_s * 1000,
      connectTimeout: 10_000,
      username: m.username ?? usernames.site(this.ref),
      will: { topic: siteTopic(this.ref, 'status'), payload: Buffer.from(encodePayload(agentStatus, will)), qos: 1, retain: true },
      resubscribe: true,
      // mqtt-packet otherwise pre-allocates 65,536 two-byte Buffers (about 6.5 MiB of heap) to
      // write packet ids and lengths; the agent writes a few packets a minute.
      writeCache: false,
    };
    if (m.password !== undefined) opts.password = m.password;
    const ca = read(m.tls.ca_file);
    const cert = read(m.tls.cert_file);
    const key = read(m.tls.key_file);
    if (ca) opts.ca = ca;
    if (cert) opts.cert = cert;
    if (key) opts.key = key;
    opts.rejectUnauthorized = m.tls.reject_unauthorized;
    return opts;
  }

  start(): void {
    const connect = this.d.connect ?? mqtt.connect;
    const first: Broker = this.rotation.current;
    const client = connect(first.url, this.clientOptions());
    this.client = client;
    if (this.rotation.brokers.length > 1) {
      // Emitted just before MQTT.js builds the next connection from client.options.
      client.on('reconnect', () => {
        // The agent dropped the connection itself (a job it could not store): the job waits at
        // this broker, so try it again rather than move on.
        if (this.stayOnce) {
          this.stayOnce = false;
          return;
        }
        const b = this.rotation.next();
        aimOptions(client.options, b);
        this.d.log.info('mqtt trying the next broker', { broker: b.shown });
      });
    }
    client.handleMessage = (packet, done) => this.onPublish(packet, done);
    client.on('connect', (ack) => {
      this.connected = true;
      this.d.log.info('mqtt connected', { broker: this.broker, session_present: ack.sessionPresent });
      this.d.onConnection?.(true);
      // Jobs and cancels in the same persistent session: both wait at the broker while the agent is away.
      client.subscribe([siteTopic(this.ref, 'job'), siteTopic(this.ref, 'cancel')], { qos: 1 }, (err) => {
        if (err) this.d.log.error('mqtt subscribe failed', { err: err.message });
      });
      if (this.lastStatus) this.publishStatus({ ...this.lastStatus, at: new Date().toISOString() }, true);
      for (const u of this.d.pendingUpdates()) this.publishUpdate(u);
    });
    client.on('close', () => {
      if (this.connected) {
        this.connected = false;
        this.d.log.warn('mqtt disconnected', { broker: this.broker });
        this.d.onConnection?.(false);
      }
    });
    client.on('error', (err) => this.d.log.warn('mqtt error', { broker: this.broker, err: err.message }));
  }

  private onPublish(packet: IPublishPacket, done: (err?: Error) => void): void {
    const topic = packet.topic;
    if (topic === siteTopic(this.ref, 'cancel')) {
      this.onCancelMessage(packet, done);
      return;
    }
    if (topic !== siteTopic(this.ref, 'job')) {
      done();
      return;
    }
    const decoded = decodePayload(jobRequest, packet.payload as Buffer);
    let reason: string | undefined;
    if (!decoded.ok) reason = decoded.error;
    else if (decoded.value.platform_id !== this.ref.platform_id || decoded.value.site_id !== this.ref.site_id) {
      reason = `job for ${decoded.value.platform_id}/${decoded.value.site_id} arrived on this site's topic`;
    }
    if (reason || !decoded.ok) {
      this.d.log.warn('malformed job message dropped', { topic, reason });
      const ids = decodePayload(jobIds, packet.payload as Buffer);
      this.d.onMalformed(reason ?? 'invalid', ids.ok && decoded.ok === false ? ids.value : undefined);
      done();
      return;
    }
    this.d.onJob(decoded.value).then(
      () => done(),
      (err: unknown) => {
        // Not on disk: no PUBACK; drop the connection so the broker delivers it again.
        this.d.log.error('could not store a job; not acknowledging it', { err: (err as Error).message, execution_id: decoded.value.execution_id });
        done(err as Error);
        this.stayOnce = true;
        this.client?.stream?.destroy();
      },
    );
  }

  private onCancelMessage(packet: IPublishPacket, done: (err?: Error) => void): void {
    const decoded = decodePayload(jobCancel, packet.payload as Buffer);
    const wrongSite = decoded.ok && (decoded.value.platform_id !== this.ref.platform_id || decoded.value.site_id !== this.ref.site_id);
    if (!decoded.ok || wrongSite || !this.d.onCancel) {
      this.d.log.warn('malformed cancel message dropped', { topic: packet.topic, reason: decoded.ok ? 'cancel for another site' : decoded.error });
      done();
      return;
    }
    const c = decoded.value;
    this.d.onCancel(c).then(
      () => done(),
      (err: unknown) => {
        // Not on disk: no PUBACK; reconnect so the broker delivers it again.
        this.d.log.error('could not store a cancel; not acknowledging it', { err: (err as Error).message, execution_id: c.execution_id });
        done(err as Error);
        this.stayOnce = true;
        this.client?.stream?.destroy();
      },
    );
  }

  publishUpdate(u: ExecutionUpdate): void {
    const key = `${u.execution_id}#${u.seq}`;
    const client = this.client;
    if (!client || this.inFlight.has(key)) return;
    this.inFlight.add(key);
    client.publish(siteTopic(this.ref, 'update'), encodePayload(executionUpdate, u), { qos: 1 }, (err) => {
      this.inFlight.delete(key);
      if (err) this.d.log.warn('update not delivered yet', { execution_id: u.execution_id, seq: u.seq, err: err.message });
      else this.d.onUpdateAcked(u);
    });
  }

  /** Resolves when the broker has the message (PUBACK); mqtt.js keeps it across reconnects. */
  publishInbound(m: InboundSms): Promise<void> {
    const client = this.client;
    if (!client) return Promise.reject(new Error('mqtt not started'));
    return new Promise((resolve, reject) =>
      client.publish(siteTopic(this.ref, 'inbound'), encodePayload(inboundSms, m), { qos: 1 }, (err) => {
        if (err) {
          this.d.log.warn('inbound SMS not delivered yet', { err: err.message });
          reject(err);
        } else resolve();
      }),
    );
  }

  /** Retained status; only sent when something besides the time changed (or forced). */
  publishStatus(s: AgentStatus, force = false): void {
    const same = this.lastStatus && JSON.stringify({ ...this.lastStatus, at: '' }) === JSON.stringify({ ...s, at: '' });
    this.lastStatus = s;
    if ((same && !force) || !this.client?.connected) return;
    this.client.publish(siteTopic(this.ref, 'status'), encodePayload(agentStatus, s), { qos: 1, retain: true }, (err) => {
      if (err) this.d.log.debug('status not published', { err: err.message });
    });
  }

  /** Publish `offline` (retained) and disconnect, waiting for in-flight messages. */
  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    if (client.connected) {
      const off: AgentStatus = { v: 1, type: 'status', ...this.ref, state: 'offline', at: new Date().toISOString() };
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 2000);
        client.publish(siteTopic(this.ref, 'status'), encodePayload(agentStatus, off), { qos: 1, retain: true }, () => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        client.end(true);
        resolve();
      }, 2000);
      client.end(false, {}, () => {
        clearTimeout(t);
        resolve();
      });
    });
    this.connected = false;
  }
}
