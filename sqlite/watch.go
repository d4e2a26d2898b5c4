package sqlite

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

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

// RecordSnapshots stores a round's answers in one transaction: each new
// answer is still a source of its own, byte for byte and in the ledger,
// exactly as RecordSnapshot would store it, but the round pays for one
// commit (one WAL fsync) instead of one per answer. Bodies that look new
// are written and synced to temporary files before the write lock is
// taken; inside the transaction each snapshot is checked again against the
// previous answer for its key, the answers stored earlier in the batch and
// every source, so a body is never stored twice. The files are moved into
// place before the commit and removed again if it fails. It returns one
// sighting per snapshot, in order; on error nothing is stored.
func (s *DB) RecordSnapshots(ctx context.Context, snaps []*paradero.Snapshot) ([]*paradero.Sighting, error) {
	const op = "sqlite.RecordSnapshots"
	if len(snaps) == 0 {
		return nil, nil
	}
	sums := make([]paradero.Hash, len(snaps))
	for i, snap := range snaps {
		if err := validateSnapshot(snap); err != nil {
			return nil, err
		}
		sums[i] = paradero.Hash(sha256.Sum256(snap.Body))
	}

	// Before the lock: write the bodies no stored source has. A racing
	// writer may store one in the meantime; the check inside the
	// transaction catches that, and the unused file is removed.
	tmps := make([]string, len(snaps))
	defer func() {
		for _, t := range tmps {
			if t != "" {
				os.Remove(t)
			}
		}
	}()
	stored, err := s.storedSums(ctx, sums)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	written := make(map[paradero.Hash]int) // sum → index of the snapshot whose temp file holds it
	for i, sum := range sums {
		if _, ok := written[sum]; !ok && !stored[sum] {
			written[sum] = i
		}
	}
	// group: one syncfs(2) after the files are in place makes them all
	// durable at once, instead of a sync per file and per directory.
	group := len(written) > 1 && groupSync()
	if err := s.writeTempBlobs(snaps, written, tmps, !group); err != nil {
		return nil, &paradero.Error{Code: paradero.EUNAVAILABLE, Op: op, Message: "cannot store the file", Err: err}
	}

	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, &paradero.Error{Code: paradero.EUNAVAILABLE, Op: op, Message: "cannot start the transaction", Err: err}
	}
	defer tx.Rollback()
	im := &snapshotImporter{importer: importer{db: s, tx: tx, now: s.timestamp()}}
	var lastSource int64
	// begin reads the ledger's size and the next ids, once and only if
	// the batch stores something: counting the ledger is a table scan.
	begin := func() error {
		if im.app != nil {
			return nil
		}
		var size0 int64
		if err := tx.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM ledger_entries), (SELECT coalesce(max(id), 0) FROM sources),
			(SELECT coalesce(max(id), 0) FROM records)`).Scan(&size0, &lastSource, &im.nextRecord); err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		im.nextRecord++
		im.app = paradero.NewLedgerAppender(size0, func(idx []int64) ([]paradero.Hash, error) { return readHashes(ctx, tx, idx) })
		return nil
	}
	// Statements run once per snapshot are parsed once per batch.
	var stmts [4]*sql.Stmt
	for i, q := range []string{
		`INSERT INTO watch_sightings (locator, key, source_id, seen_at, new) VALUES (?, ?, ?, ?, ?)`,
		`SELECT s.id, s.sha256 FROM watch_sightings w JOIN sources s ON s.id = w.source_id
			WHERE w.locator = ? AND w.key = ? ORDER BY w.id DESC LIMIT 1`,
		`SELECT id FROM sources WHERE sha256 = ?`,
		`INSERT INTO sources (` + sourceColumns + `) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
	} {
		if stmts[i], err = tx.PrepareContext(ctx, q); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		defer stmts[i].Close()
	}
	sighting, lastAnswer, bySHA := stmts[0], stmts[1], stmts[2]
	im.insertSource = stmts[3]

	type last struct {
		id  int64
		sum paradero.Hash
	}
	lastByKey := make(map[[2]string]last)
	bySum := make(map[paradero.Hash]int64) // stored by this batch
	type move struct {
		tmp   int // index into tmps
		final string
	}
	var moves []move
	out := make([]*paradero.Sighting, len(snaps))
	for i, snap := range snaps {
		sum := sums[i]
		sg := &paradero.Sighting{Locator: snap.Locator, Key: snap.Key, SeenAt: paradero.Timestamp(snap.ObservedAt)}
		k := [2]string{snap.Locator, snap.Key}
		prev, ok := lastByKey[k]
		if !ok {
			var b []byte
			err := lastAnswer.QueryRowContext(ctx, snap.Locator, snap.Key).Scan(&prev.id, &b)
			switch {
			case err == nil:
				copy(prev.sum[:], b)
				ok = true
			case !errors.Is(err, sql.ErrNoRows):
				return nil, fmt.Errorf("%s: last sighting: %w", op, err)
			}
		}
		switch id, inBatch := bySum[sum]; {
		case ok && prev.sum == sum:
			sg.SourceID = prev.id
		case inBatch:
			sg.SourceID = id
		default:
			err := bySHA.QueryRowContext(ctx, sum[:]).Scan(&sg.SourceID)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return nil, fmt.Errorf("%s: find source: %w", op, err)
			}
			if err == nil {
				break
			}
			j, ok := written[sum]
			if !ok {
				// Stored before the lock was taken, gone now: sources are
				// never deleted, so this is a fault, not a case to handle.
				return nil, &paradero.Error{Code: paradero.ECONFLICT, Op: op, Message: "a snapshot's source disappeared while the batch was stored"}
			}
			if err := begin(); err != nil {
				return nil, err
			}
			lastSource++
			if err := im.importSnapshotTx(ctx, snap, sum, lastSource); err != nil {
				return nil, err
			}
			moves = append(moves, move{j, s.blobPath(sum)})
			bySum[sum] = lastSource
			sg.SourceID, sg.New = lastSource, true
		}
		if _, err := sighting.ExecContext(ctx, sg.Locator, sg.Key, sg.SourceID, sg.SeenAt.UnixMicro(), sg.New); err != nil {
			return nil, fmt.Errorf("%s: sighting: %w", op, err)
		}
		lastByKey[k] = last{sg.SourceID, sum}
		out[i] = sg
	}

	// The files go into place before the commit, so a committed source
	// never lacks its file; a crash in between leaves unreferenced files.
	var placed []string // final paths this batch created
	defer func() {
		for _, p := range placed {
			os.Remove(p)
		}
	}()
	dirs := make(map[string]bool)
	for _, m := range moves {
		dirs[filepath.Dir(m.final)] = true
	}
	dirList := make([]string, 0, len(dirs))
	for d := range dirs {
		dirList = append(dirList, d)
	}
	if err := parallel(dirList, func(d string) error { return os.MkdirAll(d, 0o700) }); err != nil {
		return nil, &paradero.Error{Code: paradero.EUNAVAILABLE, Op: op, Message: "cannot store the file", Err: err}
	}
	created := make([]bool, len(moves))
	idx := make([]int, len(moves))
	for k := range idx {
		idx[k] = k
	}
	err = parallel(idx, func(k int) error {
		m := moves[k]
		_, statErr := os.Stat(m.final) // nil: left by an import that crashed before its commit
		if err := os.Rename(tmps[m.tmp], m.final); err != nil {
			return err
		}
		tmps[m.tmp], created[k] = "", statErr != nil // distinct per move
		return nil
	})
	for k, c := range created {
		if c {
			placed = append(placed, moves[k].final)
		}
	}
	if err != nil {
		return nil, &paradero.Error{Code: paradero.EUNAVAILABLE, Op: op, Message: "cannot store the file", Err: err}
	}
	// Durable before the commit: the files' contents, the new directories
	// and the renames. With group, one syncfs covers them all; a crash
	// before it returns leaves at most unreferenced files, which a later
	// import of the same bytes replaces.
	if group {
		err = syncFS(filepath.Join(s.dir, "blobs"))
	} else {
		err = parallel(dirList, syncDir)
	}
	if err != nil {
		return nil, &paradero.Error{Code: paradero.EUNAVAILABLE, Op: op, Message: "cannot store the file", Err: err}
	}
	if err := tx.Commit(); err != nil {
		return nil, &paradero.Error{Code: paradero.EUNAVAILABLE, Op: op, Message: "cannot commit the snapshots", Err: err}
	}
	placed = nil
	return out, nil
}

