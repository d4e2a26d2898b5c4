package postgres_test

import (
	"testing"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/postgres"
	"github.com/paradero/paradero/storetest"
)

// TestCasesContract runs the CaseService and ViolationService contract
// against the real PostgreSQL server, one fresh database per test.
func TestCasesContract(t *testing.T) {
	storetest.RunCases(t,
		func(t *testing.T) storetest.CaseStore { return postgres.OpenTest(t) },
		func(s paradero.Store, query string) error { return s.(*postgres.DB).ExecUnsafe(t.Context(), query) })
}
