package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/paradero/paradero"
)

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// readHashes reads stored tree hashes by tlog stored-hash index from the
// entries that hold them (paradero.StoredHashLocation).
func readHashes(ctx context.Context, q querier, indexes []int64) ([]paradero.Hash, error) {
	out := make([]paradero.Hash, len(indexes))
	for i, x := range indexes {
		n, off := paradero.StoredHashLocation(x)
		rows, err := q.QueryContext(ctx, `SELECT substr(hashes, ?, 32) FROM ledger_entries WHERE idx = ?`, off+1, n)
		if err != nil {
			return nil, fmt.Errorf("sqlite: read tree hash %d: %w", x, err)
		}
		var b []byte
		found := rows.Next()
		if found {
			err = rows.Scan(&b)
		}
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("sqlite: read tree hash %d: %w", x, err)
		}
		if !found {
			return nil, paradero.Errorf(paradero.ENOTFOUND, "tree hash %d: ledger entry %d is missing", x, n)
		}
		if out[i], err = hashFrom(b); err != nil {
			return nil, fmt.Errorf("sqlite: tree hash %d: %w", x, err)
		}
	}
	return out, nil
}

// LedgerSize returns the number of entries.
func (s *DB) LedgerSize(ctx context.Context) (int64, error) {
	var n int64
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM ledger_entries`).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlite: ledger size: %w", err)
	}
	return n, nil
}

// ReadHashes reads stored tree hashes by tlog stored-hash index.
func (s *DB) ReadHashes(ctx context.Context, indexes []int64) ([]paradero.Hash, error) {
	return readHashes(ctx, s.db, indexes)
}

// FindEntry returns the entry at index.
func (s *DB) FindEntry(ctx context.Context, index int64) (*paradero.Entry, error) {
	var (
		e    paradero.Entry
		kind string
	)
	err := s.db.QueryRowContext(ctx, `SELECT idx, kind, subject, leaf FROM ledger_entries WHERE idx = ?`, index).
		Scan(&e.Index, &kind, &e.Subject, &e.Leaf)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, paradero.Errorf(paradero.ENOTFOUND, "ledger entry %d not found", index)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: find entry %d: %w", index, err)
	}
	e.Kind = paradero.EntryKind(kind)
	return &e, nil
}

// ScanLedger calls fn for every entry in index order, with its subject as
// stored now. It reads in one read transaction, so it sees one consistent
// state, and merges four scans in primary-key order — entries, sources,
// records, redactions — rather than joining: subjects come in the order of
// their entries, and a scan reads only the columns of its own table. A
// subject out of that order (rows reordered behind the store's back) is
// looked up by id.
func (s *DB) ScanLedger(ctx context.Context, fn func(*paradero.LedgerItem) error) error {
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("sqlite: scan ledger: %w", err)
	}
	defer tx.Rollback()
	ss, rs, xs, vs := newSourceScanner(), newRecordScanner(), newNullRedactionScanner(), newReviewScanner()
	sources := &cursor{tx: tx, table: "sources", cols: sourceColumns, dest: ss.dest, id: &ss.id}
	records := &cursor{tx: tx, table: "records", cols: recordColumns, dest: rs.dest, id: &rs.id}
	redactions := &cursor{tx: tx, table: "redactions", cols: redactionColumns, dest: xs.dest, id: &xs.id}
	reviews := &cursor{tx: tx, table: "reviews", cols: reviewColumns, dest: vs.dest, id: &vs.id}
	defer reviews.close()
	defer sources.close()
	defer records.close()
	defer redactions.close()

	rows, err := tx.QueryContext(ctx, `SELECT idx, kind, subject, leaf, hashes FROM ledger_entries ORDER BY idx`)
	if err != nil {
		return fmt.Errorf("sqlite: scan ledger: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			it   paradero.LedgerItem
			kind string
		)
		if err := rows.Scan(&it.Index, &kind, &it.Subject, &it.Leaf, &it.Hashes); err != nil {
			return fmt.Errorf("sqlite: scan ledger: %w", err)
		}
		it.Kind = paradero.EntryKind(kind)
		var found bool
		switch it.Kind {
		case paradero.EntrySource:
			if found, err = sources.seek(ctx, it.Subject); found {
				it.Source, err = ss.source()
			}
		case paradero.EntryRecord:
			if found, err = records.seek(ctx, it.Subject); found {
				if it.Record, err = rs.meta(); err == nil && rs.content.Valid {
					it.Content = []byte(rs.content.String)
				}
			}
		case paradero.EntryRedaction:
			if found, err = redactions.seek(ctx, it.Subject); found {
				it.Redaction, err = xs.redaction()
			}
		case paradero.EntryReview:
			if found, err = reviews.seek(ctx, it.Subject); found {
				it.Review, err = vs.review()
			}
		}
		if err != nil {
			return fmt.Errorf("sqlite: scan ledger entry %d: %w", it.Index, err)
		}
		if err := fn(&it); err != nil {
			return err
		}
	}
	return rows.Err()
}

// cursor walks one table in id order, for ScanLedger.
type cursor struct {
	tx          *sql.Tx
	table, cols string
	dest        []any
	id          *sql.NullInt64 // the id column among dest
	rows        *sql.Rows
	done        bool
	has         bool // dest holds a row not yet passed
}

// seek fills dest with the row of this id and reports whether there is one.
func (c *cursor) seek(ctx context.Context, id int64) (bool, error) {
	if c.rows == nil && !c.done {
		var err error
		// The table and column names are constants of this package.
		if c.rows, err = c.tx.QueryContext(ctx, `SELECT `+c.cols+` FROM `+c.table+` ORDER BY id`); err != nil {
			return false, err
		}
	}
	for !c.done && (!c.has || c.id.Int64 < id) {
		if !c.rows.Next() {
			c.done = true
			c.has = false
			if err := c.rows.Err(); err != nil {
				return false, err
			}
			break
		}
		if err := c.rows.Scan(c.dest...); err != nil {
			return false, err
		}
		c.has = true
	}
	if c.has && c.id.Int64 == id {
		return true, nil
	}
	// Out of order, or past the end: look it up directly. The scan's row in
	// dest is overwritten, so the scan must read its next one afresh.
	c.has = false
	err := c.tx.QueryRowContext(ctx, `SELECT `+c.cols+` FROM `+c.table+` WHERE id = ?`, id).Scan(c.dest...)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

func (c *cursor) close() {
	if c.rows != nil {
		c.rows.Close()
	}
}

// FindUnledgered returns rows that no ledger entry covers.
func (s *DB) FindUnledgered(ctx context.Context, limit int) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `
		SELECT 'source', id FROM sources t WHERE NOT EXISTS (
			SELECT 1 FROM ledger_entries e WHERE e.idx = t.ledger_idx AND e.kind = 'source' AND e.subject = t.id)
		UNION ALL
		SELECT 'record', id FROM records t WHERE NOT EXISTS (
			SELECT 1 FROM ledger_entries e WHERE e.idx = t.ledger_idx AND e.kind = 'record' AND e.subject = t.id)
		UNION ALL
		SELECT 'redaction', id FROM redactions t WHERE NOT EXISTS (
			SELECT 1 FROM ledger_entries e WHERE e.idx = t.ledger_idx AND e.kind = 'redaction' AND e.subject = t.id)
		UNION ALL
		SELECT 'review', id FROM reviews t WHERE NOT EXISTS (
			SELECT 1 FROM ledger_entries e WHERE e.idx = t.ledger_idx AND e.kind = 'review' AND e.subject = t.id)
		LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: find unledgered: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var (
			kind string
			id   int64
		)
		if err := rows.Scan(&kind, &id); err != nil {
			return nil, err
		}
		out = append(out, fmt.Sprintf("%s %d", kind, id))
	}
	return out, rows.Err()
}

