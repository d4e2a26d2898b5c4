package sqlite

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"

	"github.com/paradero/paradero"
)

var _ paradero.WatchService = (*DB)(nil)

// RecordSnapshot stores a locator's answer as a source through the import
// path (BeginImport: byte for byte, in the ledger) unless the same bytes
// are stored already — the previous answer to the same query, or any other
// source — and records the sighting either way. The import and the
// sighting are two transactions: a crash between them leaves a stored
// answer without its sighting, never a sighting without its answer.
func (s *DB) RecordSnapshot(ctx context.Context, snap *paradero.Snapshot) (*paradero.Sighting, error) {
	const op = "sqlite.RecordSnapshot"
	if snap.Locator == "" || snap.Key == "" {
		return nil, paradero.Errorf(paradero.EINVALID, "a snapshot needs a locator and a key")
	}
	sum := paradero.Hash(sha256.Sum256(snap.Body))
	sg := &paradero.Sighting{Locator: snap.Locator, Key: snap.Key, SeenAt: paradero.Timestamp(snap.ObservedAt)}

	// The common case: the same answer as last time.
	var lastSum []byte
	var lastID int64
	err := s.db.QueryRowContext(ctx, `SELECT s.id, s.sha256 FROM watch_sightings w JOIN sources s ON s.id = w.source_id
		WHERE w.locator = ? AND w.key = ? ORDER BY w.id DESC LIMIT 1`, snap.Locator, snap.Key).Scan(&lastID, &lastSum)
	switch {
	case err == nil && bytes.Equal(lastSum, sum[:]):
		sg.SourceID = lastID
	case err != nil && !errors.Is(err, sql.ErrNoRows):
		return nil, fmt.Errorf("%s: last sighting: %w", op, err)
	default:
		id, isNew, err := s.importSnapshot(ctx, snap, sum)
		if err != nil {
			return nil, err
		}
		sg.SourceID, sg.New = id, isNew
	}
	res, err := s.db.ExecContext(ctx, `INSERT INTO watch_sightings (locator, key, source_id, seen_at, new) VALUES (?, ?, ?, ?, ?)`,
		sg.Locator, sg.Key, sg.SourceID, sg.SeenAt.UnixMicro(), sg.New)
	if err != nil {
		return nil, fmt.Errorf("%s: sighting: %w", op, err)
	}
	if _, err := res.LastInsertId(); err != nil {
		return nil, fmt.Errorf("%s: sighting: %w", op, err)
	}
	return sg, nil
}

// importSnapshot imports the snapshot's body and records, or finds the
// source that already has these bytes.
func (s *DB) importSnapshot(ctx context.Context, snap *paradero.Snapshot, sum paradero.Hash) (int64, bool, error) {
	if prev, err := s.FindSourceBySHA256(ctx, sum); err == nil {
		return prev.ID, false, nil
	} else if paradero.ErrorCode(err) != paradero.ENOTFOUND {
		return 0, false, err
	}
	src := snap.Source
	src.SHA256 = sum
	if src.Kind == "" {
		src.Kind = paradero.KindLocatorSnapshot
	}
	im, err := s.BeginImport(ctx, &src, bytes.NewReader(snap.Body))
	if paradero.ErrorCode(err) == paradero.ECONFLICT {
		prev, err := s.FindSourceBySHA256(ctx, sum)
		if err != nil {
			return 0, false, err
		}
		return prev.ID, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	defer im.Rollback()
	for _, r := range snap.Records {
		c := *r
		if err := im.AddRecord(ctx, &c); err != nil {
			return 0, false, err
		}
	}
	saved, err := im.Commit(ctx)
	if paradero.ErrorCode(err) == paradero.ECONFLICT {
		prev, err := s.FindSourceBySHA256(ctx, sum)
		if err != nil {
			return 0, false, err
		}
		return prev.ID, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	return saved.ID, true, nil
}

// FindSightings returns the sightings of one watch entry, oldest first.
func (s *DB) FindSightings(ctx context.Context, locator, key string, limit int) ([]*paradero.Sighting, error) {
	if limit <= 0 {
		limit = -1
	}
	rows, err := s.db.QueryContext(ctx, `SELECT source_id, seen_at, new FROM watch_sightings
		WHERE locator = ? AND key = ? ORDER BY id LIMIT ?`, locator, key, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: find sightings: %w", err)
	}
	defer rows.Close()
	var out []*paradero.Sighting
	for rows.Next() {
		sg := &paradero.Sighting{Locator: locator, Key: key}
		var at int64
		if err := rows.Scan(&sg.SourceID, &at, &sg.New); err != nil {
			return nil, fmt.Errorf("sqlite: find sightings: %w", err)
		}
		sg.SeenAt = fromMicros(at)
		out = append(out, sg)
	}
	return out, rows.Err()
}

// LoadWatchState returns ENOTFOUND if nothing was saved for locator.
func (s *DB) LoadWatchState(ctx context.Context, locator string) ([]byte, error) {
	var b []byte
	err := s.db.QueryRowContext(ctx, `SELECT state FROM watch_state WHERE locator = ?`, locator).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, paradero.Errorf(paradero.ENOTFOUND, "no watch state for locator %s", locator)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: load watch state: %w", err)
	}
	return b, nil
}

// SaveWatchState replaces the state saved for locator.
func (s *DB) SaveWatchState(ctx context.Context, locator string, state []byte) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO watch_state (locator, state, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (locator) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`,
		locator, state, s.timestamp().UnixMicro())
	if err != nil {
		return fmt.Errorf("sqlite: save watch state: %w", err)
	}
	return nil
}
