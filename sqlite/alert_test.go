package sqlite_test

import (
	"testing"

	"github.com/paradero/paradero/sqlite"
	"github.com/paradero/paradero/storetest"
)

// TestAlertContract runs the AlertService contract, which the PostgreSQL
// store runs too.
func TestAlertContract(t *testing.T) {
	storetest.RunAlerts(t, storetest.AlertHarness{
		Open: func(t *testing.T) storetest.AlertStore { return open(t).(*sqlite.DB) },
		Reopen: func(t *testing.T, s storetest.AlertStore) storetest.AlertStore {
			t.Helper()
			db := s.(*sqlite.DB)
			db.Close()
			db, err := sqlite.Open(t.Context(), db.Dir(), nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db
		},
	})
}
