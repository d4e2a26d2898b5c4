-- Alerts: who follows what, the notices of changes, the alerts (digests)
-- folded from them per follower, and the outbox of their deliveries. A
-- notice holds ids, facility names and times, never a person's name or
-- number. Times are Unix microseconds.

CREATE TABLE follows (
	id         INTEGER PRIMARY KEY,
	user_id    INTEGER NOT NULL REFERENCES users (id),
	kind       TEXT    NOT NULL, -- person, watch, case, facility
	object     TEXT    NOT NULL,
	created_at INTEGER NOT NULL,
	UNIQUE (user_id, kind, object)
);
CREATE INDEX follows_object ON follows (kind, object);

CREATE TABLE alert_notices (
	id            INTEGER PRIMARY KEY,
	kind          TEXT    NOT NULL,
	change        TEXT    NOT NULL,
	at            INTEGER NOT NULL,
	locator       TEXT    NOT NULL,
	watch_key     TEXT    NOT NULL,
	person_id     INTEGER NOT NULL,
	from_facility TEXT    NOT NULL,
	to_facility   TEXT    NOT NULL,
	source_id     INTEGER NOT NULL,
	detail        TEXT    NOT NULL,
	created_at    INTEGER NOT NULL,
	UNIQUE (locator, watch_key, change, at)
);

-- One alert per follower per fold: the in-app list and what is delivered.
CREATE TABLE alerts (
	id         INTEGER PRIMARY KEY,
	user_id    INTEGER NOT NULL REFERENCES users (id),
	created_at INTEGER NOT NULL
);
CREATE INDEX alerts_user ON alerts (user_id, id);

-- A notice queued for a follower; alert_id is set when it is folded.
CREATE TABLE alert_items (
	id         INTEGER PRIMARY KEY,
	user_id    INTEGER NOT NULL REFERENCES users (id),
	notice_id  INTEGER NOT NULL REFERENCES alert_notices (id),
	created_at INTEGER NOT NULL,
	alert_id   INTEGER REFERENCES alerts (id),
	UNIQUE (user_id, notice_id)
);
CREATE INDEX alert_items_pending ON alert_items (user_id) WHERE alert_id IS NULL;
CREATE INDEX alert_items_alert ON alert_items (alert_id);

-- The outbox: one row per alert and channel, sent at least once.
CREATE TABLE alert_outbox (
	id              INTEGER PRIMARY KEY,
	alert_id        INTEGER NOT NULL REFERENCES alerts (id),
	channel         TEXT    NOT NULL,
	idempotency_key TEXT    NOT NULL UNIQUE,
	attempts        INTEGER NOT NULL DEFAULT 0,
	next_at         INTEGER NOT NULL,
	sent_at         INTEGER,
	given_up_at     INTEGER,
	last_error      TEXT    NOT NULL DEFAULT '' -- a status or a code, never personal data
);
CREATE INDEX alert_outbox_due ON alert_outbox (next_at) WHERE sent_at IS NULL AND given_up_at IS NULL;
