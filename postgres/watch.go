package postgres

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"time"

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

// Several watchers, one database. The methods below are package watch's
// SharedStore and Pacer (watch/claims.go): two servers running `paradero
// watch` on this database share each round's jobs, each claimed by one
// watcher at a time under a lease (migration 0012). Claims are taken with
// FOR UPDATE SKIP LOCKED, so watchers claiming at once pass over each
// other's rows instead of waiting for them; leases and the pace run on
// the database's clock (clock_timestamp()), which every watcher shares,
// whatever its own machine's clock says.

// leaseSQL is a duration parameter in microseconds as an interval.
const leaseSQL = `* interval '1 microsecond'`

func (s *DB) checkWatchNames(op string, names ...string) error {
	for _, n := range names {
		if !validText(n) {
			return &paradero.Error{Code: paradero.EINVALID, Op: op, Message: "a locator's, a watch key's or a watcher's name must be UTF-8 text without NUL bytes"}
		}
	}
	return nil
}

// OpenWatchRound makes sure every key has a claim and makes round the
// locator's current round if it is later; it returns when round began if
// it is current and not judged, else the zero time.
func (s *DB) OpenWatchRound(ctx context.Context, locator string, round int, keys []string, at time.Time) (time.Time, error) {
	const op = "postgres.OpenWatchRound"
	if err := s.checkWatchNames(op, append([]string{locator}, keys...)...); err != nil {
		return time.Time{}, err
	}
	// In one order for every watcher, so two inserting the same new keys
	// wait for each other rather than deadlock.
	keys = slices.Sorted(slices.Values(keys))
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return time.Time{}, internal(op, err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `INSERT INTO watch_claims (locator, key) SELECT $1, k FROM unnest($2::text[]) AS k
		ON CONFLICT DO NOTHING`, locator, keys); err != nil {
		return time.Time{}, internal(op, err)
	}
	var cur, judged int
	var started time.Time
	if _, err := tx.Exec(ctx, `INSERT INTO watch_rounds (locator, round, started_at) VALUES ($1, $2, $3)
		ON CONFLICT (locator) DO UPDATE SET round = excluded.round, started_at = excluded.started_at, judge = NULL, judge_until = NULL
			WHERE watch_rounds.round < excluded.round`, locator, round, paradero.Timestamp(at)); err != nil {
		return time.Time{}, internal(op, err)
	}
	if err := tx.QueryRow(ctx, `SELECT round, judged, started_at FROM watch_rounds WHERE locator = $1`, locator).Scan(&cur, &judged, &started); err != nil {
		return time.Time{}, internal(op, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return time.Time{}, internal(op, err)
	}
	if cur != round || judged >= round {
		return time.Time{}, nil
	}
	return started.UTC(), nil
}

// ClaimWatch leases to owner up to limit of the locator's keys with no
// answer in round and no live lease, passing over rows other watchers are
// claiming at the same moment.
func (s *DB) ClaimWatch(ctx context.Context, locator string, round int, owner string, lease time.Duration, limit int) ([]string, error) {
	const op = "postgres.ClaimWatch"
	if err := s.checkWatchNames(op, locator, owner); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `WITH c AS (
			SELECT key FROM watch_claims
			WHERE locator = $1 AND (round < $2 OR round = $2 AND NOT answered AND (lease_until IS NULL OR lease_until <= clock_timestamp()))
				AND EXISTS (SELECT FROM watch_rounds r WHERE r.locator = $1 AND r.round = $2 AND r.judged < $2)
			ORDER BY round, key LIMIT $5 FOR UPDATE SKIP LOCKED)
		UPDATE watch_claims w SET round = $2, owner = $3, lease_until = clock_timestamp() + $4::bigint `+leaseSQL+`,
			answered = false, result = NULL
		FROM c WHERE w.locator = $1 AND w.key = c.key RETURNING w.key`, locator, round, owner, lease.Microseconds(), max(limit, 0))
	if err != nil {
		return nil, internal(op, err)
	}
	keys, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, internal(op, err)
	}
	slices.Sort(keys)
	return keys, nil
}

