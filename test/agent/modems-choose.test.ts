// Issue 19, pure parts: which modem takes a message (eligibility, priority, health, budget),
// the per-modem usage count (hour budget, today's parts and cost), the `modems:` config (the old
// `modem:` as a one-modem list, both given = error, PIN files), per-modem pacing, status
// reports matched on the modem that sent the part, and the sender's failover before the PDU left.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type ExecutionUpdate, type JobRequest, examples } from '../../hub/common/contract/index.js';
import type { Clock } from '../../hub/common/clock.js';
import { silentLogger } from '../../hub/common/log.js';
import { AtCommandError, ModemDownError, UncertainSendError } from '../../agent/at/errors.js';
import { loadAgentConfig, modemsOf } from '../../agent/config.js';
import type { SendHooks } from '../../agent/modem/driver.js';
import { ModemUsage } from '../../agent/modem/usage.js';
import { type Candidate, ModemSet, type SmsPort, best, serves } from '../../agent/outbox/choose.js';
import { Journal } from '../../agent/outbox/journal.js';
import { Outbox } from '../../agent/outbox/outbox.js';
import { Pacer } from '../../agent/outbox/pacing.js';
import { Sender } from '../../agent/outbox/sender.js';
import type { JournalRecord } from '../../agent/outbox/state.js';
import type { SubmitPdu } from '../../agent/sms/submit.js';

const dirs: string[] = [];
const journals: Journal<JournalRecord>[] = [];
afterEach(async () => {
  for (const j of journals.splice(0)) await j.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'gsmjobs-modems-'));
  dirs.push(d);
  return d;
}

const cand = (id: string, extra: Partial<Candidate> = {}): Candidate => ({ id, priority: 0, up: true, registration: 'home', signal_dbm: -70, budgetLeft: Infinity, serves: true, ...extra });

describe('choosing a modem', () => {
  it('priority first, then registration, then signal, then budget left', () => {
    expect(best([cand('b', { priority: 1, signal_dbm: -50 }), cand('a', { signal_dbm: -100 })])?.id).toBe('a');
    expect(best([cand('a', { registration: 'roaming' }), cand('b')])?.id).toBe('b');
    expect(best([cand('a', { signal_dbm: -90 }), cand('b', { signal_dbm: -60 })])?.id).toBe('b');
    expect(best([cand('a', { budgetLeft: 3 }), cand('b', { budgetLeft: 10 })])?.id).toBe('b');
  });

  it('only eligible modems: up, serving the number, with budget left, not avoided', () => {
    expect(best([cand('a', { up: false }), cand('b', { priority: 5 })])?.id).toBe('b');
    expect(best([cand('a', { serves: false }), cand('b', { priority: 5 })])?.id).toBe('b');
    expect(best([cand('a', { budgetLeft: 0 }), cand('b', { priority: 5 })])?.id).toBe('b');
    expect(best([cand('a'), cand('b', { priority: 5 })], new Set(['a']))?.id).toBe('b');
    expect(best([cand('a', { up: false }), cand('b', { budgetLeft: 0 })])).toBeUndefined();
  });

  it('destinations are number prefixes, with or without "+"', () => {
    expect(serves({ destinations: ['+7916'] }, '+79161234567')).toBe(true);
    expect(serves({ destinations: ['7916'] }, '+79161234567')).toBe(true);
    expect(serves({ destinations: ['+7915'] }, '+79161234567')).toBe(false);
    expect(serves({}, '+12025550100')).toBe(true);
  });
});

describe('modem usage', () => {
  it('counts parts in a sliding hour against the budget, and today with its cost', () => {
    const t0 = Date.parse('2026-11-25T08:00:00Z');
    const u = new ModemUsage({ partsPerHour: 3, pricePerPart: 2.5, currency: 'RUB' });
    u.record(t0, 2);
    u.record(t0 + 60_000);
    expect(u.left(t0 + 60_000)).toBe(0);
    expect(u.freesAt(t0 + 60_000)).toBe(t0 + 3_600_000);
    expect(u.left(t0 + 3_600_001)).toBe(2);
    expect(u.partsToday(t0 + 3_600_001)).toBe(3);
    expect(u.costToday(t0 + 3_600_001)).toBe(7.5);
    expect(new ModemUsage().left(t0)).toBe(Infinity);
    expect(new ModemUsage().costToday(t0)).toBeUndefined();
  });
});

