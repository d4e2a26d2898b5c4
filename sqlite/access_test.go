package sqlite_test

import (
	"strings"
	"testing"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/sqlite"
	"github.com/paradero/paradero/storetest"
)

func TestAccessContract(t *testing.T) {
	storetest.RunAccess(t, func(t *testing.T) storetest.AccessStore {
		db, err := sqlite.Open(t.Context(), t.TempDir(), nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	})
}

// TestAuditLogAppendOnly checks that the database itself refuses to change
// or remove an audit entry, even to a caller that bypasses the store.
func TestAuditLogAppendOnly(t *testing.T) {
	db, err := sqlite.Open(t.Context(), t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := paradero.NewContextWithActor(t.Context(), paradero.Actor{UserID: 1, Name: "user:1", Role: paradero.RoleAdmin})
	if err := db.CreateAuditEntry(ctx, paradero.NewAuditEntry(ctx, paradero.AuditRecordView, "record:1")); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`UPDATE audit_log SET object = 'record:2'`,
		`DELETE FROM audit_log`,
	} {
		err := db.ExecUnsafe(t.Context(), q)
		if err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: err = %v, want the append-only refusal", q, err)
		}
	}
	_, n, err := db.FindAuditEntries(ctx, paradero.AuditFilter{})
	if err != nil || n != 1 {
		t.Errorf("FindAuditEntries total = %d, %v; want 1", n, err)
	}
}
