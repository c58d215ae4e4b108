// The lowdb store: atomic JSON documents, schema versions and migrations, coalesced writes,
// bounded execution retention.
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Execution, type ExecutionView, executionView } from '../../hub/model/execution.js';
import { storedRun } from './store-contract-fixtures.js';
import { JsonDocument, migrate } from '../../hub/store/document.js';
import { HubStore } from '../../hub/store/store.js';
import { tempDir } from './fixtures.js';

function exec(id: string, platform: string, createdAt: string, state: ExecutionView['state'] = 'delivered'): Execution {
  return {
    id,
    platform_id: platform,
    job_id: 'j',
    job_name: 'j',
    device: { key_type: 'device_id', key: '1', name: '' },
    trigger: { reason: 'condition', values: {} },
    playbook: [],
    messages: [{ wire_id: id, step: 0, kind: 'command', site_id: 's1', control_device_id: 'c', to: '+700', text: 't', state, attempt: 1, agent_seq: 0, expires_at: createdAt, dispatched_at: createdAt }],
    run: storedRun(Date.parse(createdAt)),
    timeline: [],
    replies: [],
    event_seq: 0,
    created_at: createdAt,
    updated_at: createdAt,
  };
}

describe('migrations', () => {
  it('runs each migration from the file version up and stamps the version', () => {
    const migrations = [(d: Record<string, unknown>) => ({ ...d, b: 1 }), (d: Record<string, unknown>) => ({ ...d, c: (d.b as number) + 1 })];
    expect(migrate({ version: 1, a: 0 }, migrations, 'x')).toEqual({ version: 3, a: 0, b: 1, c: 2 });
    expect(migrate({ version: 2, a: 0, b: 5 }, migrations, 'x')).toEqual({ version: 3, a: 0, b: 5, c: 6 });
    expect(() => migrate({ version: 4 }, migrations, 'x')).toThrow(/newer/);
  });
  it('a document on disk is migrated and rewritten at load', async () => {
    const dir = tempDir('doc');
    const file = join(dir, 'd.json');
    writeFileSync(file, JSON.stringify({ version: 1, items: ['a'] }));
    const doc = new JsonDocument<{ version: number; items: string[]; count?: number }>(file, () => ({ version: 2, items: [] }), [(d) => ({ ...d, count: (d.items as string[]).length })]);
    await doc.load();
    expect(doc.data).toEqual({ version: 2, items: ['a'], count: 1 });
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ version: 2, items: ['a'], count: 1 });
  });
});

describe('store migrations (issue 10)', () => {
  it('a v1 store loads as v3: send steps become messages (first wire id = execution id), a finished run holds the outcome, definitions gain settings and webhooks', async () => {
    const dir = tempDir('store-v1');
    const at = '2026-11-01T10:00:00.000Z';
    const v1 = {
      id: 'e1',
      platform_id: 'a',
      job_id: 'j',
      job_name: 'j',
      device: { key_type: 'device_id', key: '1', name: '' },
      trigger: { reason: 'condition', values: {} },
      state: 'delivered',
      step: 0,
      steps: [{ type: 'send', site_id: 's1', control_device_id: 'c', to: '+700', text: 't', state: 'delivered', attempt: 1, agent_seq: 3, expires_at: at, dispatched_at: at, message_refs: [7] }],
      outcome: null,
      timeline: [],
      replies: [],
      event_seq: 4,
      created_at: at,
      updated_at: at,
    };
    writeFileSync(join(dir, 'executions.json'), JSON.stringify({ version: 1, executions: { e1: v1 }, inbound: [] }));
    writeFileSync(join(dir, 'definitions.json'), JSON.stringify({ version: 1, platforms: {}, sites: {}, control_devices: {}, jobs: {} }));
    const store = new HubStore(dir);
    await store.load();
    const e = store.execution('e1');
    expect(e).toMatchObject({ playbook: [], run: { phase: 'done', idx: 0, escalated: false, incident_id: null, ttr_ms: null, outcome: null, pending: [], acked: [] } });
    expect(e && executionView(e)).toMatchObject({ state: 'delivered', step: 0, phase: 'done', outcome: null, escalated: false });
    expect(e?.messages).toEqual([{ wire_id: 'e1', step: 0, kind: 'command', site_id: 's1', control_device_id: 'c', to: '+700', text: 't', state: 'delivered', attempt: 1, agent_seq: 3, expires_at: at, dispatched_at: at, message_refs: [7] }]);
    expect(e && 'steps' in e).toBe(false);
    expect(store.activeExecutions()).toEqual([]);
    expect(store.webhooks('a')).toEqual([]);
    expect(JSON.parse(readFileSync(join(dir, 'definitions.json'), 'utf8'))).toMatchObject({ version: 2, remediation: {}, webhooks: {} });
    expect(JSON.parse(readFileSync(join(dir, 'executions.json'), 'utf8')).version).toBe(3);
  });

  // Issue 20: one record. What a v2 execution held beside its run is derived from the run; the
  // run loses the header it repeated and its (always empty) timeline.
  it('a v2 execution loads as v3: the run is the one place of phase, outcome, ttr, escalation and incident', async () => {
    const dir = tempDir('store-v2');
    const at = '2026-11-01T10:00:00.000Z';
    const t = Date.parse(at);
    const steps = [{ type: 'send', site_id: 's1', control_device_id: 'c', command: { kind: 'text', text: 'RESET' }, expires_s: 600 }];
    const header = { id: 'e2', platform_id: 'a', job_id: 'j', job_name: 'J', device: { key: '1', name: 'P' } };
    const run = { ...header, steps, phase: 'held', created_at: t, act_at: t, idx: 0, step_at: null, deadline_at: null, pending: [], acked: [], send_state: null, verify_seen: false, verify_holds_since: null, last_send_at: null, outcome: 'recovered', ttr_ms: 5000, notify_only: false, escalated: true, escalation_reason: 'x', incident_id: 'inc1', timeline: [] };
    const v2 = { ...header, device: { key_type: 'device_id', key: '1', name: 'P' }, trigger: { reason: 'condition', values: {} }, state: 'created', step: 0, playbook: steps, messages: [], phase: 'held', outcome: 'recovered', ttr_ms: 5000, escalated: true, escalation_reason: 'x', incident_id: 'inc1', run, timeline: [], replies: [], event_seq: 1, created_at: at, updated_at: at };
    writeFileSync(join(dir, 'executions.json'), JSON.stringify({ version: 2, executions: { e2: v2 }, inbound: [] }));
    const store = new HubStore(dir);
    await store.load();
    const e = store.execution('e2') as Execution;
    expect(Object.keys(e).sort()).toEqual(['created_at', 'device', 'event_seq', 'id', 'job_id', 'job_name', 'messages', 'platform_id', 'playbook', 'replies', 'run', 'timeline', 'trigger', 'updated_at']);
    for (const k of ['id', 'platform_id', 'job_id', 'job_name', 'device', 'steps', 'timeline']) expect(k in e.run).toBe(false);
    expect(executionView(e)).toMatchObject({ state: 'created', step: 0, phase: 'held', outcome: 'recovered', ttr_ms: 5000, escalated: true, escalation_reason: 'x', incident_id: 'inc1' });
    expect(store.activeExecutions().map((x) => x.id)).toEqual(['e2']);
  });
});

