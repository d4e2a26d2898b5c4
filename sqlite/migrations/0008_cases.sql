-- Cases and violations: documentation kept beside the evidence, outside the
-- ledger. Every write appends a row to case_changes (who, when, what) in
-- its own transaction. People are linked through a record (the anchor),
-- never a person id: linkage may move person ids, a record never changes.
-- Dates are ISO 8601 text at their precision ('', '2025', '2025-03',
-- '2025-03-16'), so full dates sort as text; times are Unix microseconds.

CREATE TABLE cases (
	id         INTEGER PRIMARY KEY,
	kind       TEXT    NOT NULL,
	title      TEXT    NOT NULL,
	court      TEXT    NOT NULL,
	number     TEXT    NOT NULL,
	status     TEXT    NOT NULL,
	opened     TEXT    NOT NULL,
	closed     TEXT    NOT NULL,
	notes      TEXT    NOT NULL,
	created_at INTEGER NOT NULL,
	created_by TEXT    NOT NULL,
	updated_at INTEGER NOT NULL,
	updated_by TEXT    NOT NULL
);

CREATE TABLE case_people (
	case_id   INTEGER NOT NULL REFERENCES cases (id),
	record_id INTEGER NOT NULL REFERENCES records (id),
	person_id INTEGER NOT NULL, -- the record's person when linked; history only
	added_at  INTEGER NOT NULL,
	added_by  TEXT    NOT NULL,
	PRIMARY KEY (case_id, record_id)
);
CREATE INDEX case_people_record ON case_people (record_id, case_id);

CREATE TABLE case_lawyers (
	case_id     INTEGER NOT NULL REFERENCES cases (id),
	user_id     INTEGER NOT NULL REFERENCES users (id),
	assigned_at INTEGER NOT NULL,
	assigned_by TEXT    NOT NULL,
	PRIMARY KEY (case_id, user_id)
);
CREATE INDEX case_lawyers_user ON case_lawyers (user_id, case_id);

CREATE TABLE case_deadlines (
	id          INTEGER PRIMARY KEY,
	case_id     INTEGER NOT NULL REFERENCES cases (id),
	kind        TEXT    NOT NULL,
	due         TEXT    NOT NULL, -- a full date
	time        TEXT    NOT NULL, -- 'HH:MM', the court's local time, or ''
	what        TEXT    NOT NULL,
	status      TEXT    NOT NULL,
	remind_on   TEXT    NOT NULL, -- a full date, or '' for no reminder
	reminded_at INTEGER,
	created_at  INTEGER NOT NULL,
	created_by  TEXT    NOT NULL,
	updated_at  INTEGER NOT NULL,
	updated_by  TEXT    NOT NULL
);
CREATE INDEX case_deadlines_case ON case_deadlines (case_id, due);
CREATE INDEX case_deadlines_due ON case_deadlines (due) WHERE status = 'pending';
CREATE INDEX case_deadlines_remind ON case_deadlines (remind_on)
	WHERE status = 'pending' AND remind_on <> '' AND reminded_at IS NULL;

CREATE TABLE case_orders (
	id            INTEGER PRIMARY KEY,
	case_id       INTEGER NOT NULL REFERENCES cases (id),
	date          TEXT    NOT NULL,
	kind          TEXT    NOT NULL,
	text          TEXT    NOT NULL,
	obeyed        TEXT    NOT NULL,
	obeyed_source INTEGER REFERENCES sources (id), -- NULL when none
	obeyed_note   TEXT    NOT NULL,
	created_at    INTEGER NOT NULL,
	created_by    TEXT    NOT NULL,
	updated_at    INTEGER NOT NULL,
	updated_by    TEXT    NOT NULL
);
CREATE INDEX case_orders_case ON case_orders (case_id, date);

CREATE TABLE case_documents (
	case_id   INTEGER NOT NULL REFERENCES cases (id),
	source_id INTEGER NOT NULL REFERENCES sources (id),
	note      TEXT    NOT NULL,
	added_at  INTEGER NOT NULL,
	added_by  TEXT    NOT NULL,
	PRIMARY KEY (case_id, source_id)
);

CREATE TABLE violations (
	id          INTEGER PRIMARY KEY,
	type        TEXT    NOT NULL,
	date_from   TEXT    NOT NULL,
	date_to     TEXT    NOT NULL,
	place       TEXT    NOT NULL,
	perpetrator TEXT    NOT NULL,
	group_name  TEXT    NOT NULL,
	case_id     INTEGER REFERENCES cases (id), -- NULL when none
	notes       TEXT    NOT NULL,
	created_at  INTEGER NOT NULL,
	created_by  TEXT    NOT NULL,
	updated_at  INTEGER NOT NULL,
	updated_by  TEXT    NOT NULL
);
CREATE INDEX violations_case ON violations (case_id) WHERE case_id IS NOT NULL;
CREATE INDEX violations_type ON violations (type, id);
CREATE INDEX violations_date ON violations (date_from DESC, id DESC);

CREATE TABLE violation_victims (
	violation_id INTEGER NOT NULL REFERENCES violations (id),
	record_id    INTEGER NOT NULL REFERENCES records (id),
	person_id    INTEGER NOT NULL, -- the record's person when recorded; history only
	PRIMARY KEY (violation_id, record_id)
);
CREATE INDEX violation_victims_record ON violation_victims (record_id, violation_id);

-- record_id 0 cites the whole source.
CREATE TABLE violation_sources (
	violation_id INTEGER NOT NULL REFERENCES violations (id),
	source_id    INTEGER NOT NULL REFERENCES sources (id),
	record_id    INTEGER NOT NULL,
	PRIMARY KEY (violation_id, source_id, record_id)
);

-- Who changed what, when: ids and field names, never values. Append-only,
-- like the audit log.
CREATE TABLE case_changes (
	id      INTEGER PRIMARY KEY,
	subject TEXT    NOT NULL, -- 'case:12', 'violation:3'
	at      INTEGER NOT NULL,
	actor   TEXT    NOT NULL,
	action  TEXT    NOT NULL,
	object  TEXT    NOT NULL,
	fields  TEXT    NOT NULL
);
CREATE INDEX case_changes_subject ON case_changes (subject, id);
CREATE TRIGGER case_changes_no_update BEFORE UPDATE ON case_changes
BEGIN SELECT RAISE(ABORT, 'the history of changes is append-only'); END;
CREATE TRIGGER case_changes_no_delete BEFORE DELETE ON case_changes
BEGIN SELECT RAISE(ABORT, 'the history of changes is append-only'); END;
