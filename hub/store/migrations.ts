// Migrations of the stored documents, one list per document: add one function per new version,
// never edit old ones (hub/store/document.ts applies them at load, before the schema check).
import type { Migration } from './document.js';

export const DEFINITION_MIGRATIONS: Migration[] = [
  // v1 -> v2 (issue 10): remediation settings and webhook endpoints.
  (d) => ({ ...d, remediation: {}, webhooks: {} }),
];
export const RUNTIME_MIGRATIONS: Migration[] = [];
export const EXECUTION_MIGRATIONS: Migration[] = [
  // v1 -> v2 (issue 10): `steps` (send runs) become `messages`; the playbook fields are added.
  // An execution of v1 had one send step; its wire id was the execution id.
  (d) => {
    const executions: Record<string, unknown> = {};
    for (const [id, raw] of Object.entries((d.executions ?? {}) as Record<string, Record<string, unknown>>)) {
      const { steps, ...e } = raw;
      const sends = (Array.isArray(steps) ? steps : []) as Array<Record<string, unknown>>;
      executions[id] = {
        ...e,
        playbook: [],
        messages: sends.map(({ type: _type, ...m }, i) => ({ wire_id: i === 0 ? id : `${id}-${i}`, step: i, kind: 'command', ...m })),
        phase: 'done',
        outcome: e.outcome ?? null,
        ttr_ms: null,
        escalated: false,
        escalation_reason: null,
        incident_id: null,
        run: null,
      };
    }
    return { ...d, executions };
  },
  // v2 -> v3 (issue 20, one execution record): the fields held beside the run (state, step,
  // phase, outcome, ttr_ms, escalated, escalation_reason, incident_id) are derived from the run
  // and the messages (hub/model/execution-view.ts); the run no longer repeats the header or keeps
  // a timeline (it was always copied into the execution's). An execution from before playbooks
  // (run null) gets a finished run holding what it had. Same as pg/migrations/0002.
  (d) => {
    const executions: Record<string, unknown> = {};
    for (const [id, raw] of Object.entries((d.executions ?? {}) as Record<string, Record<string, unknown>>)) {
      const { state: _state, step, phase: _phase, outcome, ttr_ms, escalated, escalation_reason, incident_id, run, ...e } = raw;
      let stored: Record<string, unknown>;
      if (run !== null && typeof run === 'object') {
        const { id: _i, platform_id: _p, job_id: _j, job_name: _n, device: _d, steps: _s, timeline: _t, ...r } = run as Record<string, unknown>;
        stored = r;
      } else {
        const at = Date.parse(String(e.created_at)) || 0;
        stored = {
          phase: 'done',
          created_at: at,
          act_at: at,
          idx: step ?? 0,
          step_at: null,
          deadline_at: null,
          pending: [],
          acked: [],
          send_state: null,
          verify_seen: false,
          verify_holds_since: null,
          last_send_at: null,
          outcome: outcome ?? null,
          ttr_ms: ttr_ms ?? null,
          notify_only: false,
          escalated: escalated ?? false,
          escalation_reason: escalation_reason ?? null,
          incident_id: incident_id ?? null,
        };
      }
      executions[id] = { ...e, run: stored };
    }
    return { ...d, executions };
  },
];
export const REMEDIATION_MIGRATIONS: Migration[] = [];
// (remediation.json v1 gained `uptime` before its first release: absent is read as empty.)
