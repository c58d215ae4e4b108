-- Issue 20, the jobs list under 20 ms p99 at 100,000 jobs: an access path per filter that reads
-- only the matches, in the list's order (name, id).

-- The site filter: a row per (job, site it uses), in list order, with the job's `enabled` and
-- search text beside it, kept by statement triggers on every write of jobs (inserts, updates,
-- deletes; single writes, putMany, fenced writes alike). A site's page walks its own rows from
-- the cursor; its capped count, alone or with `enabled` or a text search, is an index-only scan.
CREATE TABLE job_sites (
  platform_id text COLLATE "C" NOT NULL,
  site_id text COLLATE "C" NOT NULL,
  name text COLLATE "C" NOT NULL,
  job_id text COLLATE "C" NOT NULL,
  enabled boolean NOT NULL,
  search text NOT NULL,
  PRIMARY KEY (platform_id, site_id, name, job_id) INCLUDE (enabled, search)
);
CREATE INDEX job_sites_job ON job_sites (job_id);
INSERT INTO job_sites (platform_id, site_id, name, job_id, enabled, search)
SELECT DISTINCT j.platform_id, s.site_id COLLATE "C", j.name, j.id, j.enabled, j.search FROM jobs j, unnest(j.site_ids) AS s(site_id);

CREATE FUNCTION job_sites_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO job_sites (platform_id, site_id, name, job_id, enabled, search)
  SELECT DISTINCT n.platform_id, s.site_id COLLATE "C", n.name, n.id, n.enabled, n.search FROM new_rows n, unnest(n.site_ids) AS s(site_id);
  RETURN NULL;
END $$;
-- No join of two transition tables anywhere: PL/pgSQL keeps a trigger statement's plan, made
-- with the row counts of its first run (an ON CONFLICT insert fires the update trigger with none),
-- and a nested loop over two tuplestores is quadratic in a bulk write. Set operations (EXCEPT)
-- and joins against job_sites' indexes stay linear whatever plan was kept.
CREATE FUNCTION job_sites_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM job_sites x USING old_rows o WHERE x.job_id = o.id;
  RETURN NULL;
END $$;
-- Only the jobs whose listed columns changed are rewritten (other edits touch nothing here): the
-- old versions not among the new ones leave, the new versions not among the old ones come in.
CREATE FUNCTION job_sites_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM job_sites x USING (
    SELECT o.id, o.name, o.site_ids, o.platform_id, o.enabled, o.search FROM old_rows o
    EXCEPT SELECT n.id, n.name, n.site_ids, n.platform_id, n.enabled, n.search FROM new_rows n) c
  WHERE x.job_id = c.id;
  INSERT INTO job_sites (platform_id, site_id, name, job_id, enabled, search)
  SELECT DISTINCT c.platform_id, s.site_id COLLATE "C", c.name, c.id, c.enabled, c.search FROM (
    SELECT n.id, n.name, n.site_ids, n.platform_id, n.enabled, n.search FROM new_rows n
    EXCEPT SELECT o.id, o.name, o.site_ids, o.platform_id, o.enabled, o.search FROM old_rows o) c, unnest(c.site_ids) AS s(site_id);
  RETURN NULL;
END $$;
CREATE TRIGGER jobs_sites_in AFTER INSERT ON jobs REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION job_sites_inserted();
CREATE TRIGGER jobs_sites_out AFTER DELETE ON jobs REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION job_sites_deleted();
CREATE TRIGGER jobs_sites_moved AFTER UPDATE ON jobs REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION job_sites_updated();

-- The text search: the search text's trigrams (pg_trgm's show_trgm) as an array under a GIN
-- index. The hub probes only the needle's rare trigrams (their frequencies are this index
-- expression's ANALYZE statistics, pg_stats.most_common_elems) and rechecks LIKE '%needle%';
-- reading the posting lists of trigrams that every job has (the old gin_trgm_ops index) is
-- what made a search slow. A needle without rare trigrams walks the list's order instead.
DROP INDEX jobs_search;
CREATE INDEX jobs_trigrams ON jobs USING gin (show_trgm(search)) WITH (fastupdate = off);
-- The list's order with the filtered columns beside it: a walk by name filters on enabled and
-- the search text without reading the (wide) rows.
DROP INDEX jobs_by_name;
CREATE INDEX jobs_by_name ON jobs (platform_id, name, id) INCLUDE (enabled, search);
ANALYZE jobs;
ANALYZE job_sites;