describe('modems: config', () => {
  const base = 'platform_id: p1\nsite_id: s1\n';
  function file(text: string): string {
    const f = join(tmp(), 'agent.yaml');
    writeFileSync(f, base + text);
    return f;
  }

  it('a lone modem: is one modem with id "modem"', () => {
    const c = loadAgentConfig(file('modem:\n  port: /dev/ttyUSB9\n'), {});
    expect(modemsOf(c).map((m) => [m.id, m.port, m.priority])).toEqual([['modem', '/dev/ttyUSB9', 0]]);
  });

  it('modems: in priority order (ties keep the file order), each with the per-modem timings and defaults', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'b.pin'), '4321\n');
    const c = loadAgentConfig(file(`modems:\n  - {id: a, port: /dev/a, priority: 2, send_timeout_s: 7}\n  - {id: b, port: /dev/b, priority: 1, pin_file: ${join(dir, 'b.pin')}, parts_per_hour: 30}\n  - {id: c, port: /dev/c, priority: 2}\n`), {});
    const ms = modemsOf(c);
    expect(ms.map((m) => m.id)).toEqual(['b', 'a', 'c']);
    expect(ms[1]?.send_timeout_s).toBe(7);
    expect(ms[2]?.send_timeout_s).toBe(60);
    expect(ms[0]?.pin).toBe('4321');
  });

  it('refuses modem: and modems: together, a duplicate id or port, and a bad id', () => {
    expect(() => loadAgentConfig(file('modem:\n  port: /dev/x\nmodems:\n  - {id: a, port: /dev/a}\n'), {})).toThrow(/modem and modems are both given/);
    expect(() => loadAgentConfig(file('modems:\n  - {id: a, port: /dev/a}\n'), { GSMJOBS_AGENT_MODEM__PORT: '/dev/y' })).toThrow(/both given/);
    expect(() => loadAgentConfig(file('modems:\n  - {id: a, port: /dev/a}\n  - {id: a, port: /dev/b}\n'), {})).toThrow(/used twice/);
    expect(() => loadAgentConfig(file('modems:\n  - {id: a, port: /dev/a}\n  - {id: b, port: /dev/a}\n'), {})).toThrow(/one port/);
    expect(() => loadAgentConfig(file('modems:\n  - {id: "A B", port: /dev/a}\n'), {})).toThrow(/modems\[0\]\.id/);
    expect(() => loadAgentConfig(file('modems:\n  - {id: a, port: /dev/a, pin_file: /nonexistent/pin}\n'), {})).toThrow(/cannot read/);
  });
});

describe('pacing per modem', () => {
  it('two modems are paced apart; one destination is paced across modems', () => {
    const p = new Pacer(5000, 1000);
    p.record('+7916', 0, 'a');
    expect(p.modemEarliest('a')).toBe(1000);
    expect(p.modemEarliest('b')).toBe(-Infinity);
    expect(p.earliest('+7917', 'b')).toBe(-Infinity);
    expect(p.earliest('+7916', 'b')).toBe(5000);
  });
});

// ---------------------------------------------------------------------------------------------
// The sender with two scripted modems.

let t = Date.parse('2026-11-25T08:30:00.000Z');
const clock: Clock = { now: () => t, setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) };

class FakeModem implements SmsPort {
  isUp = true;
  sent: string[] = [];
  /** What the next sends do: throw an error before the prompt, or after the PDU. */
  next: Array<'down' | 'refuse' | 'uncertain' | 'cms'> = [];
  mr = 0;
  async sendParts(parts: SubmitPdu[], hooks: SendHooks, startAt: number): Promise<number[]> {
    const refs: number[] = [];
    for (let i = startAt; i < parts.length; i++) {
      const what = this.next.shift();
      if (what === 'down') throw new ModemDownError('down', 'unplugged');
      if (what === 'refuse') {
        const e = new AtCommandError('AT+CMGS=20', 'cms', '+CMS ERROR: 500', 500);
        e.beforePrompt = true;
        throw e;
      }
      await hooks.beforePart(i);
      this.sent.push(parts[i]?.hex ?? '');
      if (what === 'uncertain') throw new UncertainSendError('AT+CMGS=20', new Error('no answer'));
      if (what === 'cms') throw new AtCommandError('AT+CMGS=20', 'cms', '+CMS ERROR: 38', 38);
      const mr = ++this.mr;
      await hooks.afterPart(i, mr);
      refs.push(mr);
    }
    return refs;
  }
}

async function rig(resend = false) {
  const journal = new Journal<JournalRecord>(join(tmp(), 'outbox.jsonl'));
  journals.push(journal);
  const outbox = new Outbox(journal, { resendUncertain: resend, maxTries: 3, retryBaseMs: 60_000, retryMaxMs: 600_000, reportWaitMs: 3_600_000, dedupRetentionMs: 86_400_000, compactBytes: 1 << 30 }, { clock });
  const updates: ExecutionUpdate[] = [];
  outbox.onUpdate = (u) => updates.push(u);
  await outbox.load();
  const a = new FakeModem();
  const b = new FakeModem();
  const modems = new ModemSet([
    { id: 'b', priority: 1, port: b },
    { id: 'a', priority: 0, port: a },
  ]);
  const sender = new Sender({ outbox, modems, pacer: new Pacer(0, 0), config: { maxParts: 6, maxTries: 3, resendUncertain: resend }, log: silentLogger, clock });
  return { outbox, updates, a, b, sender };
}

