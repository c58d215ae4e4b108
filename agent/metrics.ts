// The agent's Prometheus metrics on its own registry. Point-in-time values (modem, outbox,
// MQTT) are read at scrape time in collect(); counters and the AT latency histogram are fed by
// the composition root. Every modem metric has a `modem` label (issue 19: several modems per
// agent; a lone `modem:` config is modem="modem").
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { ModemStatus, RegistrationState } from '#common/contract/index.js';
import { SIM_STATES, type SimInfo } from './modem/setup.js';

/** One modem as the metrics read it. */
export interface ModemMetricSource {
  id: string;
  status: ModemStatus;
  sim?: SimInfo;
  smsDrops?: Readonly<Record<string, number>> | undefined;
  /** Parts-per-hour budget (absent: none), parts in the last hour and today, today's cost. */
  budget?: number | undefined;
  partsLastHour?: number;
  partsToday?: number;
  costToday?: number | undefined;
  currency?: string | undefined;
}

export interface MetricSources {
  /** Every modem (issue 19); without it, the one modem of modem()/sim()/smsDrops(). */
  modems?(): ModemMetricSource[];
  modem?(): ModemStatus;
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
  const modems = (): ModemMetricSource[] => {
    if (src.modems) return src.modems();
    const drops = src.smsDrops?.();
    return [{ id: 'modem', status: src.modem?.() ?? { state: 'init' }, sim: src.sim?.() ?? { state: 'unknown' }, ...(drops ? { smsDrops: drops } : {}) }];
  };
  const journal = () => src.journal?.() ?? { writable: true, writeErrors: 0, skipped: 0 };
  new Counter({
    name: `${p}sms_parts_dropped_total`,
    help: 'Inbound SMS parts or messages that did not reassemble normally: invalid_seq (UDH seq 0 or beyond the total, handed on alone), duplicate, evicted (reassembly bounds), expired (parts missing after the wait)',
    labelNames: ['reason', 'modem'],
    registers: [registry],
    collect() {
      this.reset();
      for (const m of modems()) for (const [reason, n] of Object.entries(m.smsDrops ?? {})) this.inc({ reason, modem: m.id }, n);
    },
  });
  new Gauge({
    name: `${p}modem_up`,
    help: '1 when the modem is initialised and ready to send, else 0',
    labelNames: ['modem'],
    registers: [registry],
    collect() {
      this.reset();
      for (const m of modems()) this.set({ modem: m.id }, m.status.state === 'up' ? 1 : 0);
    },
  });
  new Gauge({
    name: `${p}modem_registration`,
    help: 'Network registration state of the modem (1 for the current state)',
    labelNames: ['state', 'modem'],
    registers: [registry],
    collect() {
      this.reset();
      for (const m of modems()) {
        const cur = m.status.registration ?? 'unknown';
        for (const s of REGISTRATIONS) this.set({ state: s, modem: m.id }, s === cur ? 1 : 0);
      }
    },
  });
  new Gauge({
    name: `${p}modem_signal_dbm`,
    help: 'Received signal strength in dBm (AT+CSQ); absent when unknown',
    labelNames: ['modem'],
    registers: [registry],
    collect() {
      this.reset();
      for (const m of modems()) {
        const v = m.status.signal_dbm;
        if (typeof v === 'number') this.set({ modem: m.id }, v);
      }
    },
  });
  new Gauge({
    name: `${p}modem_info`,
    help: 'Modem identity and network operator (value 1)',
    labelNames: ['manufacturer', 'model', 'revision', 'operator', 'modem'],
    registers: [registry],
    collect() {
      this.reset();
      for (const { id, status: m } of modems()) this.set({ manufacturer: m.manufacturer ?? '', model: m.model ?? '', revision: m.revision ?? '', operator: m.operator ?? '', modem: id }, 1);
    },
  });
  new Gauge({
    name: `${p}sim_state`,
    help: 'SIM state as last seen (1 for the current state): ready, pin_required (none configured), pin_refused, pin_last_try (kept), puk_required, absent, unknown',
    labelNames: ['state', 'modem'],
    registers: [registry],
    collect() {
      this.reset();
      for (const m of modems()) {
        const cur = m.sim?.state ?? 'unknown';
        for (const s of SIM_STATES) this.set({ state: s, modem: m.id }, s === cur ? 1 : 0);
      }
    },
  });
  new Gauge({
    name: `${p}sim_pin_tries_left`,
    help: 'SIM PIN tries left where the modem tells (AT+CPINR, AT+SPIC, AT^CPIN); absent when unknown',
    labelNames: ['modem'],
    registers: [registry],
    collect() {
      this.reset();
      for (const m of modems()) {
        const t = m.sim?.triesLeft;
        if (typeof t === 'number') this.set({ modem: m.id }, t);
      }
    },
  });
  // Issue 19: per-modem SMS budget and the daily cost estimate.
  const perModem = (name: string, help: string, read: (m: ModemMetricSource) => number | undefined, extra?: (m: ModemMetricSource) => Record<string, string>) =>
    new Gauge({
      name,
      help,
      labelNames: extra ? ['modem', 'currency'] : ['modem'],
      registers: [registry],
      collect() {
        this.reset();
        for (const m of modems()) {
          const v = read(m);
          if (v !== undefined) this.set({ modem: m.id, ...(extra?.(m) ?? {}) }, v);
        }
      },
    });
  perModem(`${p}modem_budget_parts_per_hour`, 'SMS parts the modem may send per hour (modems[].parts_per_hour); absent without a budget', (m) => m.budget);
  perModem(`${p}modem_parts_last_hour`, 'SMS parts the modem sent in the last hour (counted since the agent started)', (m) => m.partsLastHour);
  perModem(`${p}modem_parts_today`, 'SMS parts the modem sent since local midnight (counted since the agent started)', (m) => m.partsToday);
  perModem(`${p}modem_cost_today`, 'Estimated cost of the parts sent today: parts x modems[].price_per_part; absent without a price', (m) => m.costToday, (m) => ({ currency: m.currency ?? '' }));
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
    smsParts: new Counter({ name: `${p}sms_parts_total`, help: 'SMS parts handed to the modem, by result', labelNames: ['result', 'modem'], registers: [registry] }),
    smsMessages: new Counter({ name: `${p}sms_messages_total`, help: 'SMS send attempts of whole messages, by result', labelNames: ['result', 'modem'], registers: [registry] }),
    statusReports: new Counter({ name: `${p}status_reports_total`, help: 'SMS status reports received, by outcome', labelNames: ['outcome', 'modem'], registers: [registry] }),
    inbound: new Counter({ name: `${p}inbound_sms_total`, help: 'Inbound SMS read from the modem', labelNames: ['modem'], registers: [registry] }),
    malformed: new Counter({ name: `${p}mqtt_malformed_messages_total`, help: 'MQTT job messages refused as malformed', registers: [registry] }),
    cancels: new Counter({ name: `${p}job_cancels_total`, help: 'Cancels from the hub (issue 19), by result: cancelled (held job stopped), too_late (already handed to a modem), remembered (job not seen yet), ignored (a newer attempt is held)', labelNames: ['result'], registers: [registry] }),
    recoveries: new Counter({ name: `${p}modem_recoveries_total`, help: 'Recovery steps taken because the modem stopped answering', labelNames: ['action', 'modem'], registers: [registry] }),
    atLatency: new Histogram({
      name: `${p}at_command_duration_seconds`,
      help: 'Time from sending an AT command to its final result',
      labelNames: ['command', 'result', 'modem'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    }),
    lastSuccess: new Gauge({ name: `${p}last_success_timestamp_seconds`, help: 'Unix time of the last SMS the modem accepted', labelNames: ['modem'], registers: [registry] }),
  };
}

export type AgentMetrics = ReturnType<typeof createAgentMetrics>;
