package postgres_test

import (
	"testing"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/postgres"
	"github.com/paradero/paradero/storetest"
)

// TestContract runs the store contract suite, tamper tests included,
// against the real PostgreSQL server, one fresh database per test.
func TestContract(t *testing.T) {
	storetest.Run(t, storetest.Harness{
		Open: func(t *testing.T) paradero.Store { return postgres.OpenTest(t) },
		Exec: func(t *testing.T, s paradero.Store, query string) {
			t.Helper()
			if err := s.(*postgres.DB).ExecUnsafe(t.Context(), query); err != nil {
				t.Fatalf("%s: %v", query, err)
			}
		},
		CorruptBlob: func(t *testing.T, s paradero.Store, sum paradero.Hash) {
			t.Helper()
			if err := postgres.CorruptBlob(t.Context(), s.(*postgres.DB), sum); err != nil {
				t.Fatal(err)
			}
		},
	})
}
