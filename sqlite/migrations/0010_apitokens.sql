-- API tokens: bearer credentials for the JSON API, each tied to a user.
-- A token is found by the SHA-256 of its secret; the secret itself is
-- never stored. Tokens are revoked, never deleted. Times are Unix
-- microseconds (UTC); 0 in last_used_at and revoked_at means never.

CREATE TABLE api_tokens (
	id           INTEGER PRIMARY KEY,
	token_hash   BLOB    NOT NULL UNIQUE,
	user_id      INTEGER NOT NULL REFERENCES users (id),
	name         TEXT    NOT NULL,
	created_at   INTEGER NOT NULL,
	created_by   TEXT    NOT NULL,
	expires_at   INTEGER NOT NULL,
	last_used_at INTEGER NOT NULL DEFAULT 0,
	revoked_at   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX api_tokens_user ON api_tokens (user_id, id);