// storedSums returns which of sums a stored source has, in queries of up
// to batchSize hashes.
func (s *DB) storedSums(ctx context.Context, sums []paradero.Hash) (map[paradero.Hash]bool, error) {
	out := make(map[paradero.Hash]bool)
	for lo := 0; lo < len(sums); lo += batchSize {
		part := sums[lo:min(lo+batchSize, len(sums))]
		args := make([]any, len(part))
		for i := range part {
			args[i] = part[i][:]
		}
		rows, err := s.db.QueryContext(ctx, `SELECT sha256 FROM sources WHERE sha256 IN (`+strings.TrimSuffix(strings.Repeat("?,", len(part)), ",")+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("find sources by hash: %w", err)
		}
		for rows.Next() {
			var b []byte
			if err := rows.Scan(&b); err != nil {
				rows.Close()
				return nil, fmt.Errorf("find sources by hash: %w", err)
			}
			h, err := hashFrom(b)
			if err != nil {
				rows.Close()
				return nil, err
			}
			out[h] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("find sources by hash: %w", err)
		}
	}
	return out, nil
}

// blobWorkers is how many temporary files RecordSnapshots writes, and
// then syncs, at once. Creating and syncing a file each wait on the file
// system's journal; several at once share its commits.
const blobWorkers = 8

