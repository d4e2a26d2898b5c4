-- Tracing requests: a family member's request to find someone, staff's
-- verification of the requester, their decisions on candidate records and
-- the answer (paradero.TracingRequest). Times are Unix microseconds (UTC);
-- "by" columns hold actor names ("user:3"), as the audit log does.

CREATE TABLE tracing_requests (
	id                 INTEGER PRIMARY KEY,
	ref                TEXT    NOT NULL UNIQUE, -- paradero.NewTracingRef: what the requester sees
	requester_id       INTEGER NOT NULL REFERENCES users (id),
	state              TEXT    NOT NULL,
	sought_name        TEXT    NOT NULL,
	sought_other_names TEXT    NOT NULL,
	sought_birth_date  TEXT    NOT NULL,        -- ISO partial date, '' if unknown
	sought_age         TEXT    NOT NULL,
	sought_nationality TEXT    NOT NULL,
	last_seen_place    TEXT    NOT NULL,
	last_seen_date     TEXT    NOT NULL,
	details            TEXT    NOT NULL,
	relationship       TEXT    NOT NULL,
	contact            TEXT    NOT NULL,
	created_at         INTEGER NOT NULL,
	updated_at         INTEGER NOT NULL,
	verify_method      TEXT,                    -- NULL until verified
	verify_note        TEXT,
	verified_by        TEXT,
	verified_at        INTEGER,
	answer_outcome     TEXT,                    -- NULL until answered
	answer_person      INTEGER,
	answer_message     TEXT,
	answered_by        TEXT,
	answered_at        INTEGER,
	close_reason       TEXT,                    -- NULL unless closed
	close_note         TEXT,
	closed_by          TEXT,
	closed_at          INTEGER
);
CREATE INDEX tracing_requests_requester ON tracing_requests (requester_id, id);
CREATE INDEX tracing_requests_state ON tracing_requests (state, id);

-- The records a located answer rests on.
CREATE TABLE tracing_answer_records (
	request_id INTEGER NOT NULL REFERENCES tracing_requests (id),
	record_id  INTEGER NOT NULL REFERENCES records (id),
	position   INTEGER NOT NULL,
	PRIMARY KEY (request_id, record_id)
);

-- Staff's decisions on candidate records, kept like reviews: never
-- changed, the latest for a (request, record) in force.
CREATE TABLE tracing_candidates (
	id         INTEGER PRIMARY KEY,
	request_id INTEGER NOT NULL REFERENCES tracing_requests (id),
	record_id  INTEGER NOT NULL REFERENCES records (id),
	verdict    TEXT    NOT NULL,
	note       TEXT    NOT NULL,
	decided_by TEXT    NOT NULL,
	decided_at INTEGER NOT NULL
);
CREATE INDEX tracing_candidates_request ON tracing_candidates (request_id, record_id, id);
CREATE TRIGGER tracing_candidates_no_update BEFORE UPDATE ON tracing_candidates
BEGIN SELECT RAISE(ABORT, 'candidate decisions are never changed'); END;
CREATE TRIGGER tracing_candidates_no_delete BEFORE DELETE ON tracing_candidates
BEGIN SELECT RAISE(ABORT, 'candidate decisions are never changed'); END;
