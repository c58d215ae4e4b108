// The outbox's pure reducer and recovery rules, and the MQTT adapter's connection options
// (persistent session, contract username, last will, TLS files) without a network.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { agentConfigSchema } from '../../agent/config.js';
import { MqttAdapter } from '../../agent/mqtt/adapter.js';
import { type JournalRecord, apply, emptyState, isSettled, recoveryRecords } from '../../agent/outbox/state.js';
import { examples } from '../../hub/common/contract/index.js';
import { silentLogger } from '../../hub/common/log.js';

function replay(records: JournalRecord[]) {
  const s = emptyState();
  for (const r of records) apply(s, r);
  return s;
}

const id = examples.exampleJob.execution_id;
const base: JournalRecord[] = [{ t: 'job', job: examples.exampleJob, at: 1000, ref: 7 }];

describe('outbox reducer', () => {
  it('counts tries per attempt, not per part, and reaches sent when every part has a TP-MR', () => {
    const s = replay([...base, { t: 'try', id, part: 0, parts: 2, at: 1 }, { t: 'part', id, part: 0, mr: 4, at: 2 }, { t: 'try', id, part: 1, parts: 2, at: 3 }, { t: 'part', id, part: 1, mr: 5, at: 4 }]);
    const rec = s.live.get(id);
    expect(rec).toMatchObject({ state: 'sent', tries: 1, mrs: [4, 5], ref: 7, sentAt: 4 });
    expect(rec?.inFlight).toBeUndefined();
  });
  it('ignores a second job record for the same execution (replayed duplicate)', () => {
    const s = replay([...base, { t: 'end', id, state: 'failed', at: 5 }, { t: 'job', job: examples.exampleJob, at: 6, ref: 9 }]);
    expect(s.live.get(id)).toMatchObject({ state: 'failed', ref: 7 });
  });
  it('decides recovery from the journal alone', () => {
    const inModem = replay([...base, { t: 'try', id, part: 0, parts: 1, at: 1 }]).live.get(id);
    const between = replay([...base, { t: 'try', id, part: 0, parts: 2, at: 1 }, { t: 'part', id, part: 0, mr: 1, at: 2 }]).live.get(id);
    if (!inModem || !between) throw new Error('missing');
    expect(recoveryRecords(inModem, 10, false)).toMatchObject([{ t: 'end', state: 'uncertain', reason: { code: 'uncertain', retryable: false } }]);
    expect(recoveryRecords(inModem, 10, true)).toMatchObject([{ t: 'retry', next: 10 }]);
    expect(between.state).toBe('sending');
    expect(recoveryRecords(between, 10, false)).toMatchObject([{ t: 'retry' }]);
  });
  it('settles only when terminal (or sent without report) and every update is acknowledged', () => {
    const s = replay([...base, { t: 'upd', id, u: { ...examples.exampleUpdates[0], seq: 0 } as never }, { t: 'end', id, state: 'failed', at: 2 }]);
    const rec = s.live.get(id);
    if (!rec) throw new Error('missing');
    expect(isSettled(rec, 10, 100)).toBe(false);
    apply(s, { t: 'ack', id, seq: 0 });
    expect(isSettled(rec, 10, 100)).toBe(true);
  });
});

describe('MQTT adapter options', () => {
  it('uses a persistent session, the contract username, a retained offline will and TLS files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gsmjobs-tls-'));
    try {
      writeFileSync(join(dir, 'ca.pem'), 'CA');
      writeFileSync(join(dir, 'cert.pem'), 'CERT');
      writeFileSync(join(dir, 'key.pem'), 'KEY');
      const config = agentConfigSchema.parse({
        platform_id: 'addreality',
        site_id: 'arzamas',
        mqtt: { url: 'mqtts://hub:8883', password: 'pw', tls: { ca_file: join(dir, 'ca.pem'), cert_file: join(dir, 'cert.pem'), key_file: join(dir, 'key.pem') } },
      });
      const a = new MqttAdapter({ config, log: silentLogger, onJob: async () => undefined, onMalformed: () => undefined, onUpdateAcked: () => undefined, pendingUpdates: () => [] });
      const o = a.clientOptions();
      expect(o).toMatchObject({ clientId: 'gsmjobs-agent-addreality-arzamas', clean: false, username: 'site/addreality/arzamas', password: 'pw', rejectUnauthorized: true, writeCache: false });
      expect(o.will).toMatchObject({ topic: 'gsmjobs/v1/site/addreality/arzamas/status', qos: 1, retain: true });
      expect(JSON.parse(String(o.will?.payload))).toMatchObject({ type: 'status', state: 'offline' });
      expect(String(o.ca)).toBe('CA');
      expect(String(o.cert)).toBe('CERT');
      expect(String(o.key)).toBe('KEY');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
