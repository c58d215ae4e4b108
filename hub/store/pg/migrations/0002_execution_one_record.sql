-- Issue 20, one execution record: the fields an execution held beside its run (state, step,
-- phase, outcome, ttr_ms, escalated, escalation_reason, incident_id) are derived from the run
-- and its messages (hub/model/execution-view.ts), and the run no longer repeats the
-- execution's header (id, platform_id, job_id, job_name, device, steps) or keeps a timeline.
-- The columns stay: they are computed from the view at every write. Same as the lowdb
-- executions.json v2 -> v3 migration (hub/store/migrations.ts).
UPDATE executions
SET doc = (doc - 'state' - 'step' - 'phase' - 'outcome' - 'ttr_ms' - 'escalated' - 'escalation_reason' - 'incident_id')
  || jsonb_build_object('run',
    CASE
      WHEN jsonb_typeof(doc->'run') = 'object'
        THEN (doc->'run') - 'id' - 'platform_id' - 'job_id' - 'job_name' - 'device' - 'steps' - 'timeline'
      ELSE jsonb_build_object(
        'phase', 'done',
        'created_at', (extract(epoch FROM created_at) * 1000)::bigint,
        'act_at', (extract(epoch FROM created_at) * 1000)::bigint,
        'idx', COALESCE(doc->'step', '0'::jsonb),
        'step_at', NULL, 'deadline_at', NULL, 'pending', '[]'::jsonb, 'acked', '[]'::jsonb,
        'send_state', NULL, 'verify_seen', false, 'verify_holds_since', NULL, 'last_send_at', NULL,
        'outcome', COALESCE(doc->'outcome', 'null'::jsonb), 'ttr_ms', COALESCE(doc->'ttr_ms', 'null'::jsonb),
        'notify_only', false, 'escalated', COALESCE(doc->'escalated', 'false'::jsonb),
        'escalation_reason', COALESCE(doc->'escalation_reason', 'null'::jsonb),
        'incident_id', COALESCE(doc->'incident_id', 'null'::jsonb))
    END)
WHERE doc ? 'phase';
