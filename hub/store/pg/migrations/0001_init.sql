-- gsmjobs hub store on PostgreSQL (issue 20), schema 1. A row per record; `doc` holds the
-- record as the API knows it (JSONB), the other columns are derived from it on every write so
-- that lists filter and sort on indexes. Ids are compared byte-wise (COLLATE "C") like the
-- embedded store. Never edit a released migration: add 0002_*.sql.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- Leadership: the epoch is bumped by each new leader; fenced writes check it inside their
-- transaction (SELECT epoch ... FOR SHARE), so a deposed leader's late write is refused.
CREATE TABLE leadership (
  name text PRIMARY KEY,
  epoch bigint NOT NULL DEFAULT 0,
  holder text,
  acquired_at timestamptz
);
INSERT INTO leadership (name, epoch) VALUES ('hub', 0);

CREATE TABLE platforms (
  id text COLLATE "C" PRIMARY KEY,
  token_hashes text[] NOT NULL DEFAULT '{}',
  doc jsonb NOT NULL,
  version integer NOT NULL
);
CREATE INDEX platforms_tokens ON platforms USING gin (token_hashes);

CREATE TABLE sites (
  platform_id text COLLATE "C" NOT NULL,
  id text COLLATE "C" NOT NULL,
  doc jsonb NOT NULL,
  version integer NOT NULL,
  PRIMARY KEY (platform_id, id)
);

CREATE TABLE control_devices (
  id text COLLATE "C" PRIMARY KEY,
  platform_id text COLLATE "C" NOT NULL,
  doc jsonb NOT NULL,
  version integer NOT NULL
);
CREATE INDEX control_devices_platform ON control_devices (platform_id, id);

CREATE TABLE webhooks (
  id text COLLATE "C" PRIMARY KEY,
  platform_id text COLLATE "C" NOT NULL,
  doc jsonb NOT NULL,
  version integer NOT NULL
);
CREATE INDEX webhooks_platform ON webhooks (platform_id, id);

CREATE TABLE jobs (
  id text COLLATE "C" PRIMARY KEY,
  platform_id text COLLATE "C" NOT NULL,
  name text COLLATE "C" NOT NULL,
  enabled boolean NOT NULL,
  device_key text COLLATE "C" NOT NULL,
  search text NOT NULL,
  site_ids text[] NOT NULL,
  control_device_ids text[] NOT NULL,
  webhook_ids text[] NOT NULL,
  doc jsonb NOT NULL,
  version integer NOT NULL
);
CREATE INDEX jobs_by_name ON jobs (platform_id, name, id);
CREATE INDEX jobs_by_key ON jobs (platform_id, device_key);
CREATE INDEX jobs_sites ON jobs USING gin (site_ids);
CREATE INDEX jobs_control_devices ON jobs USING gin (control_device_ids);
CREATE INDEX jobs_webhooks ON jobs USING gin (webhook_ids);
CREATE INDEX jobs_search ON jobs USING gin (search gin_trgm_ops);

-- Jobs per platform, kept by statement triggers, so the unfiltered list's total is one row read.
CREATE TABLE job_counts (
  platform_id text COLLATE "C" PRIMARY KEY,
  n bigint NOT NULL
);
CREATE FUNCTION job_counts_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO job_counts (platform_id, n) SELECT platform_id, count(*) FROM new_rows GROUP BY platform_id
  ON CONFLICT (platform_id) DO UPDATE SET n = job_counts.n + EXCLUDED.n;
  RETURN NULL;
END $$;
CREATE FUNCTION job_counts_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE job_counts c SET n = c.n - d.n FROM (SELECT platform_id, count(*) AS n FROM old_rows GROUP BY platform_id) d WHERE c.platform_id = d.platform_id;
  RETURN NULL;
END $$;
CREATE TRIGGER jobs_counted_in AFTER INSERT ON jobs REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION job_counts_inserted();
CREATE TRIGGER jobs_counted_out AFTER DELETE ON jobs REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION job_counts_deleted();

CREATE TABLE job_runtime (
  job_id text COLLATE "C" PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
  platform_id text COLLATE "C" NOT NULL,
  state text NOT NULL,
  -- The job's `enabled`, copied on every write of either, so a state filter counts here alone.
  enabled boolean NOT NULL,
  doc jsonb NOT NULL,
  epoch bigint NOT NULL
);
CREATE INDEX job_runtime_state ON job_runtime (platform_id, state) WHERE enabled;
CREATE INDEX job_runtime_probe ON job_runtime (job_id, state);

CREATE TABLE executions (
  id text COLLATE "C" PRIMARY KEY,
  platform_id text COLLATE "C" NOT NULL,
  job_id text COLLATE "C" NOT NULL,
  device_key text COLLATE "C" NOT NULL,
  state text NOT NULL,
  phase text NOT NULL,
  outcome text,
  incident_id text,
  site_ids text[] NOT NULL,
  active boolean NOT NULL,
  finished boolean NOT NULL,
  created_at timestamptz NOT NULL,
  doc jsonb NOT NULL,
  version integer NOT NULL,
  epoch bigint NOT NULL
);
CREATE INDEX executions_newest ON executions (platform_id, created_at DESC, id DESC);
CREATE INDEX executions_job ON executions (platform_id, job_id, created_at DESC);
CREATE INDEX executions_key ON executions (platform_id, device_key, created_at DESC);
CREATE INDEX executions_active ON executions (platform_id) WHERE active;
CREATE INDEX executions_incident ON executions (platform_id, incident_id) WHERE incident_id IS NOT NULL;
CREATE INDEX executions_sites ON executions USING gin (site_ids);

CREATE TABLE inbound (
  seq bigserial PRIMARY KEY,
  platform_id text COLLATE "C" NOT NULL,
  doc jsonb NOT NULL
);
CREATE INDEX inbound_newest ON inbound (platform_id, seq DESC);

CREATE TABLE remediation_settings (
  platform_id text COLLATE "C" PRIMARY KEY,
  doc jsonb NOT NULL
);

CREATE TABLE guardrail_state (
  platform_id text COLLATE "C" PRIMARY KEY,
  doc jsonb NOT NULL,
  version integer NOT NULL,
  epoch bigint NOT NULL
);

CREATE TABLE uptime (
  platform_id text COLLATE "C" NOT NULL,
  site_id text COLLATE "C" NOT NULL,
  marks jsonb NOT NULL,
  PRIMARY KEY (platform_id, site_id)
);

CREATE TABLE deliveries (
  id text COLLATE "C" PRIMARY KEY,
  seq bigserial NOT NULL,
  platform_id text COLLATE "C" NOT NULL,
  key text NOT NULL,
  endpoint_id text NOT NULL,
  settled boolean NOT NULL,
  next_at bigint,
  doc jsonb NOT NULL
);
CREATE INDEX deliveries_platform ON deliveries (platform_id, seq);
CREATE INDEX deliveries_key ON deliveries (platform_id, key, endpoint_id);
CREATE INDEX deliveries_due ON deliveries (platform_id, next_at) WHERE next_at IS NOT NULL;

CREATE TABLE idempotency (
  platform_id text COLLATE "C" NOT NULL,
  key text NOT NULL,
  request_hash text NOT NULL,
  status integer NOT NULL,
  body jsonb,
  created_at bigint NOT NULL,
  PRIMARY KEY (platform_id, key)
);
CREATE INDEX idempotency_age ON idempotency (created_at);
