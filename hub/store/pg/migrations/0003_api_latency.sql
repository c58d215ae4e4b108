-- Issue 20, the API's p99 at 100,000 jobs. The jobs' GIN indexes (text search, sites, control
-- devices, webhooks) take each insert's entries at once instead of through a pending list: with
-- the list, the insert that finds it full merges all of it (tens of ms, the p99 of POST /jobs).
ALTER INDEX jobs_search SET (fastupdate = off);
ALTER INDEX jobs_sites SET (fastupdate = off);
ALTER INDEX jobs_control_devices SET (fastupdate = off);
ALTER INDEX jobs_webhooks SET (fastupdate = off);
SELECT gin_clean_pending_list('jobs_search'::regclass), gin_clean_pending_list('jobs_sites'::regclass),
  gin_clean_pending_list('jobs_control_devices'::regclass), gin_clean_pending_list('jobs_webhooks'::regclass);
-- The jobs list by device key in the list's order (keyset pages of one device's jobs).
DROP INDEX jobs_by_key;
CREATE INDEX jobs_by_key ON jobs (platform_id, device_key, name, id);
-- Executions by the wire ids of their messages (an agent's update names the message).
CREATE INDEX executions_wire_ids ON executions USING gin ((jsonb_path_query_array(doc, '$.messages[*].wire_id')));
-- The planner's row estimate of a query (EXPLAIN, nothing read): the jobs list's total past the
-- exactly counted cap. The query text is built by the hub with its values as quoted literals.
CREATE FUNCTION jobs_count_estimate(query text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE plan jsonb;
BEGIN
  EXECUTE 'EXPLAIN (FORMAT JSON) ' || query INTO plan;
  RETURN (plan->0->'Plan'->>'Plan Rows')::bigint;
END $$;
