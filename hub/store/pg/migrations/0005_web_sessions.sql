-- Issue 20: web-form sessions in the store, so an operator signed in on one hub stays signed in
-- when the next request lands on another (every hub serves the web form). Keyed by the SHA-256
-- of the session cookie's id; only hashes are stored (the sign-in token's, never the token).
CREATE TABLE web_sessions (
  id_hash text PRIMARY KEY,
  doc jsonb NOT NULL,
  expires_at bigint NOT NULL
);
CREATE INDEX web_sessions_expires ON web_sessions (expires_at);
