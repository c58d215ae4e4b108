// Issue 20, one execution record, in PostgreSQL: migration 0002 turns an execution document
// written under 0001 (fields beside the run, the run repeating the header) into the one-record
// shape, and the list columns (computed from the view) keep answering the filters.
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { executionView } from '../../hub/model/execution-view.js';
import { PgStore } from '../../hub/store/pg/adapter.js';
import { migrate, readMigrations } from '../../hub/store/pg/migrate.js';
import { scopeOf } from '../../hub/store/port.js';
import { useCluster } from '../support/pg-cluster.js';

const cluster = useCluster();

const AT = '2026-11-01T10:00:00.000Z';
const T = Date.parse(AT);
const steps = [{ type: 'send', site_id: 's1', control_device_id: 'c', command: { kind: 'text', text: 'RESET' }, expires_s: 600 }];
const header = { id: 'e1', platform_id: 'a', job_id: 'j', job_name: 'J', device: { key: '1', name: 'P' } };
const oldRun = { ...header, steps, phase: 'held', created_at: T, act_at: T, idx: 0, step_at: null, deadline_at: null, pending: [], acked: ['e1:0:send'], send_state: null, verify_seen: false, verify_holds_since: null, last_send_at: null, outcome: null, ttr_ms: null, notify_only: false, escalated: false, escalation_reason: null, incident_id: 'inc1', timeline: [] };
const message = { wire_id: 'e1', step: 0, kind: 'command', site_id: 's1', control_device_id: 'c', to: '+700', text: 'RESET', state: 'accepted', attempt: 1, agent_seq: 0, expires_at: AT, dispatched_at: AT };
const oldDoc = { ...header, device: { key_type: 'device_id', key: '1', name: 'P' }, trigger: { reason: 'condition', values: {} }, state: 'accepted', step: 0, playbook: steps, messages: [message], phase: 'held', outcome: null, ttr_ms: null, escalated: false, escalation_reason: null, incident_id: 'inc1', run: oldRun, timeline: [], replies: [], event_seq: 2, created_at: AT, updated_at: AT };

describe('postgresql executions: one record (migration 0002)', () => {
  it('an execution stored under 0001 reads in the one-record shape after 0002, its columns unchanged', async () => {
    const url = await cluster().createDatabase();
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    try {
      expect(await migrate(pool, readMigrations().slice(0, 1))).toEqual([1]);
      await pool.query(
        `INSERT INTO executions (id, platform_id, job_id, device_key, state, phase, outcome, incident_id, site_ids, active, finished, created_at, doc, version, epoch)
         VALUES ('e1', 'a', 'j', '1', 'accepted', 'held', NULL, 'inc1', ARRAY['s1'], true, false, $1, $2, 1, 0)`,
        [AT, JSON.stringify(oldDoc)],
      );
      expect(await migrate(pool)).toEqual(readMigrations().slice(1).map((m) => m.version));
    } finally {
      await pool.end();
    }
    const store = await PgStore.open({ connectionString: url, max: 2 });
    try {
      const e = await store.executions.get(scopeOf('a'), 'e1');
      expect(e).toBeDefined();
      if (!e) return;
      for (const k of ['state', 'step', 'phase', 'outcome', 'ttr_ms', 'escalated', 'escalation_reason', 'incident_id']) expect(k in e).toBe(false);
      for (const k of ['id', 'platform_id', 'job_id', 'job_name', 'device', 'steps', 'timeline']) expect(k in e.run).toBe(false);
      expect(e.run).toMatchObject({ phase: 'held', incident_id: 'inc1', acked: ['e1:0:send'] });
      expect(executionView(e)).toMatchObject({ state: 'accepted', phase: 'held', incident_id: 'inc1', outcome: null });
      expect((await store.executions.list(scopeOf('a'), { phase: 'held', incident_id: 'inc1', state: 'accepted', limit: 10, offset: 0 })).total).toBe(1);
      expect((await store.executions.active(scopeOf('a'))).map((x) => x.id)).toEqual(['e1']);
      // Written again (as the engine does), the columns follow the view.
      await store.executions.put(scopeOf('a'), { ...e, run: { ...e.run, phase: 'done' }, messages: [{ ...e.messages[0]!, state: 'delivered' }] });
      expect((await store.executions.list(scopeOf('a'), { phase: 'done', state: 'delivered', limit: 10, offset: 0 })).total).toBe(1);
      expect(await store.executions.active(scopeOf('a'))).toEqual([]);
    } finally {
      await store.close();
    }
  }, 60_000);
});
