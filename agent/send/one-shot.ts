// `agent send`: one SMS through the service's own engine, as a one-shot outbox in the data
// directory (<data_dir>/send-outbox.jsonl): the same Outbox (journaled tries, the persistent
// concatenation-reference counter, the `uncertain` rule) and the same Sender (retry
// classification, backoff, max tries) as `agent run`. Inbound SMS found on the SIM go to the
// inbound spool for the service to publish. A state that cannot heal (no port, PIN missing or
// refused, PUK, no SIM) ends it at once with one message and no modem resets.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { JobRequest } from '#common/contract/index.js';
import { type Clock, sleep, systemClock } from '#common/clock.js';
import type { Logger } from '#common/log.js';
import type { AgentConfig } from '../config.js';
import type { ModemDriver } from '../modem/driver.js';
import type { ModemSetupError } from '../modem/setup.js';
import { givePathToDirOwner } from '../fs-owner.js';
import { createModemStack } from '../modem/stack.js';
import { refCounter } from '../outbox/concat-ref.js';
import { Journal } from '../outbox/journal.js';
import { Outbox } from '../outbox/outbox.js';
import { ModemSet } from '../outbox/choose.js';
import { Sender, unsendable } from '../outbox/sender.js';
import type { JournalRecord } from '../outbox/state.js';
import type { SerialBinding } from '../serial/port.js';
import { outboxConfigOf, pacerOf, senderConfigOf } from './engine-config.js';
import { InboundSpool } from './inbound-spool.js';
import { runningService } from './lock.js';
import { type Said, both, texts } from './texts.js';

/** 0 sent, 1 not sent, 2 the message itself is wrong, 3 uncertain. */
export type SendExit = 0 | 1 | 2 | 3;

export interface SendRequest {
  to: string;
  text: string;
  /** Wait this long for the status report (0: do not ask for one). */
  waitS: number;
}

export interface SendDeps {
  config: AgentConfig;
  binding: SerialBinding;
  log: Logger;
  out(text: string): void;
  clock?: Clock;
  /** The port came from --port (not the config): a fix names the flag, not modem.port. */
  portFromFlag?: boolean;
}

type Readiness = 'up' | 'timeout' | ModemSetupError;

async function waitReady(driver: ModemDriver, deadline: number, clock: Clock): Promise<Readiness> {
  for (;;) {
    if (driver.isUp) return 'up';
    if (driver.blocked) return driver.blocked;
    if (clock.now() >= deadline) return 'timeout';
    await sleep(clock, 100);
  }
}

