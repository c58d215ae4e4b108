// The pieces behind `agent send` with plain values and a temporary directory: the persistent
// concatenation-reference counter [TS 23.040 9.2.3.24.1], the inbound spool, the service pid
// file, the error classes and their retry classification, the bilingual status text.
import { spawn } from 'node:child_process';
import { appendFileSync, chownSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AtTimeoutError, ModemDownError, UncertainSendError, classifySendError } from '../../agent/at/errors.js';
import { setupErrorText } from '../../agent/modem/driver.js';
import { PinGuard } from '../../agent/modem/pin-guard.js';
import { ModemSetupError } from '../../agent/modem/setup.js';
import { ConcatRefCounter } from '../../agent/outbox/concat-ref.js';
import { InboundSpool } from '../../agent/send/inbound-spool.js';
import { pidFile, removeServicePid, runningService, writeServicePid } from '../../agent/send/lock.js';
import { rm, tmp } from './support/rig.js';

let dir: string | undefined;
afterEach(() => {
  if (dir) rm(dir);
  dir = undefined;
});

describe('concatenation-reference counter', () => {
  it('never repeats a reference across processes (fresh instances) and persists reserved blocks', () => {
    dir = tmp('gsmjobs-ref-');
    const refs: number[] = [];
    for (let i = 0; i < 3; i++) refs.push(new ConcatRefCounter(dir, 16).take()); // three `agent send` runs
    expect(new Set(refs).size).toBe(3);
    const c = new ConcatRefCounter(dir, 4);
    const run = Array.from({ length: 10 }, () => c.take());
    expect(new Set(run).size).toBe(10); // consecutive within one process
    expect(run.every((r) => r >= 0 && r <= 255)).toBe(true);
    expect(JSON.parse(readFileSync(join(dir, 'concat-ref.json'), 'utf8')).next).toBe(refs[2]! + 16 + 12);
  });

  it('wraps at 256 and survives a corrupt file', () => {
    dir = tmp('gsmjobs-ref-');
    writeFileSync(join(dir, 'concat-ref.json'), '{"next": 255}');
    const c = new ConcatRefCounter(dir, 2);
    expect([c.take(), c.take()]).toEqual([255, 0]);
    writeFileSync(join(dir, 'concat-ref.json'), 'garbage');
    expect(new ConcatRefCounter(dir).take()).toBe(0);
  });
});

describe('inbound spool', () => {
  it('keeps messages until they are published, skips a torn line, empties only after all went', async () => {
    dir = tmp('gsmjobs-spool-');
    const spool = new InboundSpool(dir);
    spool.append({ from: '+79035550001', text: 'один', sentAt: '2026-12-07T06:00:00Z', parts: 1, complete: true, indexes: [1] }, new Date(0));
    spool.append({ from: '+79035550002', text: 'два', sentAt: '', parts: 2, complete: true, indexes: [2, 3] }, new Date(1000));
    appendFileSync(spool.file, '{"from":"+7903');
    await expect(spool.drain(() => Promise.reject(new Error('broker away')))).rejects.toThrow('broker away');
    expect(spool.read()).toHaveLength(2); // nothing lost on a failed publish
    const got: string[] = [];
    expect(await spool.drain(async (m) => void got.push(`${m.from} ${m.text} ${m.receivedAt}`))).toBe(2);
    expect(got).toEqual(['+79035550001 один 1970-01-01T00:00:00.000Z', '+79035550002 два 1970-01-01T00:00:01.000Z']);
    expect(spool.read()).toEqual([]);
  });
});

describe('service pid file', () => {
  it('names a live service, ignores a dead or reused pid, and is removed only by its owner', async () => {
    dir = tmp('gsmjobs-pid-');
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
    try {
      const pid = child.pid as number;
      await new Promise((r) => setTimeout(r, 100));
      writeServicePid(dir, pid);
      expect(runningService(dir)).toBe(pid);
      // The same pid with another start time: a different program since an unclean stop.
      const rec = JSON.parse(readFileSync(pidFile(dir), 'utf8')) as { started: string };
      writeFileSync(pidFile(dir), JSON.stringify({ ...rec, pid, started: `${Number(rec.started) - 1}` }));
      expect(runningService(dir)).toBeUndefined();
      writeServicePid(dir, pid);
      removeServicePid(dir); // not ours: kept
      expect(runningService(dir)).toBe(pid);
      removeServicePid(dir, pid);
      expect(runningService(dir)).toBeUndefined();
    } finally {
      child.kill('SIGKILL');
    }
    writeFileSync(pidFile(dir), JSON.stringify({ pid: 999_999_9, boot: 'x' }));
    expect(runningService(dir)).toBeUndefined(); // another boot
  });
});

describe('files written into the service user\'s data directory by root', () => {
  it.skipIf(process.getuid?.() !== 0)('belong to the directory\'s owner, so the service can read them', () => {
    dir = tmp('gsmjobs-owner-');
    chownSync(dir, 65534, 65534);
    new PinGuard(dir).remember('1111', 2);
    new ConcatRefCounter(dir).take();
    new InboundSpool(dir).append({ from: '+7903', text: 'x', sentAt: '', parts: 1, complete: true, indexes: [1] }, new Date(0));
    for (const f of ['sim-pin-refused.json', 'concat-ref.json', 'inbound-spool.jsonl']) expect(statSync(join(dir, f)).uid, f).toBe(65534);
    expect(statSync(join(dir, 'sim-pin-refused.json')).mode & 0o777).toBe(0o600);
  });
});

describe('error classes', () => {
  it('classify by instanceof: modem down is retried; an uncertain send carries its cause', () => {
    expect(classifySendError(new ModemDownError('down', 'no SIM card'))).toEqual({ code: 'modem_down', message: 'modem is down: no SIM card', retryable: true });
    const u = new UncertainSendError('AT+CMGS=23', new AtTimeoutError('AT+CMGS=23', 1500));
    expect(u).toBeInstanceOf(Error);
    expect(u.cause).toBeInstanceOf(AtTimeoutError);
    expect(classifySendError(u)).toMatchObject({ code: 'timeout', retryable: true });
  });

  it('status text of a setup error: English, then Russian', () => {
    const e = new ModemSetupError('pin', 'the SIM is locked and needs its PUK', 'Unlock the SIM with its PUK in a phone, then restart the agent.', true, { state: 'puk_required', triesLeft: 0 });
    expect(setupErrorText(e)).toBe('the SIM is locked and needs its PUK. Unlock the SIM with its PUK in a phone, then restart the agent. / SIM-карта заблокирована, нужен PUK. Разблокируйте SIM-карту PUK-кодом в телефоне, затем перезапустите агента.');
    expect(setupErrorText(new ModemSetupError('x', 'something new', 'Do a new thing.'))).toBe('something new. Do a new thing.');
  });
});
