package storetest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/ledger"
)

// tamperWorld is a store with three sources, a redaction and two
// checkpoints, as the tamper tests find it before they strike.
type tamperWorld struct {
	s       paradero.Store
	log     *ledger.Log
	sources []*paradero.Source
	records []*paradero.Record // all, in id order
}

func newTamperWorld(t *testing.T, h Harness) *tamperWorld {
	t.Helper()
	w := &tamperWorld{s: h.Open(t)}
	w.log = ledger.New(w.s, newKey(t))
	ctx := actorCtx(t)
	w.sources = append(w.sources, importFile(t, w.s, "first file", sampleRecords(4)))
	w.sources = append(w.sources, importFile(t, w.s, "second file", sampleRecords(5)))
	if _, err := w.log.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	w.sources = append(w.sources, importFile(t, w.s, "third file", sampleRecords(3)))
	recs, _, err := w.s.FindRecords(ctx, paradero.RecordFilter{})
	if err != nil {
		t.Fatal(err)
	}
	w.records = recs
	if err := w.s.RedactRecord(ctx, newRedaction(t, w.log, recs[5], "protects a witness")); err != nil {
		t.Fatal(err)
	}
	if _, err := w.log.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	mustVerify(t, w.s, w.log)
	return w
}

func testTamper(t *testing.T, h Harness) {
	tests := []struct {
		name string
		// strike tampers and returns the ledger index of the first bad
		// entry (-1 for a problem of the log as a whole) and a phrase the
		// first problem must contain.
		strike func(t *testing.T, w *tamperWorld) (int64, string)
	}{
		{"ChangedRecordField", func(t *testing.T, w *tamperWorld) (int64, string) {
			r := w.records[2] // given names "Yorman"
			h.Exec(t, w.s, fmt.Sprintf("UPDATE records SET content = replace(content, 'Yorman', 'Jorman') WHERE id = %d", r.ID))
			return r.LedgerIndex, "a field was changed"
		}},
		{"ChangedRecordDate", func(t *testing.T, w *tamperWorld) (int64, string) {
			r := w.records[7]
			h.Exec(t, w.s, fmt.Sprintf("UPDATE records SET content = replace(content, '%s', '1999-01-01') WHERE id = %d", r.BirthDate, r.ID))
			return r.LedgerIndex, "a field was changed"
		}},
		{"ChangedSourceTitle", func(t *testing.T, w *tamperWorld) (int64, string) {
			src := w.sources[1]
			h.Exec(t, w.s, fmt.Sprintf("UPDATE sources SET title = 'Otra lista' WHERE id = %d", src.ID))
			return src.LedgerIndex, "a field was changed"
		}},
		{"ChangedBlob", func(t *testing.T, w *tamperWorld) (int64, string) {
			src := w.sources[0]
			h.CorruptBlob(t, w.s, src.SHA256)
			return src.LedgerIndex, "stored file was changed"
		}},
		{"DeletedRecord", func(t *testing.T, w *tamperWorld) (int64, string) {
			r := w.records[3]
			h.Exec(t, w.s, fmt.Sprintf("DELETE FROM records WHERE id = %d", r.ID))
			return r.LedgerIndex, "was deleted"
		}},
		{"DeletedEntry", func(t *testing.T, w *tamperWorld) (int64, string) {
			h.Exec(t, w.s, "DELETE FROM ledger_entries WHERE idx = 7")
			return 7, "entry 7 is missing"
		}},
		{"ReorderedRecords", func(t *testing.T, w *tamperWorld) (int64, string) {
			a, b := w.records[0], w.records[1]
			h.Exec(t, w.s, fmt.Sprintf("UPDATE records SET id = -1 WHERE id = %d", a.ID))
			h.Exec(t, w.s, fmt.Sprintf("UPDATE records SET id = %d WHERE id = %d", a.ID, b.ID))
			h.Exec(t, w.s, fmt.Sprintf("UPDATE records SET id = %d WHERE id = -1", b.ID))
			return a.LedgerIndex, "record"
		}},
		{"ReorderedEntries", func(t *testing.T, w *tamperWorld) (int64, string) {
			h.Exec(t, w.s, "UPDATE ledger_entries SET idx = -1 WHERE idx = 3")
			h.Exec(t, w.s, "UPDATE ledger_entries SET idx = 3 WHERE idx = 4")
			h.Exec(t, w.s, "UPDATE ledger_entries SET idx = 4 WHERE idx = -1")
			return 3, "record"
		}},
		{"EntryInsertedInTheMiddle", func(t *testing.T, w *tamperWorld) (int64, string) {
			h.Exec(t, w.s, "UPDATE ledger_entries SET idx = -idx - 1 WHERE idx >= 5")
			h.Exec(t, w.s, "UPDATE ledger_entries SET idx = -idx WHERE idx < 0")
			h.Exec(t, w.s, "INSERT INTO ledger_entries (idx, kind, subject, leaf, hashes) SELECT 5, kind, subject, leaf, hashes FROM ledger_entries WHERE idx = 4")
			return 5, "says it is entry"
		}},
		{"RecordInsertedInTheMiddle", func(t *testing.T, w *tamperWorld) (int64, string) {
			r := w.records[1]
			h.Exec(t, w.s, fmt.Sprintf(`INSERT INTO records (id, source_id, row_no, content, salt, commitment, created_at, ledger_idx)
				SELECT 1000, source_id, 3, replace(content, 'Ana', 'Persona Inventada'), salt, commitment, created_at, ledger_idx FROM records WHERE id = %d`, r.ID))
			return -1, "record 1000 is in the database but not in the ledger"
		}},
		{"TruncatedLog", func(t *testing.T, w *tamperWorld) (int64, string) {
			h.Exec(t, w.s, "DELETE FROM ledger_entries WHERE idx >= 13")
			return -1, "truncated"
		}},
		{"ChangedTreeHash", func(t *testing.T, w *tamperWorld) (int64, string) {
			h.Exec(t, w.s, "UPDATE ledger_entries SET hashes = leaf WHERE idx = 9")
			return 9, "tree hashes differ"
		}},
		{"ChangedLeaf", func(t *testing.T, w *tamperWorld) (int64, string) {
			h.Exec(t, w.s, "UPDATE ledger_entries SET leaf = hashes WHERE idx = 2")
			return 2, "stored leaf"
		}},
		{"ChangedRedactionReason", func(t *testing.T, w *tamperWorld) (int64, string) {
			h.Exec(t, w.s, "UPDATE redactions SET reason = 'no reason'")
			return 15, "reason does not match"
		}},
		{"ContentRemovedOutsideParadero", func(t *testing.T, w *tamperWorld) (int64, string) {
			r := w.records[8]
			h.Exec(t, w.s, fmt.Sprintf("UPDATE records SET salt = NULL WHERE id = %d", r.ID))
			return r.LedgerIndex, "has content but no salt"
		}},
		{"ForgedCheckpoint", func(t *testing.T, w *tamperWorld) (int64, string) {
			h.Exec(t, w.s, "UPDATE checkpoints SET size = 12 WHERE size = 16")
			return -1, "signed text says size 16"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newTamperWorld(t, h)
			if n, _ := w.s.LedgerSize(t.Context()); n != 16 {
				t.Fatalf("setup: ledger size %d, want 16", n)
			}
			wantIdx, wantMsg := tt.strike(t, w)
			rep, err := w.log.Verify(t.Context(), ledger.VerifyOptions{})
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if rep.OK() {
				t.Fatalf("Verify found nothing wrong after tampering")
			}
			first := rep.Problems[0]
			if first.Index != wantIdx || !strings.Contains(first.String(), wantMsg) {
				t.Errorf("first problem = %q (entry %d), want entry %d and %q\nall: %v", first, first.Index, wantIdx, wantMsg, rep.Problems)
			}
		})
	}
}
