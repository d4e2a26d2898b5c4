package sqlite_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/sqlite"
)

// TestSnapshotWhileImporting takes a snapshot while an import holds the
// write lock: the copy is taken at once, holds the committed source and
// not the one in progress.
func TestSnapshotWhileImporting(t *testing.T) {
	dir := t.TempDir()
	db, err := sqlite.Open(t.Context(), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := t.Context()
	importOne := func(body string) paradero.Import {
		t.Helper()
		im, err := db.BeginImport(ctx, &paradero.Source{Kind: paradero.KindRoster}, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if err := im.AddRecord(ctx, &paradero.Record{Row: 2, FullName: body}); err != nil {
			t.Fatal(err)
		}
		return im
	}
	first := importOne("Ana Rivas")
	src, err := first.Commit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	open := importOne("Luis Pérez")
	defer open.Rollback()

	start := time.Now()
	path := filepath.Join(t.TempDir(), "copy.db")
	snap, err := db.Snapshot(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Snapshot waited %v for the import in progress", d)
	}
	if len(snap.Blobs) != 1 || snap.Blobs[0].SHA256 != src.SHA256 || snap.Blobs[0].Size != int64(len("Ana Rivas")) {
		t.Errorf("Snapshot.Blobs = %+v, want the committed source's file only", snap.Blobs)
	}
	if snap.LedgerSize != 2 {
		t.Errorf("Snapshot.LedgerSize = %d, want 2 (the committed source and its record)", snap.LedgerSize)
	}
	if snap.Checkpoint != nil {
		t.Errorf("Snapshot.Checkpoint = %+v, want none (nothing was signed)", snap.Checkpoint)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Snapshot(ctx, path); paradero.ErrorCode(err) != paradero.EINVALID {
		t.Errorf("Snapshot onto an existing file: %v, want EINVALID", err)
	}
}
