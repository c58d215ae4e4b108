// The hub's own metrics on its own registry: cycle duration, Prometheus queries, jobs by state,
// executions by state, MQTT up, degraded cycles, handler errors, refused MQTT payloads, leadership (leader, epoch, stale-epoch refusals),
// per-modem state, parts and cost today from the sites' live statuses (issue 19). Point-in-time values are read
// at scrape time in collect().
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { JobState } from './model/job.js';

export interface HubMetricSources {
  jobStates(): Map<string, Map<JobState, number>>;
  mqttUp(): boolean;
  /** Sites online per platform. */
  sitesOnline(): Map<string, number>;
  prometheusUp(): boolean;
  /** Open incidents per platform. */
  incidentsOpen(): Map<string, number>;
  /** Queued SMS per platform and site. */
  smsQueued(): Array<{ platform_id: string; site_id: string; n: number }>;
  /** Issue 19: every modem of every site from the live statuses (v1: one modem, id ''). */
  modems?(): ModemSample[];
  /** This hub's leadership (hub/leader/elector.ts); absent: one hub that always leads. */
  leadership?(): { leader: boolean; epoch: number };
}

export interface ModemSample {
  platform_id: string;
  site_id: string;
  modem: string;
  /** The site's agent is online and reports this modem up. */
  up: boolean;
  parts_today?: number | undefined;
  cost_today?: number | undefined;
  currency?: string | undefined;
}

/** Carrier awareness (issue 19): per-modem gauges read from the live statuses at scrape time. */
function modemGauges(registry: Registry, sources: HubMetricSources): void {
  const modems = () => sources.modems?.() ?? [];
  new Gauge({
    name: 'gsmjobs_hub_modem_up',
    help: '1 when the site\'s agent is online and reports the modem up, 0 otherwise (from its last status).',
    labelNames: ['platform_id', 'site_id', 'modem'],
    registers: [registry],
    collect() {
      this.reset();
      for (const m of modems()) this.set({ platform_id: m.platform_id, site_id: m.site_id, modem: m.modem }, m.up ? 1 : 0);
    },
  });
  new Gauge({
    name: 'gsmjobs_hub_site_sms_parts_today',
    help: 'SMS parts a modem sent since the agent\'s local midnight, as its last status says (status v2).',
    labelNames: ['platform_id', 'site_id', 'modem'],
    registers: [registry],
    collect() {
      this.reset();
      for (const m of modems()) if (m.parts_today !== undefined) this.set({ platform_id: m.platform_id, site_id: m.site_id, modem: m.modem }, m.parts_today);
    },
  });
  new Gauge({
    name: 'gsmjobs_hub_site_sms_cost_today',
    help: 'Cost of those parts at the price configured on the agent, in its currency (status v2).',
    labelNames: ['platform_id', 'site_id', 'modem', 'currency'],
    registers: [registry],
    collect() {
      this.reset();
      for (const m of modems()) if (m.cost_today !== undefined) this.set({ platform_id: m.platform_id, site_id: m.site_id, modem: m.modem, currency: m.currency ?? '' }, m.cost_today);
    },
  });
}

