package postgres_test

import (
	"testing"

	"github.com/paradero/paradero/postgres"
	"github.com/paradero/paradero/storetest"
)

// TestAPITokenContract runs the API token contract against the real
// PostgreSQL server.
func TestAPITokenContract(t *testing.T) {
	storetest.RunAPITokens(t, func(t *testing.T) storetest.APITokenStore { return postgres.OpenTest(t) })
}
