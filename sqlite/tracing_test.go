package sqlite_test

import (
	"strings"
	"testing"

	"github.com/paradero/paradero/sqlite"
	"github.com/paradero/paradero/storetest"
)

// TestTracingContract runs the TracingService contract, which the
// PostgreSQL store runs too.
func TestTracingContract(t *testing.T) {
	storetest.RunTracing(t, func(t *testing.T) storetest.TracingStore { return open(t).(*sqlite.DB) })
}

// TestTracingCandidatesAppendOnly checks that the database itself refuses
// to change or remove a candidate decision.
func TestTracingCandidatesAppendOnly(t *testing.T) {
	db := open(t).(*sqlite.DB)
	ctx := t.Context()
	for _, q := range []string{
		`INSERT INTO users (id, email, name, role, language, password_hash, created_at, updated_at) VALUES (1, 'f@example.org', 'F', 'family', 'es', 'x', 0, 0)`,
		`INSERT INTO tracing_requests (id, ref, requester_id, state, sought_name, sought_other_names, sought_birth_date, sought_age,
			sought_nationality, last_seen_place, last_seen_date, details, relationship, contact, created_at, updated_at)
			VALUES (1, 'AAAAA-AAAAA', 1, 'verified', 'X', '', '', '', '', '', '', '', 'madre', 'tel', 0, 0)`,
		`INSERT INTO sources (id, kind, title, published, filename, media_type, size, sha256, imported_at, imported_by, records, commitment, ledger_idx)
			VALUES (1, 'roster', '', '', '', '', 0, x'00', 0, '', 1, x'00', 0)`,
		`INSERT INTO records (id, source_id, row_no, content, commitment, created_at, ledger_idx) VALUES (1, 1, 1, '', x'00', 0, 1)`,
		`INSERT INTO tracing_candidates (request_id, record_id, verdict, note, decided_by, decided_at) VALUES (1, 1, 'same', '', 'user:2', 0)`,
	} {
		if err := db.ExecUnsafe(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	for _, q := range []string{`UPDATE tracing_candidates SET verdict = 'different'`, `DELETE FROM tracing_candidates`} {
		if err := db.ExecUnsafe(ctx, q); err == nil || !strings.Contains(err.Error(), "never changed") {
			t.Errorf("%s = %v, want refused", q, err)
		}
	}
}
