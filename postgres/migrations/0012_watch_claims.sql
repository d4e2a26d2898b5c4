-- Several watchers on one database (package watch, claims.go): each
-- round's jobs are claimed by one watcher at a time, under a lease that
-- ends unless renewed, so no locator is asked about one person by two
-- watchers at once and a watcher killed mid-round leaves its jobs to the
-- others. Leases run on the database's clock (clock_timestamp()), which
-- every watcher shares. Keys are watch keys or job names ("*…"), never
-- personal data; result is package watch's own encoding of a job's
-- answers (outcome, facility, the sighting), kept byte for byte.

-- The round each locator is in, and who judges it.
CREATE TABLE watch_rounds (
	locator     text        PRIMARY KEY,
	round       integer     NOT NULL,            -- the current round
	started_at  timestamptz NOT NULL,            -- when it began, by the watch's clock
	judged      integer     NOT NULL DEFAULT 0,  -- the last round whose state was saved
	judge       text,                            -- who judges round, until judge_until
	judge_until timestamptz
);

-- One claim per job of a locator: the round it was last claimed in, who
-- holds it until when, and its answer in that round.
CREATE TABLE watch_claims (
	locator     text        NOT NULL,
	key         text        NOT NULL,
	round       integer     NOT NULL DEFAULT 0,
	owner       text,
	lease_until timestamptz,
	answered    boolean     NOT NULL DEFAULT false,
	result      bytea,
	PRIMARY KEY (locator, key)
);
CREATE INDEX watch_claims_round ON watch_claims (locator, round, key);

-- The pace every watcher of a locator keeps: no request before next_at,
-- none at all before paused_until (a backoff, a Retry-After).
CREATE TABLE watch_pace (
	locator      text        PRIMARY KEY,
	next_at      timestamptz NOT NULL,
	paused_until timestamptz NOT NULL
);
