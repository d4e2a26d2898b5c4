package postgres_test

import (
	"sync"
	"testing"

	"github.com/paradero/paradero/postgres"
	"github.com/paradero/paradero/postgres/pgtest"
	"github.com/paradero/paradero/storetest"
)

// TestAlertContract runs the AlertService contract, which the SQLite
// store runs too, each test on a fresh database.
func TestAlertContract(t *testing.T) {
	var (
		mu   sync.Mutex
		urls = make(map[storetest.AlertStore]string)
	)
	open := func(t *testing.T, url string) storetest.AlertStore {
		t.Helper()
		db, err := postgres.Open(t.Context(), url, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		mu.Lock()
		urls[db] = url
		mu.Unlock()
		return db
	}
	storetest.RunAlerts(t, storetest.AlertHarness{
		Open: func(t *testing.T) storetest.AlertStore { return open(t, pgtest.NewDatabase(t)) },
		Reopen: func(t *testing.T, s storetest.AlertStore) storetest.AlertStore {
			s.(*postgres.DB).Close()
			mu.Lock()
			url := urls[s]
			mu.Unlock()
			return open(t, url)
		},
	})
}