// writeTempBlobs writes the body of snaps[i] to a temporary file tmps[i],
// for every i in written, then, if sync, syncs them all: writing every
// file before syncing any lets the syncs share journal commits, where
// write-sync-write-sync pays one commit per file. Without sync the caller
// makes them durable with one syncFS.
func (s *DB) writeTempBlobs(snaps []*paradero.Snapshot, written map[paradero.Hash]int, tmps []string, sync bool) error {
	idx := make([]int, 0, len(written))
	for _, i := range written {
		idx = append(idx, i)
	}
	files := make([]*os.File, len(snaps))
	defer func() {
		for _, f := range files {
			if f != nil {
				f.Close()
			}
		}
	}()
	dir := filepath.Join(s.dir, "blobs")
	err := parallel(idx, func(i int) error {
		f, err := os.CreateTemp(dir, "import-*.tmp")
		if err != nil {
			return err
		}
		files[i], tmps[i] = f, f.Name() // each i once; tmps are removed by the caller unless moved into place
		_, err = f.Write(snaps[i].Body)
		return err
	})
	if err != nil || !sync {
		return err
	}
	return parallel(idx, func(i int) error { return files[i].Sync() })
}

// parallel calls fn for every item, blobWorkers at a time, and returns the
// first error; after an error the remaining items are skipped.
func parallel[T any](items []T, fn func(T) error) error {
	ch := make(chan T)
	errs := make(chan error, blobWorkers)
	var wg sync.WaitGroup
	for range min(blobWorkers, len(items)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var first error
			for it := range ch {
				if first == nil {
					first = fn(it)
				}
			}
			errs <- first
		}()
	}
	for _, it := range items {
		ch <- it
	}
	close(ch)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// validateSnapshot checks what BeginImport would refuse, before any file
