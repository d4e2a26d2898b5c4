-- Two-factor sign-in (TOTP, RFC 6238, with recovery codes). The confirmed
-- secret stays in users.totp_secret; this is the rest of the state.
-- Times are Unix microseconds (UTC).

-- One row per user who began enrolling. pending_secret is a secret shown
-- but not yet confirmed by a code: it signs no one in. last_step is the
-- time step of the last code accepted: no code of it or before works again.
CREATE TABLE twofactor (
	user_id        INTEGER PRIMARY KEY REFERENCES users (id),
	pending_secret BLOB,
	last_step      INTEGER NOT NULL DEFAULT 0,
	enabled_at     INTEGER
);

-- Recovery codes, single-use, stored only as the SHA-256 of the user and
-- the code (web/twofactor.go); a spent code keeps when it was spent.
CREATE TABLE recovery_codes (
	user_id    INTEGER NOT NULL REFERENCES users (id),
	code_hash  BLOB    NOT NULL,
	created_at INTEGER NOT NULL,
	used_at    INTEGER,
	PRIMARY KEY (user_id, code_hash)
);

-- A sign-in half done: the password was right, the second factor is to
-- come. Not a session: nothing but the second step accepts it. Found by
-- the SHA-256 of the browser's token.
CREATE TABLE login_challenges (
	token_hash BLOB    PRIMARY KEY,
	user_id    INTEGER NOT NULL REFERENCES users (id),
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL
);
CREATE INDEX login_challenges_user ON login_challenges (user_id);
CREATE INDEX login_challenges_expires ON login_challenges (expires_at);
