-- The locator watch: when each snapshot was seen, and each locator's state.
-- Snapshots themselves are sources (kind locator-snapshot) imported through
-- the ordinary import path, so they are in the ledger; identical
-- consecutive answers are one source seen many times. locator and key are
-- a watch's own names, never personal data. Times are Unix microseconds.

CREATE TABLE watch_sightings (
	id        INTEGER PRIMARY KEY,
	locator   TEXT    NOT NULL,
	key       TEXT    NOT NULL,
	source_id INTEGER NOT NULL REFERENCES sources (id),
	seen_at   INTEGER NOT NULL,
	new       INTEGER NOT NULL -- 1 if the answer was stored by this sighting
);
CREATE INDEX watch_sightings_key ON watch_sightings (locator, key, id);

-- state is package watch's own encoding (JSON).
CREATE TABLE watch_state (
	locator    TEXT    PRIMARY KEY,
	state      BLOB    NOT NULL,
	updated_at INTEGER NOT NULL
);