// is written.
func validateSnapshot(snap *paradero.Snapshot) error {
	if snap.Locator == "" || snap.Key == "" {
		return paradero.Errorf(paradero.EINVALID, "a snapshot needs a locator and a key")
	}
	kind := snap.Source.Kind
	if kind == "" {
		kind = paradero.KindLocatorSnapshot
	}
	if !kind.Valid() {
		return paradero.Errorf(paradero.EINVALID, "unknown source kind %q", kind)
	}
	if !snap.Source.Published.Valid() {
		return paradero.Errorf(paradero.EINVALID, "publication date %v is not a calendar date", snap.Source.Published)
	}
	for name, v := range map[string]string{"title": snap.Source.Title, "file name": snap.Source.Filename, "media type": snap.Source.MediaType} {
		if len(v) > paradero.MaxFieldBytes || strings.IndexByte(v, 0) >= 0 {
			return paradero.Errorf(paradero.EINVALID, "source %s is too long or contains a NUL byte", name)
		}
	}
	return nil
}

// snapshotImporter is an importer reused for every new answer of a batch.
type snapshotImporter struct {
	importer
	insertSource *sql.Stmt
}

// importSnapshotTx writes snap as source id with its records and their
// ledger entries, in im's transaction: what BeginImport, AddRecord and
// Commit do for one file, minus the file, which the caller moves.
func (im *snapshotImporter) importSnapshotTx(ctx context.Context, snap *paradero.Snapshot, sum paradero.Hash, id int64) error {
	const op = "sqlite.RecordSnapshots"
	c := snap.Source
	if c.Kind == "" {
		c.Kind = paradero.KindLocatorSnapshot
	}
	c.ID, c.SHA256, c.Size = id, sum, int64(len(snap.Body))
	c.ImportedAt = im.now
	c.ImportedBy = paradero.ActorFromContext(ctx).Name
	c.Records = 0
	var err error
	if c.Salt, err = im.salt(); err != nil {
		return err
	}
	c.Commitment = paradero.Commit(c.Salt, c.Content())
	if c.LedgerIndex, err = im.appendEntry(ctx, paradero.EntrySource, c.ID, paradero.SourceLeaf(&c)); err != nil {
		return err
	}
	if _, err := im.insertSource.ExecContext(ctx, c.ID, string(c.Kind), c.Title, c.Published.String(), c.Filename, c.MediaType, c.Size, c.SHA256[:],
		c.ImportedAt.UnixMicro(), c.ImportedBy, len(snap.Records), c.Salt, c.Commitment[:], c.LedgerIndex); err != nil {
		return fmt.Errorf("%s: insert source: %w", op, err)
	}
	im.src = &c
	im.batch = batchWriter{tx: im.tx}
	for _, r := range snap.Records {
		rc := *r
		if err := im.AddRecord(ctx, &rc); err != nil {
			im.batch.close()
			return err
		}
	}
	return im.batch.flush(ctx)
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

// Watch claims. The methods below are package watch's SharedStore
// (watch/claims.go) on the embedded store: each round's jobs claimed by
// one watcher at a time under a lease, every answer kept with its claim,
// and the round judged once (migration 0012). One process uses the store,
// so claims never compete here; they keep a round the process was killed
// in resuming where it stopped, and keep the embedded store answering to
// the same contract as PostgreSQL. Each method is one write transaction,
// which SQLite serialises; leases run on the store's clock.

// watchTx runs fn in a write transaction, with the store's time in
// microseconds.
func (s *DB) watchTx(ctx context.Context, op string, fn func(tx *sql.Tx, now int64) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return &paradero.Error{Code: paradero.EUNAVAILABLE, Op: op, Err: err}
	}
	defer tx.Rollback()
	if err := fn(tx, s.timestamp().UnixMicro()); err != nil {
		var e *paradero.Error
		if errors.As(err, &e) {
			return err
		}
		return fmt.Errorf("%s: %w", op, err)
	}
	if err := tx.Commit(); err != nil {
		return &paradero.Error{Code: paradero.EUNAVAILABLE, Op: op, Err: err}
	}
	return nil
}

