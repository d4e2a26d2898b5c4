-- The search index (sqlite/search.go). Derived from records, rebuilt at
-- will: a term is a prefixed, normalised word of a record ("n:perez" a
-- name word, "p:PERES" its Spanish phonetic key, "k:jose" a name a
-- nickname stands for, "b:1990-04-02" a birth date, "bp:1990" a prefix of
-- a more precise one, "bs:1990-02-04" the date with day and month swapped,
-- "a:123456789" an A-number, "f:cecot" a facility word).
CREATE TABLE search_terms (
	term      TEXT    NOT NULL,
	record_id INTEGER NOT NULL REFERENCES records (id),
	PRIMARY KEY (term, record_id)
) WITHOUT ROWID;
-- To remove a redacted record's terms, whose content is gone.
CREATE INDEX search_terms_record ON search_terms (record_id);

-- Every distinct name word of length four or more, under itself and under
-- each of its one-letter deletions, so that a word typed with one error
-- finds it (symmetric deletion, as in SymSpell).
CREATE TABLE search_vocab (
	del   TEXT NOT NULL,
	token TEXT NOT NULL,
	PRIMARY KEY (del, token)
) WITHOUT ROWID;
CREATE INDEX search_vocab_token ON search_vocab (token);

-- How far the index has got: the last record indexed and the last
-- redaction applied.
CREATE TABLE search_state (
	id             INTEGER PRIMARY KEY CHECK (id = 1),
	last_record    INTEGER NOT NULL,
	last_redaction INTEGER NOT NULL
);
INSERT INTO search_state (id, last_record, last_redaction) VALUES (1, 0, 0);
