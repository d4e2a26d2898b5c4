package postgres_test

import (
	"testing"

	"github.com/paradero/paradero/postgres"
	"github.com/paradero/paradero/storetest"
)

// TestTwoFactorContract runs the two-factor contract against the real
// PostgreSQL server.
func TestTwoFactorContract(t *testing.T) {
	storetest.RunTwoFactor(t, func(t *testing.T) storetest.TwoFactorStore { return postgres.OpenTest(t) })
}