func queryKeys(ctx context.Context, tx *sql.Tx, query string, args ...any) ([]string, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var keys []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	slices.Sort(keys)
	return keys, nil
}

// OpenWatchRound makes sure every key has a claim and makes round the
// locator's current round if it is later; it returns when round began if
// it is current and not judged, else the zero time.
func (s *DB) OpenWatchRound(ctx context.Context, locator string, round int, keys []string, at time.Time) (time.Time, error) {
	var started time.Time
	err := s.watchTx(ctx, "sqlite.OpenWatchRound", func(tx *sql.Tx, now int64) error {
		ins, err := tx.PrepareContext(ctx, `INSERT INTO watch_claims (locator, key) VALUES (?, ?) ON CONFLICT DO NOTHING`)
		if err != nil {
			return err
		}
		defer ins.Close()
		for _, k := range keys {
			if _, err := ins.ExecContext(ctx, locator, k); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO watch_rounds (locator, round, started_at) VALUES (?, ?, ?)
			ON CONFLICT (locator) DO UPDATE SET round = excluded.round, started_at = excluded.started_at, judge = NULL, judge_until = NULL
				WHERE watch_rounds.round < excluded.round`, locator, round, paradero.Timestamp(at).UnixMicro()); err != nil {
			return err
		}
		var cur, judged int
		var us int64
		if err := tx.QueryRowContext(ctx, `SELECT round, judged, started_at FROM watch_rounds WHERE locator = ?`, locator).Scan(&cur, &judged, &us); err != nil {
			return err
		}
		if cur == round && judged < round {
			started = fromMicros(us)
		}
		return nil
	})
	return started, err
}

// ClaimWatch leases to owner up to limit of the locator's keys with no
// answer in round and no live lease.
func (s *DB) ClaimWatch(ctx context.Context, locator string, round int, owner string, lease time.Duration, limit int) ([]string, error) {
	var keys []string
	err := s.watchTx(ctx, "sqlite.ClaimWatch", func(tx *sql.Tx, now int64) error {
		var err error
		keys, err = queryKeys(ctx, tx, `UPDATE watch_claims SET round = ?, owner = ?, lease_until = ?, answered = 0, result = NULL
			WHERE locator = ? AND key IN (
				SELECT key FROM watch_claims
				WHERE locator = ? AND (round < ? OR round = ? AND NOT answered AND (lease_until IS NULL OR lease_until <= ?))
					AND EXISTS (SELECT 1 FROM watch_rounds r WHERE r.locator = ? AND r.round = ? AND r.judged < ?)
				ORDER BY round, key LIMIT ?)
			RETURNING key`, round, owner, now+lease.Microseconds(), locator, locator, round, round, now, locator, round, round, max(limit, 0))
		return err
	})
	return keys, err
}

// RenewWatchClaims extends every lease owner holds on the locator and
// returns the keys of its unanswered claims.
func (s *DB) RenewWatchClaims(ctx context.Context, locator, owner string, lease time.Duration) ([]string, error) {
	var keys []string
	err := s.watchTx(ctx, "sqlite.RenewWatchClaims", func(tx *sql.Tx, now int64) error {
		if _, err := tx.ExecContext(ctx, `UPDATE watch_rounds SET judge_until = ? WHERE locator = ? AND judge = ?`,
			now+lease.Microseconds(), locator, owner); err != nil {
			return err
		}
		var err error
		keys, err = queryKeys(ctx, tx, `UPDATE watch_claims SET lease_until = ? WHERE locator = ? AND owner = ? AND NOT answered RETURNING key`,
			now+lease.Microseconds(), locator, owner)
		return err
	})
	return keys, err
}

// AnswerWatchClaims keeps the results of the claims owner still holds in
// round and ends their leases; it returns the keys it no longer held.
func (s *DB) AnswerWatchClaims(ctx context.Context, locator string, round int, owner string, results map[string][]byte) ([]string, error) {
	var lost []string
	err := s.watchTx(ctx, "sqlite.AnswerWatchClaims", func(tx *sql.Tx, now int64) error {
		lost = lost[:0]
		up, err := tx.PrepareContext(ctx, `UPDATE watch_claims SET answered = 1, result = ?, owner = NULL, lease_until = NULL
			WHERE locator = ? AND key = ? AND round = ? AND owner = ? AND NOT answered`)
		if err != nil {
			return err
		}
		defer up.Close()
		for k, v := range results {
			var result any // NULL: answered without a result
			if v != nil {
				result = v
			}
			res, err := up.ExecContext(ctx, result, locator, k, round, owner)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n == 0 {
				lost = append(lost, k)
			}
		}
		return nil
	})
	slices.Sort(lost)
	return lost, err
}

// ReleaseWatchClaims ends every lease owner holds on the locator.
func (s *DB) ReleaseWatchClaims(ctx context.Context, locator, owner string) error {
	return s.watchTx(ctx, "sqlite.ReleaseWatchClaims", func(tx *sql.Tx, now int64) error {
		if _, err := tx.ExecContext(ctx, `UPDATE watch_claims SET owner = NULL, lease_until = NULL
			WHERE locator = ? AND owner = ? AND NOT answered`, locator, owner); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE watch_rounds SET judge = NULL, judge_until = NULL WHERE locator = ? AND judge = ?`, locator, owner)
		return err
	})
}