// RenewWatchClaims extends every lease owner holds on the locator and
// returns the keys of its unanswered claims.
func (s *DB) RenewWatchClaims(ctx context.Context, locator, owner string, lease time.Duration) ([]string, error) {
	const op = "postgres.RenewWatchClaims"
	if err := s.checkWatchNames(op, locator, owner); err != nil {
		return nil, err
	}
	if _, err := s.pool.Exec(ctx, `UPDATE watch_rounds SET judge_until = clock_timestamp() + $3::bigint `+leaseSQL+`
		WHERE locator = $1 AND judge = $2`, locator, owner, lease.Microseconds()); err != nil {
		return nil, internal(op, err)
	}
	rows, err := s.pool.Query(ctx, `UPDATE watch_claims SET lease_until = clock_timestamp() + $3::bigint `+leaseSQL+`
		WHERE locator = $1 AND owner = $2 AND NOT answered RETURNING key`, locator, owner, lease.Microseconds())
	if err != nil {
		return nil, internal(op, err)
	}
	keys, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, internal(op, err)
	}
	slices.Sort(keys)
	return keys, nil
}

// AnswerWatchClaims keeps the results of the claims owner still holds in
// round and ends their leases; it returns the keys it no longer held.
func (s *DB) AnswerWatchClaims(ctx context.Context, locator string, round int, owner string, results map[string][]byte) ([]string, error) {
	const op = "postgres.AnswerWatchClaims"
	if err := s.checkWatchNames(op, locator, owner); err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(results))
	vals := make([][]byte, 0, len(results))
	for k, v := range results {
		keys, vals = append(keys, k), append(vals, v)
	}
	rows, err := s.pool.Query(ctx, `UPDATE watch_claims w SET answered = true, result = r.result, owner = NULL, lease_until = NULL
		FROM unnest($4::text[], $5::bytea[]) AS r(key, result)
		WHERE w.locator = $1 AND w.key = r.key AND w.round = $2 AND w.owner = $3 AND NOT w.answered
		RETURNING w.key`, locator, round, owner, keys, vals)
	if err != nil {
		return nil, internal(op, err)
	}
	kept, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, internal(op, err)
	}
	var lost []string
	for _, k := range keys {
		if !slices.Contains(kept, k) {
			lost = append(lost, k)
		}
	}
	slices.Sort(lost)
	return lost, nil
}

// ReleaseWatchClaims ends every lease owner holds on the locator.
func (s *DB) ReleaseWatchClaims(ctx context.Context, locator, owner string) error {
	const op = "postgres.ReleaseWatchClaims"
	if err := s.checkWatchNames(op, locator, owner); err != nil {
		return err
	}
	if _, err := s.pool.Exec(ctx, `UPDATE watch_claims SET owner = NULL, lease_until = NULL
		WHERE locator = $1 AND owner = $2 AND NOT answered`, locator, owner); err != nil {
		return internal(op, err)
	}
	if _, err := s.pool.Exec(ctx, `UPDATE watch_rounds SET judge = NULL, judge_until = NULL
		WHERE locator = $1 AND judge = $2`, locator, owner); err != nil {
		return internal(op, err)
	}
	return nil
}

// ClaimWatchJudge leases the judging of round to owner once every key
// has its answer. Two watchers asking at once queue on the round's row,
// and the second finds the first's lease.
func (s *DB) ClaimWatchJudge(ctx context.Context, locator string, round int, owner string, lease time.Duration) (bool, error) {
	const op = "postgres.ClaimWatchJudge"
	if err := s.checkWatchNames(op, locator, owner); err != nil {
		return false, err
	}
	tag, err := s.pool.Exec(ctx, `UPDATE watch_rounds SET judge = $3, judge_until = clock_timestamp() + $4::bigint `+leaseSQL+`
		WHERE locator = $1 AND round = $2 AND judged < $2
			AND (judge IS NULL OR judge = $3 OR judge_until <= clock_timestamp())
			AND NOT EXISTS (SELECT FROM watch_claims WHERE locator = $1 AND (round < $2 OR NOT answered))`,
		locator, round, owner, lease.Microseconds())
	if err != nil {
		return false, internal(op, err)
	}
	return tag.RowsAffected() == 1, nil
}

