package postgres

import (
	"log/slog"
	"testing"

	"github.com/paradero/paradero/postgres/pgtest"
)

func newTestDatabase(t testing.TB) string { return pgtest.NewDatabase(t) }

// openTest opens a store on a fresh database, closed when the test ends.
func openTest(t testing.TB) *DB {
	t.Helper()
	db, err := Open(t.Context(), newTestDatabase(t), testLogger(t))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(string(p))
	return len(p), nil
}
