-- The evidence store: sources, records, redactions and the ledger.
-- Times are Unix microseconds (UTC). Hashes and salts are raw bytes.

CREATE TABLE sources (
	id          INTEGER PRIMARY KEY,
	kind        TEXT    NOT NULL,
	title       TEXT    NOT NULL,
	published   TEXT    NOT NULL,
	filename    TEXT    NOT NULL,
	media_type  TEXT    NOT NULL,
	size        INTEGER NOT NULL,
	sha256      BLOB    NOT NULL UNIQUE,
	imported_at INTEGER NOT NULL,
	imported_by TEXT    NOT NULL,
	records     INTEGER NOT NULL,
	salt        BLOB,
	commitment  BLOB    NOT NULL,
	ledger_idx  INTEGER NOT NULL
);

-- content is the record's canonical encoding (paradero.Record.Content):
-- the very bytes its commitment covers, so verification needs no
-- re-encoding. NULL, with salt, once redacted.
CREATE TABLE records (
	id         INTEGER PRIMARY KEY,
	source_id  INTEGER NOT NULL REFERENCES sources (id),
	row_no     INTEGER NOT NULL,
	content    TEXT,
	salt       BLOB,
	commitment BLOB    NOT NULL,
	created_at INTEGER NOT NULL,
	ledger_idx INTEGER NOT NULL
);
CREATE INDEX records_source ON records (source_id, id);

CREATE TABLE redactions (
	id         INTEGER PRIMARY KEY,
	record_id  INTEGER NOT NULL UNIQUE REFERENCES records (id),
	reason     TEXT    NOT NULL,
	created_at INTEGER NOT NULL,
	created_by TEXT    NOT NULL,
	salt       BLOB    NOT NULL,
	commitment BLOB    NOT NULL,
	signature  BLOB    NOT NULL,
	ledger_idx INTEGER NOT NULL
);

-- The ledger: entry idx is the leaf index; hashes holds the tree hashes
-- tlog.StoredHashes returned when the entry was appended, concatenated.
CREATE TABLE ledger_entries (
	idx     INTEGER PRIMARY KEY,
	kind    TEXT    NOT NULL,
	subject INTEGER NOT NULL,
	leaf    BLOB    NOT NULL,
	hashes  BLOB    NOT NULL
);

CREATE TABLE checkpoints (
	size       INTEGER PRIMARY KEY,
	hash       BLOB    NOT NULL,
	note       BLOB    NOT NULL,
	created_at INTEGER NOT NULL
);
