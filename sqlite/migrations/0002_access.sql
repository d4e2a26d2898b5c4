-- People and access: users, sessions and the audit log.
-- Times are Unix microseconds (UTC).

CREATE TABLE users (
	id            INTEGER PRIMARY KEY,
	email         TEXT    NOT NULL UNIQUE, -- lower-cased (paradero.NormalizeEmail)
	name          TEXT    NOT NULL,
	role          TEXT    NOT NULL,
	language      TEXT    NOT NULL,
	password_hash TEXT    NOT NULL,        -- argon2id, PHC string format
	totp_secret   BLOB,
	disabled      INTEGER NOT NULL DEFAULT 0,
	created_at    INTEGER NOT NULL,
	updated_at    INTEGER NOT NULL
);

-- A session is found by the SHA-256 of its cookie's token; the token itself
-- is never stored.
CREATE TABLE sessions (
	token_hash   BLOB    PRIMARY KEY,
	user_id      INTEGER NOT NULL REFERENCES users (id),
	csrf_token   TEXT    NOT NULL,
	created_at   INTEGER NOT NULL,
	expires_at   INTEGER NOT NULL,
	last_seen_at INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

-- The audit log holds ids only, never personal content, and is
-- append-only: the triggers refuse every change and removal.
CREATE TABLE audit_log (
	id         INTEGER PRIMARY KEY,
	at         INTEGER NOT NULL,
	actor_id   INTEGER NOT NULL,
	actor_name TEXT    NOT NULL,
	actor_role TEXT    NOT NULL,
	action     TEXT    NOT NULL,
	object     TEXT    NOT NULL
);
CREATE INDEX audit_log_actor ON audit_log (actor_id, id);
CREATE INDEX audit_log_object ON audit_log (object, id);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
