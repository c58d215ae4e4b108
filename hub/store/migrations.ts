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
];
export const REMEDIATION_MIGRATIONS: Migration[] = [];
// (remediation.json v1 gained `uptime` before its first release: absent is read as empty.)
