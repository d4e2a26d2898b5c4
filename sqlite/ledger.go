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
// stored now. It reads in one pass: the subjects are joined by primary key.
func (s *DB) ScanLedger(ctx context.Context, fn func(*paradero.LedgerItem) error) error {
	rows, err := s.db.QueryContext(ctx, `SELECT e.idx, e.kind, e.subject, e.leaf, e.hashes,
		s.id IS NOT NULL, `+prefixed("s.", sourceColumns)+`,
		r.id IS NOT NULL, `+prefixed("r.", recordColumns)+`,
		`+prefixed("x.", redactionColumns)+`
		FROM ledger_entries e
		LEFT JOIN sources s ON e.kind = 'source' AND s.id = e.subject
		LEFT JOIN records r ON e.kind = 'record' AND r.id = e.subject
		LEFT JOIN redactions x ON e.kind = 'redaction' AND x.id = e.subject
		ORDER BY e.idx`)
	if err != nil {
		return fmt.Errorf("sqlite: scan ledger: %w", err)
	}
	defer rows.Close()
	var (
		item           paradero.LedgerItem
		kind           string
		hasSrc, hasRec bool
		ss             = newSourceScanner()
		rs             = newRecordScanner()
		xs             = newNullRedactionScanner()
	)
	dest := []any{&item.Index, &kind, &item.Subject, &item.Leaf, &item.Hashes, &hasSrc}
	dest = append(dest, ss.dest...)
	dest = append(dest, &hasRec)
	dest = append(dest, rs.dest...)
	dest = append(dest, xs.dest...)
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return fmt.Errorf("sqlite: scan ledger: %w", err)
		}
		it := paradero.LedgerItem{Entry: item.Entry, Hashes: item.Hashes}
		it.Kind = paradero.EntryKind(kind)
		if hasSrc {
			if it.Source, err = ss.source(); err != nil {
				return &paradero.Error{Code: paradero.ETAMPERED, Message: fmt.Sprintf("source %d", item.Subject), Err: err}
			}
		}
		if hasRec {
			if it.Record, err = rs.record(); err != nil {
				return err
			}
		}
		if it.Redaction, err = xs.redaction(); err != nil {
			return err
		}
		if err := fn(&it); err != nil {
			return err
		}
	}
	return rows.Err()
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
