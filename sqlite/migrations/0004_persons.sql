-- Persons found by record linkage, reviewers' decisions, and lineage.

-- Reviews are ledger entries, like records: never updated or deleted.
CREATE TABLE reviews (
	id         INTEGER PRIMARY KEY,
	record_a   INTEGER NOT NULL REFERENCES records (id),
	record_b   INTEGER NOT NULL REFERENCES records (id),
	verdict    TEXT    NOT NULL,
	reason     TEXT    NOT NULL,
	created_by TEXT    NOT NULL,
	created_at INTEGER NOT NULL,
	salt       BLOB    NOT NULL,
	commitment BLOB    NOT NULL,
	ledger_idx INTEGER NOT NULL
);
CREATE INDEX reviews_pair ON reviews (record_a, record_b, id);

CREATE TABLE link_runs (
	id              INTEGER PRIMARY KEY,
	created_at      INTEGER NOT NULL,
	created_by      TEXT    NOT NULL,
	records         INTEGER NOT NULL,
	persons         INTEGER NOT NULL,
	candidate_pairs INTEGER NOT NULL,
	settings        TEXT    NOT NULL
);

-- The person each record belongs to now; derived, rebuilt by each run.
CREATE TABLE person_records (
	record_id INTEGER PRIMARY KEY REFERENCES records (id),
	person_id INTEGER NOT NULL
);
CREATE INDEX person_records_person ON person_records (person_id);

-- Every record a person ever held: from the run that added it until the
-- run that took it away (NULL while it belongs).
CREATE TABLE person_lineage (
	person_id INTEGER NOT NULL,
	record_id INTEGER NOT NULL,
	from_run  INTEGER NOT NULL REFERENCES link_runs (id),
	until_run INTEGER REFERENCES link_runs (id)
);
CREATE INDEX person_lineage_person ON person_lineage (person_id);
CREATE INDEX person_lineage_open ON person_lineage (record_id) WHERE until_run IS NULL;

CREATE TABLE review_queue (
	record_a    INTEGER NOT NULL,
	record_b    INTEGER NOT NULL,
	probability REAL    NOT NULL,
	weight      REAL    NOT NULL,
	explanation TEXT    NOT NULL,
	PRIMARY KEY (record_a, record_b)
);
