package postgres_test

import (
	"testing"

	"github.com/paradero/paradero/postgres"
	"github.com/paradero/paradero/storetest"
)

// TestTracingContract runs the TracingService contract against the real
// PostgreSQL server, one fresh database per test.
func TestTracingContract(t *testing.T) {
	storetest.RunTracing(t, func(t *testing.T) storetest.TracingStore { return postgres.OpenTest(t) })
}
