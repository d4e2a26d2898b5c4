package sqlite_test

import (
	"testing"

	"github.com/paradero/paradero/sqlite"
	"github.com/paradero/paradero/storetest"
)

// TestTwoFactorContract runs the two-factor contract, which the PostgreSQL
// store runs too.
func TestTwoFactorContract(t *testing.T) {
	storetest.RunTwoFactor(t, func(t *testing.T) storetest.TwoFactorStore { return open(t).(*sqlite.DB) })
}
