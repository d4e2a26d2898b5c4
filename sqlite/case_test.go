package sqlite_test

import (
	"testing"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/sqlite"
	"github.com/paradero/paradero/storetest"
)

// TestCasesContract runs the CaseService and ViolationService contract,
// which the PostgreSQL store runs too.
func TestCasesContract(t *testing.T) {
	storetest.RunCases(t,
		func(t *testing.T) storetest.CaseStore { return open(t).(*sqlite.DB) },
		func(s paradero.Store, query string) error { return s.(*sqlite.DB).ExecUnsafe(t.Context(), query) })
}