export async function sendOnce(req: SendRequest, d: SendDeps): Promise<SendExit> {
  const c = d.config;
  const clock = d.clock ?? systemClock;
  const say = (s: Said) => d.out(both(d.portFromFlag ? { en: s.en.replaceAll('modem.port', '--port'), ru: s.ru.replaceAll('modem.port', '--port') } : s));
  const svc = runningService(c.data_dir);
  if (svc) {
    say(texts.serviceRunning(svc));
    return 1;
  }
  const problem = unsendable(req, c.send.max_parts);
  if (problem) {
    say(texts.badMessage(problem.message));
    return 2;
  }
  const journal = new Journal<JournalRecord>(join(c.data_dir, 'send-outbox.jsonl'));
  const outbox = new Outbox(journal, outboxConfigOf(c), { clock, log: d.log.child('outbox'), takeRef: refCounter(c.data_dir) });
  // No hub hears these updates: count them as acknowledged, so finished sends can be compacted away.
  outbox.onUpdate = (u) => outbox.ackUpdate(u.execution_id, u.seq);
  const now = clock.now();
  const id = `send-${randomUUID()}`;
  const job: JobRequest = {
    v: 1,
    type: 'job',
    execution_id: id,
    job_id: 'agent-send',
    platform_id: c.platform_id,
    site_id: c.site_id,
    to: req.to,
    text: req.text,
    created_at: new Date(now).toISOString(),
    expires_at: new Date(now + 15 * 60_000).toISOString(),
    attempt: 1,
    status_report: req.waitS > 0,
  };
  try {
    await outbox.load();
    await outbox.accept(job);
  } catch (err) {
    say(texts.dataDir(c.data_dir, (err as NodeJS.ErrnoException).code ?? (err as Error).message));
    await journal.close().catch(() => undefined);
    return 1;
  }
  const spool = new InboundSpool(c.data_dir);
  const stack = createModemStack({
    config: c,
    log: d.log,
    binding: d.binding,
    ...(d.clock ? { clock: d.clock } : {}),
    onInbound: (m) => {
      spool.append(m, new Date(clock.now()));
      say(texts.inboundKept(m.from));
    },
    onStatusReport: (r) => void outbox.report(r.messageRef, r.status, r.outcome, r.dischargeAt, stack.id).catch((err: unknown) => d.log.warn('status report not stored', { err: (err as Error).message })),
  });
  const sender = new Sender({ outbox, modems: ModemSet.single(stack.driver, stack.id), pacer: pacerOf(c), config: senderConfigOf(c), log: d.log.child('sender'), clock });
  const readyWithinS = stack.modem.registration_timeout_s + 30;
  stack.driver.start();
  try {
    for (;;) {
      const rec = outbox.get(id);
      if (!rec || rec.state !== 'queued') break;
      const wait = rec.nextTryAt - clock.now();
      if (wait > 0) await sleep(clock, wait);
      const ready = await waitReady(stack.driver, clock.now() + readyWithinS * 1000, clock);
      if (ready !== 'up') {
        const s = ready === 'timeout' ? texts.notReady(stack.driver.status.error ?? stack.driver.status.state, readyWithinS) : texts.blocked(ready);
        await outbox.end(id, 'failed', { code: 'modem_down', message: s.en, retryable: false });
        say(s);
        return 1;
      }
      const r = await sender.sendOne(rec);
      const fresh = outbox.get(id);
      if (r === 'retry' && fresh) say(texts.retrying(fresh.lastError?.message ?? 'unknown', fresh.tries, c.send.max_tries, Math.max(0, Math.round((fresh.nextTryAt - clock.now()) / 100) / 10)));
    }
    await sender.settled();
    const rec = outbox.get(id);
    const state = rec?.state;
    if (state === 'sent' && rec) {
      say(texts.sent(rec.parts, req.to, rec.mrs.map((m) => m ?? 0)));
      if (req.waitS > 0) return await waitReport(outbox, id, req.waitS, clock, say);
      return 0;
    }
    if (state === 'uncertain') {
      say(texts.uncertain(rec?.lastError?.message ?? 'no answer from the modem'));
      return 3;
    }
    say(texts.failed(rec?.lastError?.message ?? state ?? 'unknown'));
    return 1;
  } finally {
    await sender.settled();
    await withTimeout(stack.driver.readsSettled(), 5000);
    await stack.driver.stop();
    await outbox.housekeeping().catch(() => undefined);
    await journal.close().catch(() => undefined);
    givePathToDirOwner(journal.path, c.data_dir);
  }
}

async function waitReport(outbox: Outbox, id: string, waitS: number, clock: Clock, say: (s: Said) => void): Promise<SendExit> {
  const deadline = clock.now() + waitS * 1000;
  while (clock.now() < deadline) {
    const rec = outbox.get(id);
    if (rec && (rec.state === 'delivered' || rec.state === 'not_delivered')) {
      say(texts.report(rec.state, rec.reports.find((s) => s != null && s >= 0x40) ?? rec.reports.find((s) => s != null) ?? 0));
      return rec.state === 'delivered' ? 0 : 1;
    }
    await sleep(clock, 100);
  }
  say(texts.noReport(waitS));
  return 0;
}

function withTimeout(p: Promise<void>, ms: number): Promise<void> {
  let t: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([p.catch(() => undefined), new Promise<void>((r) => (t = setTimeout(r, ms)))]).finally(() => clearTimeout(t));
}