// AddCheckpoint stores a signed checkpoint.
func (s *DB) AddCheckpoint(ctx context.Context, c *paradero.Checkpoint) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return &paradero.Error{Code: paradero.EUNAVAILABLE, Op: "sqlite.AddCheckpoint", Err: err}
	}
	defer tx.Rollback()
	var prev []byte
	err = tx.QueryRowContext(ctx, `SELECT hash FROM checkpoints WHERE size = ?`, c.Size).Scan(&prev)
	switch {
	case err == nil:
		if string(prev) != string(c.Hash[:]) {
			return paradero.Errorf(paradero.ECONFLICT, "a checkpoint of size %d with another hash is stored", c.Size)
		}
		return nil
	case !errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("sqlite: add checkpoint: %w", err)
	}
	c.CreatedAt = paradero.Timestamp(c.CreatedAt)
	if _, err := tx.ExecContext(ctx, `INSERT INTO checkpoints (size, hash, note, created_at) VALUES (?, ?, ?, ?)`,
		c.Size, c.Hash[:], c.Note, c.CreatedAt.UnixMicro()); err != nil {
		return fmt.Errorf("sqlite: add checkpoint: %w", err)
	}
	return tx.Commit()
}

func (s *DB) queryCheckpoints(ctx context.Context, query string) ([]*paradero.Checkpoint, error) {
	rows, err := s.db.QueryContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("sqlite: checkpoints: %w", err)
	}
	defer rows.Close()
	var out []*paradero.Checkpoint
	for rows.Next() {
		var (
			c  paradero.Checkpoint
			h  []byte
			at int64
		)
		if err := rows.Scan(&c.Size, &h, &c.Note, &at); err != nil {
			return nil, fmt.Errorf("sqlite: checkpoints: %w", err)
		}
		if c.Hash, err = hashFrom(h); err != nil {
			return nil, err
		}
		c.CreatedAt = fromMicros(at)
		out = append(out, &c)
	}
	return out, rows.Err()
}

// LatestCheckpoint returns the checkpoint of the largest size.
func (s *DB) LatestCheckpoint(ctx context.Context) (*paradero.Checkpoint, error) {
	cs, err := s.queryCheckpoints(ctx, `SELECT size, hash, note, created_at FROM checkpoints ORDER BY size DESC LIMIT 1`)
	if err != nil {
		return nil, err
	}
	if len(cs) == 0 {
		return nil, paradero.Errorf(paradero.ENOTFOUND, "no checkpoint yet")
	}
	return cs[0], nil
}

// FindCheckpoints returns every checkpoint, smallest first.
func (s *DB) FindCheckpoints(ctx context.Context) ([]*paradero.Checkpoint, error) {
	return s.queryCheckpoints(ctx, `SELECT size, hash, note, created_at FROM checkpoints ORDER BY size`)
}
