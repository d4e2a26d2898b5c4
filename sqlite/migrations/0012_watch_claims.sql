-- Watch claims (package watch, claims.go), as package postgres keeps them
-- (its migration 0012): each round's jobs are claimed by one watcher at a
-- time under a lease, every job's answer is kept with its claim until the
-- round is judged, and a round is judged once. One process uses the
-- embedded store, but the claims make a round it was killed in resume
-- where it stopped: answers kept are not asked again. Times are Unix
-- microseconds on the store's clock. Keys are watch keys or job names
-- ("*…"), never personal data; result is package watch's own encoding.

CREATE TABLE watch_rounds (
	locator     TEXT    PRIMARY KEY,
	round       INTEGER NOT NULL,            -- the current round
	started_at  INTEGER NOT NULL,            -- when it began, by the watch's clock
	judged      INTEGER NOT NULL DEFAULT 0,  -- the last round whose state was saved
	judge       TEXT,                        -- who judges round, until judge_until
	judge_until INTEGER
);

CREATE TABLE watch_claims (
	locator     TEXT    NOT NULL,
	key         TEXT    NOT NULL,
	round       INTEGER NOT NULL DEFAULT 0,
	owner       TEXT,
	lease_until INTEGER,
	answered    INTEGER NOT NULL DEFAULT 0,
	result      BLOB,
	PRIMARY KEY (locator, key)
);
CREATE INDEX watch_claims_round ON watch_claims (locator, round, key);