function job(n: number, extra: Partial<JobRequest> = {}): JobRequest {
  return { ...examples.exampleJob, execution_id: `m-${n}`, text: `message ${n}`, created_at: new Date(t - 1000).toISOString(), expires_at: new Date(t + 3_600_000).toISOString(), ...extra };
}

async function drain(r: Awaited<ReturnType<typeof rig>>): Promise<void> {
  for (let i = 0; i < 20; i++) {
    const next = r.sender.pick(clock.now());
    if ('waitMs' in next) return;
    await r.sender.sendOne(next.job, next.slot);
  }
}

describe('sender with two modems', () => {
  it('sends on the primary; updates and the try record name the modem; reports match per modem', async () => {
    const r = await rig();
    await r.outbox.accept(job(1));
    await drain(r);
    expect(r.a.sent).toHaveLength(1);
    expect(r.b.sent).toHaveLength(0);
    await r.sender.settled();
    expect(r.updates.find((u) => u.state === 'sent')?.modem).toBe('a');
    // The same TP-MR from the other modem is not this message's report.
    expect(await r.outbox.report(1, 0, 'delivered', undefined, 'b')).toBe(false);
    expect(r.outbox.stateOf('m-1')).toBe('sent');
    expect(await r.outbox.report(1, 0, 'delivered', undefined, 'a')).toBe(true);
    expect(r.outbox.stateOf('m-1')).toBe('delivered');
  });

  it('the primary down or refusing before the prompt: the message moves to the next modem at once (no backoff)', async () => {
    for (const how of ['down', 'refuse'] as const) {
      const r = await rig();
      await r.outbox.accept(job(2));
      r.a.next.push(how);
      await drain(r);
      expect(r.a.sent, how).toHaveLength(0);
      expect(r.b.sent, how).toHaveLength(1);
      expect(r.outbox.get('m-2')).toMatchObject({ state: 'sent', modem: 'b' });
    }
  });

  it('a +CMS ERROR after the PDU (the network refused it on this SIM): after the backoff the other modem tries', async () => {
    const r = await rig();
    await r.outbox.accept(job(7));
    r.a.next.push('cms');
    await drain(r);
    expect(r.outbox.get('m-7')).toMatchObject({ state: 'queued', lastError: { code: 'cms_error' } });
    expect(r.b.sent).toHaveLength(0);
    t += 600_000;
    await drain(r);
    expect(r.outbox.get('m-7')).toMatchObject({ state: 'sent', modem: 'b' });
  });

  it('when no other modem can take it, the usual backoff applies', async () => {
    const r = await rig();
    r.b.isUp = false;
    await r.outbox.accept(job(3));
    r.a.next.push('refuse');
    await drain(r);
    expect(r.outbox.get('m-3')).toMatchObject({ state: 'queued' });
    expect((r.outbox.get('m-3')?.nextTryAt ?? 0) - t).toBeGreaterThan(0);
  });

  it('uncertain on the primary is never sent through another modem unless the job says so', async () => {
    const r = await rig();
    await r.outbox.accept(job(4));
    await r.outbox.accept(job(5, { resend_if_uncertain: true }));
    r.a.next.push('uncertain', 'uncertain');
    await drain(r);
    expect(r.outbox.stateOf('m-4')).toBe('uncertain');
    expect(r.b.sent).toHaveLength(0);
    // m-5 was retried (backoff); once due it goes out (a is still preferred, and answers now).
    t += 600_000;
    await drain(r);
    expect(r.outbox.stateOf('m-5')).toBe('sent');
  });

  it('a multipart message stays on its modem: with that modem down the rest waits, never moves', async () => {
    const r = await rig();
    await r.outbox.accept(job(6, { text: 'long message '.repeat(20) }));
    r.a.next.push(undefined as never, 'down');
    await drain(r);
    const rec = r.outbox.get('m-6');
    expect(rec?.mrs.filter((m) => m != null)).toHaveLength(1);
    expect(rec?.modem).toBe('a');
    r.a.isUp = false;
    t += 600_000;
    await drain(r);
    expect(r.b.sent).toHaveLength(0);
    r.a.isUp = true;
    await drain(r);
    expect(r.outbox.stateOf('m-6')).toBe('sent');
    expect(r.a.sent).toHaveLength(2);
  });
});
