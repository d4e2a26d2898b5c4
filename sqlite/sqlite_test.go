package sqlite_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/ledger"
	"github.com/paradero/paradero/sqlite"
	"github.com/paradero/paradero/storetest"
)

func open(t *testing.T) paradero.Store {
	t.Helper()
	db, err := sqlite.Open(t.Context(), t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestContract(t *testing.T) {
	storetest.Run(t, storetest.Harness{
		Open: open,
		Exec: func(t *testing.T, s paradero.Store, query string) {
			t.Helper()
			if err := s.(*sqlite.DB).ExecUnsafe(t.Context(), query); err != nil {
				t.Fatalf("%s: %v", query, err)
			}
		},
		CorruptBlob: func(t *testing.T, s paradero.Store, sum paradero.Hash) {
			t.Helper()
			hex := sum.String()
			path := filepath.Join(s.(*sqlite.DB).Dir(), "blobs", hex[:2], hex)
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			b[len(b)/2] ^= 1
			if err := os.WriteFile(path, b, 0o600); err != nil {
				t.Fatal(err)
			}
		},
	})
}

// TestRedactionErasesFromDisk checks that a redacted name is in neither the
// database file nor its WAL afterwards: secure_delete and the WAL
// checkpoint must really remove it.
func TestRedactionErasesFromDisk(t *testing.T) {
	dir := t.TempDir()
	db, err := sqlite.Open(t.Context(), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := paradero.NewContextWithActor(t.Context(), paradero.Actor{Name: "test"})
	const secret = "Xiomara Quintanilla Secreta"
	secretWords := []string{"xiomara", "quintanilla"} // as the search index folds them
	im, err := db.BeginImport(ctx, &paradero.Source{Kind: paradero.KindFamilyReport}, strings.NewReader("report"))
	if err != nil {
		t.Fatal(err)
	}
	for i, name := range []string{"Otra Persona", secret, "Tercera Persona"} {
		if err := im.AddRecord(ctx, &paradero.Record{Row: i + 2, FullName: name, Notes: name + " was seen in CECOT"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := im.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	onDisk := func() bool {
		for _, f := range []string{sqlite.DatabaseFile, sqlite.DatabaseFile + "-wal"} {
			b, err := os.ReadFile(filepath.Join(dir, f))
			if err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			if bytes.Contains(b, []byte(secret)) {
				return true
			}
			for _, w := range secretWords {
				if bytes.Contains(b, []byte(w)) {
					return true
				}
			}
		}
		return false
	}
	// The search index holds the name's words too; they must go as well.
	if _, err := db.IndexSearch(ctx); err != nil {
		t.Fatal(err)
	}
	if !onDisk() {
		t.Fatal("setup: the name is not on disk before the redaction, so this test could not fail")
	}
	key, err := ledger.LoadOrCreateKey(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	log := ledger.New(db, key)
	r, err := db.FindRecordByID(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	x := &paradero.Redaction{RecordID: r.ID, Reason: "family asked", CreatedBy: "test", Salt: bytes.Repeat([]byte{7}, 32), CreatedAt: r.CreatedAt}
	x.Commitment = paradero.Commit(x.Salt, paradero.RedactionContent(x.Reason, x.CreatedBy))
	if err := log.SignRedaction(x, r.Commitment); err != nil {
		t.Fatal(err)
	}
	if err := db.RedactRecord(ctx, x); err != nil {
		t.Fatal(err)
	}
	if onDisk() {
		t.Error("the redacted name is still in the database file or its WAL")
	}
	rep, err := log.Verify(ctx, ledger.VerifyOptions{})
	if err != nil || !rep.OK() {
		t.Fatalf("verify after redaction: %v %v", err, rep.Problems)
	}
}

func TestReopenKeepsData(t *testing.T) {
	dir := t.TempDir()
	db, err := sqlite.Open(t.Context(), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	im, err := db.BeginImport(ctx, &paradero.Source{Kind: paradero.KindRoster}, strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	if err := im.AddRecord(ctx, &paradero.Record{Row: 2, FullName: "Ana"}); err != nil {
		t.Fatal(err)
	}
	if _, err := im.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = sqlite.Open(ctx, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	st, err := db.Status(ctx)
	if err != nil || st.Records != 1 || st.LedgerSize != 2 {
		t.Fatalf("after reopening: %+v, %v; want 1 record, 2 entries", st, err)
	}
}

func TestPersons(t *testing.T) {
	storetest.RunPersons(t,
		func(t *testing.T) storetest.PersonStore { return open(t).(*sqlite.DB) },
		func(t *testing.T, s paradero.Store, query string) {
			t.Helper()
			if err := s.(*sqlite.DB).ExecUnsafe(t.Context(), query); err != nil {
				t.Fatalf("%s: %v", query, err)
			}
		})
}

// TestOddDirectoryName opens a store in a directory whose name SQLite would
// otherwise read as URI syntax.
func TestOddDirectoryName(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a%20b?c#d")
	db, err := sqlite.Open(t.Context(), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if m, _ := filepath.Glob(filepath.Join(dir, "paradero.db")); len(m) != 1 {
		t.Fatalf("database not at %s", dir)
	}
}
