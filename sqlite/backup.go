package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	"github.com/paradero/paradero"
)

// Snapshot is a consistent copy of the store's database, taken while the
// store stays open for writing: what `paradero backup` packs.
type Snapshot struct {
	// Path is the copy of the database file.
	Path string
	// Blobs are the source files the copy refers to, in source order. Each
	// is in the live store's blobs/ (OpenBlob) and stays there: sources are
	// never deleted, and a file is in place before the transaction that
	// refers to it commits.
	Blobs []SnapshotBlob
	// LedgerSize is the number of ledger entries in the copy.
	LedgerSize int64
	// Checkpoint is the largest signed checkpoint in the copy; nil if none.
	Checkpoint *paradero.Checkpoint
}

// SnapshotBlob is a source file as the database describes it.
type SnapshotBlob struct {
	SHA256 paradero.Hash
	Size   int64
}

// Snapshot copies the database into path, which must not exist, with
// SQLite's VACUUM INTO: one read transaction, so the copy is the database
// as of one commit, while other connections and processes go on writing
// (WAL mode). The copy holds no free pages, so content removed by
// redactions before the snapshot is not in it. VACUUM INTO does not sync
// the copy; the caller reads it at once and syncs what it writes from it.
func (s *DB) Snapshot(ctx context.Context, path string) (*Snapshot, error) {
	const op = "sqlite.Snapshot"
	if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
		return nil, &paradero.Error{Code: paradero.EINVALID, Op: op, Message: "the snapshot's file already exists: " + path, Err: err}
	}
	if _, err := s.db.ExecContext(ctx, `VACUUM INTO ?`, path); err != nil {
		return nil, fmt.Errorf("%s: vacuum into: %w", op, err)
	}
	snap, err := readSnapshot(ctx, path)
	if err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return snap, nil
}

func readSnapshot(ctx context.Context, path string) (*Snapshot, error) {
	dsn := "file:" + (&url.URL{Path: filepath.ToSlash(path)}).EscapedPath() + "?mode=ro"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	snap := &Snapshot{Path: path}
	rows, err := db.QueryContext(ctx, `SELECT sha256, size FROM sources ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("sources: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			b    []byte
			blob SnapshotBlob
			err  error
		)
		if err := rows.Scan(&b, &blob.Size); err != nil {
			return nil, err
		}
		if blob.SHA256, err = hashFrom(b); err != nil {
			return nil, err
		}
		snap.Blobs = append(snap.Blobs, blob)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM ledger_entries`).Scan(&snap.LedgerSize); err != nil {
		return nil, fmt.Errorf("ledger size: %w", err)
	}
	var (
		c       paradero.Checkpoint
		hash    []byte
		created int64
	)
	err = db.QueryRowContext(ctx, `SELECT size, hash, note, created_at FROM checkpoints ORDER BY size DESC LIMIT 1`).
		Scan(&c.Size, &hash, &c.Note, &created)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return nil, fmt.Errorf("checkpoint: %w", err)
	default:
		if c.Hash, err = hashFrom(hash); err != nil {
			return nil, err
		}
		c.CreatedAt = fromMicros(created)
		snap.Checkpoint = &c
	}
	return snap, nil
}
