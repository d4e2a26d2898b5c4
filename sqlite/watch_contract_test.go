package sqlite_test

import (
	"testing"

	"github.com/paradero/paradero/sqlite"
	"github.com/paradero/paradero/storetest"
)

// TestWatchContract runs the WatchService contract, which the PostgreSQL
// store runs too.
func TestWatchContract(t *testing.T) {
	storetest.RunWatch(t, func(t *testing.T) storetest.WatchStore { return open(t).(*sqlite.DB) })
}