// WatchRoundResults returns the results kept for round, by key.
func (s *DB) WatchRoundResults(ctx context.Context, locator string, round int) (map[string][]byte, error) {
	const op = "postgres.WatchRoundResults"
	rows, err := s.pool.Query(ctx, `SELECT key, result FROM watch_claims
		WHERE locator = $1 AND round = $2 AND answered AND result IS NOT NULL`, locator, round)
	if err != nil {
		if isBadText(err) {
			return map[string][]byte{}, nil
		}
		return nil, internal(op, err)
	}
	out := make(map[string][]byte)
	var (
		k string
		v []byte
	)
	if _, err := pgx.ForEachRow(rows, []any{&k, &v}, func() error {
		out[k] = slices.Clone(v)
		return nil
	}); err != nil {
		return nil, internal(op, err)
	}
	return out, nil
}

// SaveWatchRound saves state and marks round judged, in one transaction,
// if owner judges it; ECONFLICT otherwise.
func (s *DB) SaveWatchRound(ctx context.Context, locator string, round int, owner string, state []byte) error {
	const op = "postgres.SaveWatchRound"
	if err := s.checkWatchNames(op, locator, owner); err != nil {
		return err
	}
	if state == nil {
		state = []byte{}
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return internal(op, err)
	}
	defer tx.Rollback(ctx)
	tag, err := tx.Exec(ctx, `UPDATE watch_rounds SET judged = $2, judge = NULL, judge_until = NULL
		WHERE locator = $1 AND round = $2 AND judge = $3 AND judged < $2`, locator, round, owner)
	if err != nil {
		return internal(op, err)
	}
	if tag.RowsAffected() != 1 {
		return &paradero.Error{Code: paradero.ECONFLICT, Op: op, Message: fmt.Sprintf("round %d of locator %s is not this watcher's to judge", round, locator)}
	}
	if _, err := tx.Exec(ctx, `INSERT INTO watch_state (locator, state, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (locator) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`,
		locator, state, s.timestamp()); err != nil {
		return internal(op, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return internal(op, err)
	}
	return nil
}

// PaceWatch reserves the locator's next request slot for every watcher
// of this database: it returns how long to wait before the request, and
// moves the next slot gap past it; pause > 0 holds every request back
// that long from now.
func (s *DB) PaceWatch(ctx context.Context, locator string, gap, pause time.Duration) (time.Duration, error) {
	const op = "postgres.PaceWatch"
	if err := s.checkWatchNames(op, locator); err != nil {
		return 0, err
	}
	for range 2 {
		var wait int64
		err := s.pool.QueryRow(ctx, `WITH c AS (SELECT clock_timestamp() AS now)
			UPDATE watch_pace p SET
				paused_until = GREATEST(p.paused_until, c.now + $3::bigint `+leaseSQL+`),
				next_at = CASE WHEN $2::bigint > 0
					THEN GREATEST(p.next_at, p.paused_until, c.now + $3::bigint `+leaseSQL+`) + $2::bigint `+leaseSQL+`
					ELSE p.next_at END
			FROM c WHERE p.locator = $1
			RETURNING CASE WHEN $2::bigint > 0 THEN (EXTRACT(EPOCH FROM p.next_at - c.now) * 1000000)::bigint - $2::bigint ELSE 0 END`,
			locator, gap.Microseconds(), max(pause, 0).Microseconds()).Scan(&wait)
		if err == nil {
			return time.Duration(max(wait, 0)) * time.Microsecond, nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return 0, internal(op, err)
		}
		if _, err := s.pool.Exec(ctx, `INSERT INTO watch_pace (locator, next_at, paused_until)
			VALUES ($1, clock_timestamp(), clock_timestamp()) ON CONFLICT DO NOTHING`, locator); err != nil {
			return 0, internal(op, err)
		}
	}
	return 0, &paradero.Error{Code: paradero.EINTERNAL, Op: op, Message: "the locator's pace is neither stored nor storable"}
}