export function createHubMetrics(registry: Registry, sources: HubMetricSources) {
  const cycleDuration = new Histogram({
    name: 'gsmjobs_hub_poll_cycle_duration_seconds',
    help: 'Duration of one polling and evaluation cycle.',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const queries = new Counter({
    name: 'gsmjobs_hub_prometheus_queries_total',
    help: 'Prometheus queries made, by result.',
    labelNames: ['result'],
    registers: [registry],
  });
  const degraded = new Counter({
    name: 'gsmjobs_hub_degraded_cycles_total',
    help: 'Cycles in which some jobs could not be evaluated because Prometheus failed.',
    registers: [registry],
  });
  const cycleFailures = new Counter({
    name: 'gsmjobs_hub_poll_cycle_failures_total',
    help: 'Poll cycles that failed with an error (a fault of the hub, not a degraded Prometheus); /healthz fails after 2 in a row.',
    registers: [registry],
  });
  const fired = new Counter({ name: 'gsmjobs_hub_jobs_fired_total', help: 'Jobs that fired.', labelNames: ['platform_id'], registers: [registry] });
  const executions = new Counter({
    name: 'gsmjobs_hub_execution_transitions_total',
    help: 'Execution state changes, by platform and state reached.',
    labelNames: ['platform_id', 'state'],
    registers: [registry],
  });
  const mqttRejected = new Counter({
    name: 'gsmjobs_hub_mqtt_rejected_messages_total',
    help: 'Site MQTT payloads refused and dropped, by platform (unknown: not defined), topic kind (update, status, inbound) and reason (too_large, malformed, schema, site_mismatch, unknown_site, unknown_execution, stale, retained).',
    labelNames: ['platform_id', 'kind', 'reason'],
    registers: [registry],
  });
  const handlerErrors = new Counter({
    name: 'gsmjobs_hub_mqtt_handler_errors_total',
    help: 'MQTT messages whose handler failed, by topic kind.',
    labelNames: ['kind'],
    registers: [registry],
  });
  new Gauge({
    name: 'gsmjobs_hub_jobs',
    help: 'Enabled jobs by platform and evaluation state.',
    labelNames: ['platform_id', 'state'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [platform, states] of sources.jobStates()) for (const [state, n] of states) this.set({ platform_id: platform, state }, n);
    },
  });
  new Gauge({
    name: 'gsmjobs_hub_sites_online',
    help: 'Sites whose agent reports online, by platform.',
    labelNames: ['platform_id'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [platform, n] of sources.sitesOnline()) this.set({ platform_id: platform }, n);
    },
  });
  new Gauge({
    name: 'gsmjobs_hub_mqtt_up',
    help: '1 when the hub is connected to its MQTT broker.',
    registers: [registry],
    collect() {
      this.set(sources.mqttUp() ? 1 : 0);
    },
  });
  new Gauge({
    name: 'gsmjobs_hub_prometheus_up',
    help: '1 when the last cycle reached Prometheus for every platform.',
    registers: [registry],
    collect() {
      this.set(sources.prometheusUp() ? 1 : 0);
    },
  });
  const remediations = new Counter({
    name: 'gsmjobs_hub_remediations_total',
    help: 'Finished playbook executions by outcome (recovered, not_recovered, unknown, escalated, cancelled; none: no verify step, nothing judged).',
    labelNames: ['platform_id', 'outcome'],
    registers: [registry],
  });
  const ttr = new Histogram({
    name: 'gsmjobs_hub_remediation_ttr_seconds',
    help: 'Time to recovery of recovered executions: from the last command to the first good sample.',
    labelNames: ['platform_id'],
    buckets: [15, 30, 60, 120, 180, 300, 600, 900, 1800, 3600],
    registers: [registry],
  });
  const webhookDeliveries = new Counter({
    name: 'gsmjobs_hub_webhook_deliveries_total',
    help: 'Webhook delivery attempts by result (delivered, retrying, failed).',
    labelNames: ['platform_id', 'status'],
    registers: [registry],
  });
  new Gauge({
    name: 'gsmjobs_hub_incidents_open',
    help: 'Open correlated-failure incidents (executions held until released), by platform.',
    labelNames: ['platform_id'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [platform, n] of sources.incidentsOpen()) this.set({ platform_id: platform }, n);
    },
  });
  new Gauge({
    name: 'gsmjobs_hub_sms_queue',
    help: 'SMS waiting for their site budget, by platform and site.',
    labelNames: ['platform_id', 'site_id'],
    registers: [registry],
    collect() {
      this.reset();
      for (const q of sources.smsQueued()) this.set({ platform_id: q.platform_id, site_id: q.site_id }, q.n);
    },
  });
  new Gauge({
    name: 'gsmjobs_hub_leader',
    help: '1 while this hub leads (runs the poller, re-sends, playbooks and webhooks), 0 while it follows.',
    registers: [registry],
    collect() {
      this.set(sources.leadership ? (sources.leadership().leader ? 1 : 0) : 1);
    },
  });
  new Gauge({
    name: 'gsmjobs_hub_leadership_epoch',
    help: 'The fencing epoch: of this hub\'s lease while it leads, the last one seen in the store while it follows.',
    registers: [registry],
    collect() {
      this.set(sources.leadership?.().epoch ?? 0);
    },
  });
  modemGauges(registry, sources);
  const leadershipChanges = new Counter({
    name: 'gsmjobs_hub_leadership_changes_total',
    help: 'Times this hub started (to=leader) or stopped (to=follower) leading.',
    labelNames: ['to'],
    registers: [registry],
  });
  const staleEpochRefusals = new Counter({
    name: 'gsmjobs_hub_stale_epoch_refusals_total',
    help: 'Writes of this hub refused by the store because another hub leads now (fencing).',
    registers: [registry],
  });
  return { leadershipChanges, staleEpochRefusals, cycleDuration, queries, degraded, cycleFailures, fired, executions, handlerErrors, mqttRejected, remediations, ttr, webhookDeliveries };
}
export type HubMetrics = ReturnType<typeof createHubMetrics>;
