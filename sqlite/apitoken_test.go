package sqlite_test

import (
	"testing"

	"github.com/paradero/paradero/sqlite"
	"github.com/paradero/paradero/storetest"
)

func TestAPITokenContract(t *testing.T) {
	storetest.RunAPITokens(t, func(t *testing.T) storetest.APITokenStore {
		db, err := sqlite.Open(t.Context(), t.TempDir(), nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	})
}
