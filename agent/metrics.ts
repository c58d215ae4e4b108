// The agent's Prometheus metrics on its own registry. Point-in-time values (modem, outbox,
// MQTT) are read at scrape time in collect(); counters and the AT latency histogram are fed by
// the composition root.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { ModemStatus, RegistrationState } from '#common/contract/index.js';
import { SIM_STATES, type SimInfo } from './modem/setup.js';

export interface MetricSources {
  modem(): ModemStatus;
  outboxDepth(): number;
  journalBytes(): number;
  journal?(): { writable: boolean; writeErrors: number; skipped: number };
  mqttConnected(): boolean;
  /** The broker connected to or being tried, without credentials (issue 20: several brokers). */
  mqttBroker?(): string;
  /** The SIM as last seen (state, PIN tries left). */
  sim?(): SimInfo;
  /** Inbound SMS parts that did not reassemble normally, by reason (issue 18); undefined before the modem exists. */
  smsDrops?(): Readonly<Record<string, number>> | undefined;
}

const REGISTRATIONS: RegistrationState[] = ['home', 'roaming', 'searching', 'denied', 'not_registered', 'unknown'];

export function createAgentMetrics(registry: Registry, src: MetricSources) {
  const p = 'gsmjobs_agent_';
  const journal = () => src.journal?.() ?? { writable: true, writeErrors: 0, skipped: 0 };
  new Counter({
    name: `${p}sms_parts_dropped_total`,
    help: 'Inbound SMS parts or messages that did not reassemble normally: invalid_seq (UDH seq 0 or beyond the total, handed on alone), duplicate, evicted (reassembly bounds), expired (parts missing after the wait)',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      const drops = src.smsDrops?.();
      if (!drops) return;
      this.reset();
      for (const [reason, n] of Object.entries(drops)) this.inc({ reason }, n);
    },
  });
  new Gauge({
    name: `${p}modem_up`,
    help: '1 when the modem is initialised and ready to send, else 0',
    registers: [registry],
    collect() {
      this.set(src.modem().state === 'up' ? 1 : 0);
    },
  });
  new Gauge({
    name: `${p}modem_registration`,
    help: 'Network registration state of the modem (1 for the current state)',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const cur = src.modem().registration ?? 'unknown';
      for (const s of REGISTRATIONS) this.set({ state: s }, s === cur ? 1 : 0);
    },
  });
  new Gauge({
    name: `${p}modem_signal_dbm`,
    help: 'Received signal strength in dBm (AT+CSQ); absent when unknown',
    registers: [registry],
    collect() {
      this.reset();
      const v = src.modem().signal_dbm;
      if (typeof v === 'number') this.set(v);
    },
  });
  new Gauge({
    name: `${p}modem_info`,
    help: 'Modem identity and network operator (value 1)',
    labelNames: ['manufacturer', 'model', 'revision', 'operator'],
    registers: [registry],
    collect() {
      this.reset();
      const m = src.modem();
      this.set({ manufacturer: m.manufacturer ?? '', model: m.model ?? '', revision: m.revision ?? '', operator: m.operator ?? '' }, 1);
    },
  });
  new Gauge({
    name: `${p}sim_state`,
    help: 'SIM state as last seen (1 for the current state): ready, pin_required (none configured), pin_refused, pin_last_try (kept), puk_required, absent, unknown',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const cur = src.sim?.().state ?? 'unknown';
      for (const s of SIM_STATES) this.set({ state: s }, s === cur ? 1 : 0);
    },
  });
  new Gauge({
    name: `${p}sim_pin_tries_left`,
    help: 'SIM PIN tries left where the modem tells (AT+CPINR, AT+SPIC, AT^CPIN); absent when unknown',
    registers: [registry],
    collect() {
      this.reset();
      const t = src.sim?.().triesLeft;
      if (typeof t === 'number') this.set(t);
    },
  });
  new Gauge({
    name: `${p}outbox_depth`,
    help: 'Jobs waiting to be sent (queued or being sent)',
    registers: [registry],
    collect() {
      this.set(src.outboxDepth());
    },
  });
  new Gauge({
    name: `${p}journal_bytes`,
    help: 'Size of the outbox journal file in bytes',
    registers: [registry],
    collect() {
      this.set(src.journalBytes());
    },
  });
  new Gauge({
    name: `${p}journal_writable`,
    help: '1 while the outbox journal can be written; 0 after a failed write (full disk, I/O error) until writing works again: no new job is accepted meanwhile',
    registers: [registry],
    collect() {
      this.set(journal().writable ? 1 : 0);
    },
  });
  // Counters fed from the journal's own tallies at scrape time.
  const tally = (name: string, help: string, read: () => number) => {
    let seen = 0;
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        const v = read();
        if (v > seen) this.inc(v - seen);
        seen = v;
      },
    });
  };
  tally(`${p}journal_write_errors_total`, 'Outbox journal writes or flushes that failed (ENOSPC, EIO); the records were not stored', () => journal().writeErrors);
  tally(`${p}journal_records_skipped_total`, 'Damaged or torn outbox journal records skipped when loading (named in the log)', () => journal().skipped);
  new Gauge({
    name: `${p}mqtt_connected`,
    help: '1 when connected to the MQTT broker',
    registers: [registry],
    collect() {
      this.set(src.mqttConnected() ? 1 : 0);
    },
  });
  new Gauge({
    name: `${p}mqtt_broker_info`,
    help: 'The MQTT broker in use (url without credentials): 1 while connected to it, 0 while trying it',
    labelNames: ['url'],
    registers: [registry],
    collect() {
      this.reset();
      const url = src.mqttBroker?.();
      if (url) this.set({ url }, src.mqttConnected() ? 1 : 0);
    },
  });
  return {
    smsParts: new Counter({ name: `${p}sms_parts_total`, help: 'SMS parts handed to the modem, by result', labelNames: ['result'], registers: [registry] }),
    smsMessages: new Counter({ name: `${p}sms_messages_total`, help: 'SMS send attempts of whole messages, by result', labelNames: ['result'], registers: [registry] }),
    statusReports: new Counter({ name: `${p}status_reports_total`, help: 'SMS status reports received, by outcome', labelNames: ['outcome'], registers: [registry] }),
    inbound: new Counter({ name: `${p}inbound_sms_total`, help: 'Inbound SMS read from the modem', registers: [registry] }),
    malformed: new Counter({ name: `${p}mqtt_malformed_messages_total`, help: 'MQTT job messages refused as malformed', registers: [registry] }),
    cancels: new Counter({ name: `${p}job_cancels_total`, help: 'Cancels from the hub (issue 19), by result: cancelled (held job stopped), too_late (already handed to a modem), remembered (job not seen yet), ignored (a newer attempt is held)', labelNames: ['result'], registers: [registry] }),
    recoveries: new Counter({ name: `${p}modem_recoveries_total`, help: 'Recovery steps taken because the modem stopped answering', labelNames: ['action'], registers: [registry] }),
    atLatency: new Histogram({
      name: `${p}at_command_duration_seconds`,
      help: 'Time from sending an AT command to its final result',
      labelNames: ['command', 'result'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    }),
    lastSuccess: new Gauge({ name: `${p}last_success_timestamp_seconds`, help: 'Unix time of the last SMS the modem accepted', registers: [registry] }),
  };
}

export type AgentMetrics = ReturnType<typeof createAgentMetrics>;
