package postgres_test

import (
	"testing"

	"github.com/paradero/paradero/postgres"
	"github.com/paradero/paradero/storetest"
)

// TestSearchContract runs the SearchService contract, which the SQLite
// store runs too.
func TestSearchContract(t *testing.T) {
	storetest.RunSearch(t, func(t *testing.T) storetest.SearchStore { return postgres.OpenTest(t) })
}