// ClaimWatchJudge leases the judging of round to owner once every key
// has its answer.
func (s *DB) ClaimWatchJudge(ctx context.Context, locator string, round int, owner string, lease time.Duration) (bool, error) {
	var ok bool
	err := s.watchTx(ctx, "sqlite.ClaimWatchJudge", func(tx *sql.Tx, now int64) error {
		res, err := tx.ExecContext(ctx, `UPDATE watch_rounds SET judge = ?, judge_until = ?
			WHERE locator = ? AND round = ? AND judged < ?
				AND (judge IS NULL OR judge = ? OR judge_until <= ?)
				AND NOT EXISTS (SELECT 1 FROM watch_claims WHERE locator = ? AND (round < ? OR NOT answered))`,
			owner, now+lease.Microseconds(), locator, round, round, owner, now, locator, round)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		ok = n == 1
		return err
	})
	return ok, err
}

// WatchRoundResults returns the results kept for round, by key.
func (s *DB) WatchRoundResults(ctx context.Context, locator string, round int) (map[string][]byte, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT key, result FROM watch_claims
		WHERE locator = ? AND round = ? AND answered AND result IS NOT NULL`, locator, round)
	if err != nil {
		return nil, fmt.Errorf("sqlite.WatchRoundResults: %w", err)
	}
	defer rows.Close()
	out := make(map[string][]byte)
	for rows.Next() {
		var k string
		var v []byte
		if err := rows.Scan(&k, &v); err != nil {
			return nil, fmt.Errorf("sqlite.WatchRoundResults: %w", err)
		}
		out[k] = v
	}
	return out, rows.Err()
}

// SaveWatchRound saves state and marks round judged, in one transaction,
// if owner judges it; ECONFLICT otherwise.
func (s *DB) SaveWatchRound(ctx context.Context, locator string, round int, owner string, state []byte) error {
	const op = "sqlite.SaveWatchRound"
	return s.watchTx(ctx, op, func(tx *sql.Tx, now int64) error {
		res, err := tx.ExecContext(ctx, `UPDATE watch_rounds SET judged = ?, judge = NULL, judge_until = NULL
			WHERE locator = ? AND round = ? AND judge = ? AND judged < ?`, round, locator, round, owner, round)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n != 1 {
			return &paradero.Error{Code: paradero.ECONFLICT, Op: op, Message: fmt.Sprintf("round %d of locator %s is not this watcher's to judge", round, locator)}
		}
		if state == nil {
			state = []byte{}
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO watch_state (locator, state, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (locator) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`, locator, state, now)
		return err
	})
}
