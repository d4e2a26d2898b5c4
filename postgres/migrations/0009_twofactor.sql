-- Two-factor sign-in (TOTP, RFC 6238, with recovery codes), as package
-- sqlite keeps it (its migration 0009). The confirmed secret stays in
-- users.totp_secret; this is the rest of the state.

-- One row per user who began enrolling. pending_secret is a secret shown
-- but not yet confirmed by a code: it signs no one in. last_step is the
-- time step of the last code accepted: no code of it or before works again.
CREATE TABLE twofactor (
	user_id        bigint PRIMARY KEY REFERENCES users (id),
	pending_secret bytea,
	last_step      bigint NOT NULL DEFAULT 0,
	enabled_at     timestamptz
);

-- Recovery codes, single-use, stored only as the SHA-256 of the user and
-- the code (web/twofactor.go); a spent code keeps when it was spent.
CREATE TABLE recovery_codes (
	user_id    bigint      NOT NULL REFERENCES users (id),
	code_hash  bytea       NOT NULL CHECK (length(code_hash) = 32),
	created_at timestamptz NOT NULL,
	used_at    timestamptz,
	PRIMARY KEY (user_id, code_hash)
);

-- A sign-in half done: the password was right, the second factor is to
-- come. Not a session: nothing but the second step accepts it. Found by
-- the SHA-256 of the browser's token.
CREATE TABLE login_challenges (
	token_hash bytea       PRIMARY KEY CHECK (length(token_hash) = 32),
	user_id    bigint      NOT NULL REFERENCES users (id),
	created_at timestamptz NOT NULL,
	expires_at timestamptz NOT NULL
);
CREATE INDEX login_challenges_user ON login_challenges (user_id);
CREATE INDEX login_challenges_expires ON login_challenges (expires_at);
