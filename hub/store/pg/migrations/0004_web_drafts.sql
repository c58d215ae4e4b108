-- Issue 17: the web form's wizard drafts in the store, so every hub on this database sees them
-- (an operator's next request may land on another hub). One row per draft, owned by a platform
-- and a signed-in owner; `doc` is the form's record. Kept 24 h after `updated_at`.
CREATE TABLE web_drafts (
  id text PRIMARY KEY,
  platform_id text NOT NULL,
  owner text NOT NULL,
  doc jsonb NOT NULL,
  updated_at bigint NOT NULL,
  version integer NOT NULL
);
CREATE INDEX web_drafts_owner ON web_drafts (platform_id, owner, updated_at);
CREATE INDEX web_drafts_updated ON web_drafts (updated_at);
