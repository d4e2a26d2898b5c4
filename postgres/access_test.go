package postgres_test

import (
	"strings"
	"testing"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/postgres"
	"github.com/paradero/paradero/storetest"
)

// TestAccessContract runs the users, sessions and audit contract against
// the real PostgreSQL server.
func TestAccessContract(t *testing.T) {
	storetest.RunAccess(t, func(t *testing.T) storetest.AccessStore { return postgres.OpenTest(t) })
}

// TestAuditLogAppendOnly checks that the database itself refuses to change
// or remove an audit entry, even to a caller that bypasses the store.
func TestAuditLogAppendOnly(t *testing.T) {
	db := postgres.OpenTest(t)
	ctx := paradero.NewContextWithActor(t.Context(), paradero.Actor{UserID: 1, Name: "user:1", Role: paradero.RoleAdmin})
	if err := db.CreateAuditEntry(ctx, paradero.NewAuditEntry(ctx, paradero.AuditRecordView, "record:1")); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`UPDATE audit_log SET object = 'record:2'`,
		`DELETE FROM audit_log`,
		`TRUNCATE audit_log`,
	} {
		err := db.ExecUnsafe(t.Context(), q)
		if err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: err = %v, want the append-only refusal", q, err)
		}
	}
	es, n, err := db.FindAuditEntries(ctx, paradero.AuditFilter{})
	if err != nil || n != 1 || es[0].Object != "record:1" {
		t.Errorf("FindAuditEntries = %v, total %d, %v; want the one entry unchanged", es, n, err)
	}
}