describe('JsonDocument writes', () => {
  it('coalesces saves made while a write is in flight and leaves no temp file', async () => {
    const dir = tempDir('doc');
    const doc = new JsonDocument<{ version: number; n: number }>(join(dir, 'd.json'), () => ({ version: 1, n: 0 }));
    await doc.load();
    const saves: Array<Promise<void>> = [];
    for (let i = 1; i <= 50; i++) {
      doc.data.n = i;
      saves.push(doc.save());
    }
    await Promise.all(saves);
    expect(doc.writes).toBeLessThanOrEqual(3);
    expect(JSON.parse(readFileSync(join(dir, 'd.json'), 'utf8')).n).toBe(50);
    expect(readdirSync(dir)).toEqual(['d.json']);
  });
});

describe('HubStore', () => {
  it('persists and reloads definitions, runtime and executions', async () => {
    const dir = tempDir('store');
    const a = new HubStore(dir);
    await a.load();
    await a.putPlatform({ id: 'ar', name: 'AR', prometheus: { url: 'http://p', headers: {} }, created_at: '', tokens: [], events_password: null });
    a.setJobRuntime('j1', { state: 'firing', since: 1, cond_since: 1, data_at: 1, last_fired_at: 1, last_execution_id: 'e1', nodata_fired: false });
    await a.saveRuntime();
    await a.putExecution(exec('e1', 'ar', '2026-01-01T00:00:00.000Z'));
    const b = new HubStore(dir);
    await b.load();
    expect(b.platform('ar')?.name).toBe('AR');
    expect(b.jobRuntime('j1')?.state).toBe('firing');
    expect(b.execution('e1')?.platform_id).toBe('ar');
    expect(existsSync(join(dir, 'definitions.json'))).toBe(true);
  });

  it('bounds executions by age and count per platform, keeping unfinished ones', async () => {
    const store = new HubStore(tempDir('store'));
    await store.load();
    const now = Date.parse('2026-06-01T00:00:00Z');
    const day = 86400_000;
    for (let i = 0; i < 10; i++) await store.putExecution(exec(`a${i}`, 'a', new Date(now - (10 - i) * day).toISOString()));
    await store.putExecution(exec('a-old-pending', 'a', new Date(now - 100 * day).toISOString(), 'dispatched'));
    for (let i = 0; i < 3; i++) await store.putExecution(exec(`b${i}`, 'b', new Date(now - i * 1000).toISOString()));
    const removed = await store.pruneExecutions(now, { maxAgeMs: 8.5 * day, maxPerPlatform: 5, maxInboundPerPlatform: 10 });
    const left = store.executionList('a').map((e) => e.id).sort();
    // a0..a1 too old (10, 9 days); of the rest the oldest go until 5 remain (the pending one counts but stays).
    expect(left).toEqual(['a-old-pending', 'a6', 'a7', 'a8', 'a9']);
    expect(store.executionList('b')).toHaveLength(3);
    expect(removed).toBe(6);
  });
});
