package postgres

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/paradero/paradero"
)

var _ paradero.WatchService = (*DB)(nil)

// RecordSnapshot stores a locator's answer as a source through the import
// path (BeginImport: byte for byte, in the ledger) unless a source with the
// same bytes is stored already — the previous answer to the same query, or
// any other source — and records the sighting either way, as package
// sqlite does.
//
// Sources are unique by SHA-256, so "the same as last time" and "stored
// already" are one test: the common case is a single INSERT … SELECT that
// writes the sighting if a source has these bytes. Otherwise the answer is
// imported and its sighting written in the import's transaction, so the
// two commit together (package sqlite uses two transactions there). An
// import that loses a race to store the same bytes falls back to the
// single statement.
func (s *DB) RecordSnapshot(ctx context.Context, snap *paradero.Snapshot) (*paradero.Sighting, error) {
	const op = "postgres.RecordSnapshot"
	if snap.Locator == "" || snap.Key == "" {
		return nil, paradero.Errorf(paradero.EINVALID, "a snapshot needs a locator and a key")
	}
	if !validText(snap.Locator) || !validText(snap.Key) {
		return nil, paradero.Errorf(paradero.EINVALID, "a snapshot's locator and key must be UTF-8 text without NUL bytes")
	}
	sum := paradero.Hash(sha256.Sum256(snap.Body))
	sg := &paradero.Sighting{Locator: snap.Locator, Key: snap.Key, SeenAt: paradero.Timestamp(snap.ObservedAt)}
	for range 2 {
		ok, err := s.sightStored(ctx, sg, sum)
		if err == nil && !ok {
			// Another import may store these bytes first: then sight its
			// source on the next turn.
			ok, err = s.importSnapshot(ctx, snap, sum, sg)
		}
		if err != nil {
			return nil, err
		}
		if ok {
			return sg, nil
		}
	}
	return nil, &paradero.Error{Code: paradero.EINTERNAL, Op: op, Message: "the snapshot's source is neither new nor stored"}
}

// sightStored writes the sighting if a source has these bytes, and
// reports whether one had.
func (s *DB) sightStored(ctx context.Context, sg *paradero.Sighting, sum paradero.Hash) (bool, error) {
	err := s.pool.QueryRow(ctx, `INSERT INTO watch_sightings (locator, key, source_id, seen_at, new)
		SELECT $1, $2, id, $3, false FROM sources WHERE sha256 = $4 RETURNING source_id`,
		sg.Locator, sg.Key, sg.SeenAt, sum[:]).Scan(&sg.SourceID)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, internal("postgres.RecordSnapshot", err)
	}
	sg.New = false
	return true, nil
}

// importSnapshot imports the snapshot's body and records and writes the
// sighting in the same transaction. It reports false, and stores nothing,
// if a source with these bytes exists by the time the import holds the
// ledger lock.
func (s *DB) importSnapshot(ctx context.Context, snap *paradero.Snapshot, sum paradero.Hash, sg *paradero.Sighting) (bool, error) {
	const op = "postgres.RecordSnapshot"
	src := snap.Source
	src.SHA256 = sum
	if src.Kind == "" {
		src.Kind = paradero.KindLocatorSnapshot
	}
	imp, err := s.BeginImport(ctx, &src, bytes.NewReader(snap.Body))
	if paradero.ErrorCode(err) == paradero.ECONFLICT {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer imp.Rollback()
	for _, r := range snap.Records {
		c := *r
		if err := imp.AddRecord(ctx, &c); err != nil {
			return false, err
		}
	}
	im := imp.(*importer)
	// The import's transaction is the writer goroutine's until it is done.
	if err := im.wait(); err != nil {
		return false, err
	}
	if _, err := im.tx.Exec(ctx, `INSERT INTO watch_sightings (locator, key, source_id, seen_at, new) VALUES ($1, $2, $3, $4, true)`,
		sg.Locator, sg.Key, im.src.ID, sg.SeenAt); err != nil {
		return false, internal(op, err)
	}
	saved, err := im.Commit(ctx)
	if paradero.ErrorCode(err) == paradero.ECONFLICT {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	sg.SourceID, sg.New = saved.ID, true
	return true, nil
}

// FindSightings returns the sightings of one watch entry, oldest first;
// limit ≤ 0 means all.
func (s *DB) FindSightings(ctx context.Context, locator, key string, limit int) ([]*paradero.Sighting, error) {
	const op = "postgres.FindSightings"
	var lim *int
	if limit > 0 {
		lim = &limit
	}
	rows, err := s.pool.Query(ctx, `SELECT source_id, seen_at, new FROM watch_sightings
		WHERE locator = $1 AND key = $2 ORDER BY id LIMIT $3`, locator, key, lim)
	if err != nil {
		return nil, internal(op, err)
	}
	var (
		sg  paradero.Sighting
		out []*paradero.Sighting
	)
	_, err = pgx.ForEachRow(rows, []any{&sg.SourceID, &sg.SeenAt, &sg.New}, func() error {
		c := sg
		c.Locator, c.Key, c.SeenAt = locator, key, c.SeenAt.UTC()
		out = append(out, &c)
		return nil
	})
	if isBadText(err) {
		return nil, nil // no entry has such a name
	}
	if err != nil {
		return nil, internal(op, err)
	}
	return out, nil
}

// LoadWatchState returns ENOTFOUND if nothing was saved for locator.
func (s *DB) LoadWatchState(ctx context.Context, locator string) ([]byte, error) {
	var b []byte
	err := s.pool.QueryRow(ctx, `SELECT state FROM watch_state WHERE locator = $1`, locator).Scan(&b)
	if errors.Is(err, pgx.ErrNoRows) || isBadText(err) {
		return nil, paradero.Errorf(paradero.ENOTFOUND, "no watch state for locator %s", locator)
	}
	if err != nil {
		return nil, internal("postgres.LoadWatchState", err)
	}
	return b, nil
}

// SaveWatchState replaces the state saved for locator.
func (s *DB) SaveWatchState(ctx context.Context, locator string, state []byte) error {
	if !validText(locator) {
		return paradero.Errorf(paradero.EINVALID, "a locator's name must be UTF-8 text without NUL bytes")
	}
	if state == nil {
		state = []byte{}
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO watch_state (locator, state, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (locator) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`,
		locator, state, s.timestamp())
	if err != nil {
		return internal("postgres.SaveWatchState", err)
	}
	return nil
}
