// The outbox and sender settings from the config, shared by the service (app.ts) and
// `agent send` (one-shot.ts), so both retry, back off and pace alike.
import type { AgentConfig } from '../config.js';
import type { OutboxConfig } from '../outbox/outbox.js';
import { Pacer } from '../outbox/pacing.js';
import type { SenderConfig } from '../outbox/sender.js';

export function outboxConfigOf(config: AgentConfig): OutboxConfig {
  const s = config.send;
  return {
    resendUncertain: s.resend_uncertain,
    maxTries: s.max_tries,
    retryBaseMs: s.retry_base_s * 1000,
    retryMaxMs: s.retry_max_s * 1000,
    reportWaitMs: s.report_wait_s * 1000,
    dedupRetentionMs: config.outbox.dedup_retention_s * 1000,
    compactBytes: config.outbox.compact_bytes,
  };
}

export function senderConfigOf(config: AgentConfig): SenderConfig {
  const s = config.send;
  return { maxParts: s.max_parts, maxTries: s.max_tries, resendUncertain: s.resend_uncertain, validityMinutes: s.validity_minutes };
}

export function pacerOf(config: AgentConfig): Pacer {
  return new Pacer(config.send.per_destination_interval_s * 1000, config.send.per_modem_interval_s * 1000);
}
